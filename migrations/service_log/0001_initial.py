from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from plugins.service_log.models import RecordKind, RecordStatus
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Activity',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('title', fields.CharField(max_length=100)),
                ('place', fields.CharField(max_length=100)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('places', fields.IntField(default=0)),
                ('cap_hours', fields.DecimalField(null=True, max_digits=6, decimal_places=1)),
                ('code', fields.CharField(default='', description='Shown on site by the organizer; empty when check-in needs no code.', max_length=8)),
                ('team_id', fields.IntField(null=True)),
                ('created_by', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed', fields.BooleanField(default=False, description='True once the sweep has closed the forgotten check-outs after the end.')),
            ],
            options={'table': 'service_log_activity', 'app': 'service_log', 'indexes': [Index(fields=['community_id', 'ends_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Attendance',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity_id', fields.IntField()),
                ('community_id', fields.IntField()),
                ('user_id', fields.IntField()),
                ('checked_in_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('checked_out_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('forgotten', fields.BooleanField(default=False, description="Closed at the activity's end because nobody checked out: the record waits for review.")),
                ('record_id', fields.IntField(null=True)),
            ],
            options={'table': 'service_log_attendance', 'app': 'service_log', 'unique_together': (('activity_id', 'user_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Certificate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('user_id', fields.IntField()),
                ('number', fields.CharField(unique=True, max_length=40)),
                ('code', fields.CharField(unique=True, max_length=20)),
                ('year', fields.IntField(null=True)),
                ('hours', fields.DecimalField(max_digits=9, decimal_places=1)),
                ('real_name', fields.CharField(max_length=50)),
                ('volunteer_number', fields.CharField(max_length=32)),
                ('record_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'service_log_certificate', 'app': 'service_log', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Objection',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('record_id', fields.IntField()),
                ('community_id', fields.IntField()),
                ('user_id', fields.IntField(description='Kept for the reviewers; never shown to the volunteer.')),
                ('reason', fields.CharField(max_length=300)),
                ('made_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'service_log_objection', 'app': 'service_log', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Record',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('user_id', fields.IntField()),
                ('kind', fields.CharEnumField(description='CREDIT: credit\nENTERED: entered\nCORRECTION: correction', enum_type=RecordKind, max_length=16)),
                ('status', fields.CharEnumField(description='PENDING: pending\nPUBLIC: public\nFINAL: final\nDENIED: denied', enum_type=RecordStatus, max_length=16)),
                ('hours', fields.DecimalField(max_digits=7, decimal_places=1)),
                ('what', fields.CharField(max_length=200)),
                ('day', fields.DateField(description="The day served, in the community's calendar.")),
                ('start_minute', fields.IntField(null=True, description='Optional time of day served, minutes after midnight (``9:00-11:00``), to catch overlaps.')),
                ('end_minute', fields.IntField(null=True)),
                ('activity_id', fields.IntField(null=True)),
                ('activity_title', fields.CharField(default='', description="The activity's title or the claims project's, as it was: the certificate lists it.", max_length=100)),
                ('source_key', fields.CharField(null=True, unique=True, description="Set for records made from another plugin's event (``claims:7:12``): one record per source.", max_length=100)),
                ('flag', fields.CharField(default='', description='Why it waits for review (a forgotten check-out, an objection): shown to reviewers.', max_length=200)),
                ('photo', fields.CharField(default='', max_length=300)),
                ('recorded_by', fields.IntField()),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('approved_by', fields.IntField(null=True)),
                ('approved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('public_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('final_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('denied_reason', fields.CharField(default='', max_length=300)),
                ('points', fields.IntField(default=0)),
                ('corrects_id', fields.IntField(null=True)),
                ('reason', fields.CharField(default='', max_length=300)),
            ],
            options={'table': 'service_log_record', 'app': 'service_log', 'indexes': [Index(fields=['community_id', 'user_id', 'day']), Index(fields=['community_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Team',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('name', fields.CharField(max_length=50)),
                ('leader_user_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'service_log_team', 'app': 'service_log', 'unique_together': (('community_id', 'name'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Volunteer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('user_id', fields.IntField()),
                ('number', fields.CharField(description="Unique in the community; assigned in order (the community's own numbering).", max_length=32)),
                ('real_name', fields.CharField(description='The name the volunteer registered with (the chat name by default); the certificate uses it.', max_length=50)),
                ('team_id', fields.IntField(null=True)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('stars', fields.IntField(default=0, description='The highest star level announced so far (0–5): each level is announced once.')),
            ],
            options={'table': 'service_log_volunteer', 'app': 'service_log', 'unique_together': (('community_id', 'user_id'), ('community_id', 'number')), 'pk_attr': 'id', 'table_description': "A registered volunteer: the name for certificates and the community's own volunteer number."},
            bases=['Model'],
        ),
    ]
