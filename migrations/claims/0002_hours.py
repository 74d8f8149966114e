from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('claims', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Project',
            name='hours_tenths',
            field=fields.IntField(default=0, description='Volunteer service hours each completion is worth, in tenths of an hour (``2小时`` → 20); 0: none.'),
        ),
    ]
