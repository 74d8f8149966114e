from tortoise import migrations
from tortoise.migrations import operations as ops
from plugins.badges.models import BadgeStatus
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('user_id', fields.IntField(description='Whose badge the step was about.')),
                ('kind', fields.CharField(max_length=32)),
                ('action', fields.CharField(description='requested, verified, declined, shown, hidden, revoked, kind_added, forgotten.', max_length=16)),
                ('by_user_id', fields.IntField(description='Who took the step (the member themselves for a request, show or hide).')),
                ('text', fields.CharField(default='', description='The note of a request, the reason of a decline or revocation.', max_length=300)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'badges_audit', 'app': 'badges', 'indexes': [Index(fields=['community_id', 'user_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Badge',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('user_id', fields.IntField()),
                ('kind', fields.CharField(max_length=32)),
                ('status', fields.CharEnumField(default=BadgeStatus.PENDING, description='PENDING: pending\nVERIFIED: verified\nDECLINED: declined\nREVOKED: revoked', enum_type=BadgeStatus, max_length=16)),
                ('live', fields.BooleanField(null=True, default=True, description='True while pending or verified, NULL once it ended; see the module docstring.')),
                ('shown', fields.BooleanField(default=False, description='Whether the member chose to show it beside their name; hidden until they do.')),
                ('note', fields.CharField(default='', description="The member's own words with the request (the party branch, the building).", max_length=200)),
                ('reason', fields.CharField(default='', description='Why a verifier declined or an organizer revoked it.', max_length=300)),
                ('requested_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.IntField(null=True)),
            ],
            options={'table': 'badges_badge', 'app': 'badges', 'unique_together': (('community_id', 'user_id', 'kind', 'live'),), 'indexes': [Index(fields=['community_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CustomKind',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('key', fields.CharField(max_length=32)),
                ('emoji', fields.CharField(max_length=16)),
                ('name', fields.CharField(max_length=32)),
                ('verifier_role', fields.CharField(default='organizer', description='The core role (besides organizers) whose holders may verify this kind.', max_length=32)),
                ('created_by', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'badges_custom_kind', 'app': 'badges', 'unique_together': (('community_id', 'key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
