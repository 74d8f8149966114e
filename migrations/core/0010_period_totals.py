from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('core', '0009_rosters')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PeriodCalendar',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('zone', fields.CharField(max_length=64)),
            ],
            options={'table': 'linli_points_calendar', 'app': 'core', 'pk_attr': 'id', 'table_description': 'The one row saying in which time zone the totals were counted.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PeriodTotal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('period', fields.CharField(max_length=8)),
                ('starts', fields.DateField(description='the local date the period starts on (a Monday, the 1st of a month, quarter or year)')),
                ('user_id', fields.IntField()),
                ('total', fields.IntField(default=0)),
            ],
            options={'table': 'linli_points_period_total', 'app': 'core', 'unique_together': (('community_id', 'period', 'starts', 'user_id'),), 'indexes': [Index(fields=['community_id', 'period', 'starts', 'total', 'user_id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
