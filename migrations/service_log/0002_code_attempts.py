from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('service_log', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CodeAttempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity_id', fields.IntField()),
                ('user_id', fields.IntField()),
                ('failures', fields.IntField(default=0)),
            ],
            options={'table': 'service_log_code_attempt', 'app': 'service_log', 'unique_together': (('activity_id', 'user_id'),), 'pk_attr': 'id', 'table_description': 'Wrong check-in codes one person sent for one activity: a few tries, not a search of every code.'},
            bases=['Model'],
        ),
    ]
