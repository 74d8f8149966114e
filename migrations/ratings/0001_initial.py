from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from plugins.ratings.models import PeriodKind, PeriodStatus, Standing
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

async def _rating_without_rowid(apps, state_editor):
    """SQLite: ratings_rating keeps no row number in insertion order (see plugins/ratings/storage.py)."""
    from plugins.ratings.storage import without_rowid

    await without_rowid(state_editor.client)


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Period',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('kind', fields.CharEnumField(description='QUARTERLY: quarterly\nSEMIANNUAL: semiannual\nANNUAL: annual', enum_type=PeriodKind, max_length=16)),
                ('title', fields.CharField(max_length=100)),
                ('status', fields.CharEnumField(default=PeriodStatus.OPEN, description='OPEN: open\nCLOSED: closed', enum_type=PeriodStatus, max_length=16)),
                ('opened_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closes_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('dimensions', fields.JSONField(default=list, description='The dimensions rated in this period, fixed when it opens (a settings change applies to the next one).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reminded', fields.BooleanField(default=False, description='The reminder before the close went out (once per period; nothing says to whom).')),
                ('households', fields.IntField(default=0, description="Verified households of the community when the period closed (the turnout's denominator).")),
                ('open_slot', fields.IntField(null=True, default=1, description='1 while open, NULL once closed: unique per community, so the database itself holds at most one open')),
                ('min_ratings', fields.IntField(default=10, description="The ranking rules frozen when the period opened (an organizer's later ``/config`` applies to the next).")),
                ('red_threshold', fields.FloatField(default=4.0)),
                ('black_threshold', fields.FloatField(default=3.0)),
            ],
            options={'table': 'ratings_period', 'app': 'ratings', 'unique_together': (('community_id', 'open_slot'),), 'indexes': [Index(fields=['community_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Target',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('name', fields.CharField(max_length=64)),
                ('active', fields.BooleanField(default=True, description='False once removed: no longer rated, but its published history stays.')),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'ratings_target', 'app': 'ratings', 'unique_together': (('community_id', 'name'),), 'pk_attr': 'id', 'table_description': 'A rated unit of a community: the property company, the security or cleaning contractor.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExternalScore',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.ForeignKeyField('ratings.Period', source_field='period_id', db_constraint=True, to_field='id', related_name='external_scores', on_delete=OnDelete.CASCADE)),
                ('target', fields.ForeignKeyField('ratings.Target', source_field='target_id', db_constraint=True, to_field='id', related_name='external_scores', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharField(max_length=16)),
                ('score', fields.FloatField()),
                ('note', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'ratings_external_score', 'app': 'ratings', 'unique_together': (('period', 'target', 'source'),), 'pk_attr': 'id', 'table_description': "The community's or the third party's score of a target in an annual period, with the organizer's note."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Rating',
            fields=[
                ('slot', fields.CharField(primary_key=True, unique=True, db_index=True, description="HMAC-SHA256 of (community, household, target, period) under the environment's secret, hex.", max_length=64)),
                ('period', fields.ForeignKeyField('ratings.Period', source_field='period_id', db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.CASCADE)),
                ('target', fields.ForeignKeyField('ratings.Target', source_field='target_id', db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.CASCADE)),
                ('scores', fields.JSONField(default=list, description="Stars per dimension, in the period's order (1–5).", encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('comment', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'ratings_rating', 'app': 'ratings', 'pk_attr': 'slot', 'table_description': "One household's rating of one target in one period. See the module docstring: no one in it."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Result',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('period', fields.ForeignKeyField('ratings.Period', source_field='period_id', db_constraint=True, to_field='id', related_name='results', on_delete=OnDelete.CASCADE)),
                ('target', fields.ForeignKeyField('ratings.Target', source_field='target_id', db_constraint=True, to_field='id', related_name='results', on_delete=OnDelete.CASCADE)),
                ('ratings', fields.IntField()),
                ('scores', fields.JSONField(default=list, description="Mean stars per dimension, in the period's order (empty when there were too few ratings).", encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('overall', fields.FloatField(null=True, description="The residents' overall mean; None when there were too few ratings.")),
                ('composite', fields.JSONField(null=True, description='Annual periods: the parts and weights of the composite, and its total.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('standing', fields.CharEnumField(description='RED: red\nBLACK: black\nMIDDLE: middle\nINSUFFICIENT: insufficient\nINCOMPLETE: incomplete', enum_type=Standing, max_length=16)),
                ('comments', fields.JSONField(default=list, description="Residents' comments, without names, in random order (empty when there were too few ratings).", encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('reply', fields.TextField(null=True, description="The property manager's one public reply, shown under the result.", unique=False)),
            ],
            options={'table': 'ratings_result', 'app': 'ratings', 'unique_together': (('period', 'target'),), 'pk_attr': 'id', 'table_description': "A target's published result for a closed period."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TargetManager',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('target', fields.ForeignKeyField('ratings.Target', source_field='target_id', db_constraint=True, to_field='id', related_name='managers', on_delete=OnDelete.CASCADE)),
                ('user_id', fields.IntField()),
            ],
            options={'table': 'ratings_target_manager', 'app': 'ratings', 'unique_together': (('target', 'user_id'),), 'pk_attr': 'id', 'table_description': 'A property manager who answers for a target: may reply to its results, may not rate it.'},
            bases=['Model'],
        ),
        ops.RunPython(_rating_without_rowid, lambda apps, state_editor: None),
    ]
