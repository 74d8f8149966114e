import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from plugins.claims.models import ClaimStatus, ProjectStatus


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='CommunityState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField(unique=True)),
                ('resume_pending', fields.BooleanField(default=False, description='Set when the plugin is switched on again; the next sweep turns it into ``resumed_at``.')),
                ('resumed_at', fields.DatetimeField(null=True, description='After a pause nobody loses a claim without the usual notice: releases wait until the reminder', auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'claims_community_state', 'app': 'claims', 'pk_attr': 'id', 'table_description': 'What the sweep remembers per community: whether the plugin has just been switched back on.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Project',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('title', fields.CharField(max_length=100)),
                ('description', fields.TextField(default='', unique=False)),
                ('places', fields.IntField()),
                ('claimed', fields.IntField(default=0, description='Places taken right now; see the module docstring.')),
                ('place_names', fields.JSONField(default=list, description='Named places (plots A1…A70), in order; empty when places are just a number.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('per_person', fields.IntField(default=1)),
                ('deadline', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('points', fields.IntField(default=0)),
                ('party_first_hours', fields.IntField(default=0)),
                ('status', fields.CharEnumField(default=ProjectStatus.OPEN, description='OPEN: open\nCLOSED: closed\nCANCELLED: cancelled\nCOMPLETED: completed', enum_type=ProjectStatus, max_length=16)),
                ('created_by', fields.IntField()),
                ('created_at', fields.DatetimeField(description="The 'party members first' window counts from here.", auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('full_announced', fields.BooleanField(default=False)),
            ],
            options={'table': 'claims_project', 'app': 'claims', 'indexes': [Index(fields=['community_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Claim',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('claims.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.CASCADE)),
                ('community_id', fields.IntField()),
                ('user_id', fields.IntField()),
                ('status', fields.CharEnumField(default=ClaimStatus.ACTIVE, description='ACTIVE: active\nREPORTED: reported\nVERIFIED: verified\nWITHDRAWN: withdrawn\nRELEASED: released\nCANCELLED: cancelled', enum_type=ClaimStatus, max_length=16)),
                ('place', fields.CharField(null=True, description='The named place, kept after the claim ends so the history reads right.', max_length=32)),
                ('holding', fields.IntField(null=True)),
                ('place_held', fields.CharField(null=True, max_length=32)),
                ('claimed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('progress_at', fields.DatetimeField(description='The last sign of life: the claim itself, /progress, /done, or a send-back.', auto_now=False, auto_now_add=False)),
                ('reminded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('reported_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('note', fields.TextField(default='', unique=False)),
                ('photos', fields.JSONField(default=list, description='Platform handles of the photos sent with /done, as evidence.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('verified_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('verified_by', fields.IntField(null=True)),
                ('sendback_reason', fields.TextField(default='', unique=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('origin_platform', fields.CharField(default='', description='Where the claimer spoke to us, so reminders reach them in a chat they read.', max_length=32)),
                ('origin_chat', fields.CharField(default='', max_length=128)),
            ],
            options={'table': 'claims_claim', 'app': 'claims', 'unique_together': (('project_id', 'user_id', 'holding'), ('project_id', 'place_held')), 'indexes': [Index(fields=['community_id', 'user_id']), Index(fields=['community_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WaitlistEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('project', fields.ForeignKeyField('claims.Project', source_field='project_id', db_constraint=True, to_field='id', related_name='waitlist', on_delete=OnDelete.CASCADE)),
                ('community_id', fields.IntField()),
                ('user_id', fields.IntField()),
                ('waiting', fields.BooleanField(null=True, default=True, description='True while in line, NULL afterwards: unique with (project, user), so one person waits once.')),
                ('outcome', fields.CharField(default='waiting', max_length=16)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('left_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('origin_platform', fields.CharField(default='', max_length=32)),
                ('origin_chat', fields.CharField(default='', max_length=128)),
            ],
            options={'table': 'claims_waitlist', 'app': 'claims', 'unique_together': (('project_id', 'user_id', 'waiting'),), 'indexes': [Index(fields=['community_id', 'user_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
