from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('service_log', '0002_code_attempts')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Record',
            name='corrected_at',
            field=fields.DatetimeField(null=True, description='An approval an organizer reversed (``/correct record``): the record stays, marked; its hours and points', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Record',
            name='corrected_by',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Record',
            name='correction_reason',
            field=fields.CharField(default='', max_length=300),
        ),
    ]

