from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from core.points import utc_now
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0007_board')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField(null=True, description="None for an action outside any community (an operator's replay of dead letters).")),
                ('at', fields.DatetimeField(default=utc_now, auto_now=False, auto_now_add=False)),
                ('actor_kind', fields.CharField(default='member', max_length=16)),
                ('actor_user_id', fields.IntField(null=True)),
                ('plugin', fields.CharField(max_length=64)),
                ('action', fields.CharField(description="The command's path (``grant``, ``badge verify``) or a named step (``correct``, ``import``).", max_length=64)),
                ('target_user_id', fields.IntField(null=True)),
                ('target', fields.CharField(default='', description="What else was acted on, as text (a plugin's name, ``record #12``).", max_length=191)),
                ('details', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reason', fields.TextField(default='', unique=False)),
                ('once_key', fields.CharField(null=True, description='Callers that may run twice (an import of the same file) pass a key: the second row is not written.', max_length=191)),
            ],
            options={'table': 'linli_audit', 'app': 'core', 'unique_together': (('community_id', 'once_key'),), 'indexes': [Index(fields=['community_id', 'at']), Index(fields=['community_id', 'actor_user_id']), Index(fields=['community_id', 'target_user_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='CorrectionMark',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('kind', fields.CharField(max_length=32)),
                ('record', fields.CharField(description="The plugin's own name for the record (``claim 12``, ``record 5``, ``entry 40``).", max_length=128)),
                ('user_id', fields.IntField()),
                ('corrected_by', fields.IntField()),
                ('corrected_at', fields.DatetimeField(default=utc_now, auto_now=False, auto_now_add=False)),
                ('reason', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'linli_correction', 'app': 'core', 'unique_together': (('community_id', 'kind', 'record'),), 'pk_attr': 'id', 'table_description': 'One row per corrected record: what makes a second correction of it impossible.'},
            bases=['Model'],
        ),
    ]

