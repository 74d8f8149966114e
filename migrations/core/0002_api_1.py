from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AdapterState',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('namespace', fields.CharField(max_length=64)),
                ('key', fields.CharField(max_length=191)),
                ('value', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('expires_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'linli_adapter_state', 'app': 'core', 'unique_together': (('namespace', 'key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='PendingDialog',
            name='line',
            field=fields.TextField(description="The command's path (``newproject``, ``project new``).", unique=False),
        ),
        ops.AddField(
            model_name='PendingDialog',
            name='answers',
            field=fields.JSONField(default=dict, description='Raw answers so far, by argument name (null: skipped).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='PendingDialog',
            name='step',
            field=fields.IntField(default=0, description='The index of the argument being asked for.'),
        ),
        ops.AddField(
            model_name='PendingDialog',
            name='tries',
            field=fields.IntField(default=0, description='Bad answers to the current question.'),
        ),
    ]
