from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('badges', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Badge',
            name='corrected_at',
            field=fields.DatetimeField(null=True, description='A verification an organizer reversed (``/correct badge``): revoked, and marked as a correction.', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Badge',
            name='corrected_by',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Badge',
            name='correction_reason',
            field=fields.CharField(default='', max_length=300),
        ),
    ]

