from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('claims', '0002_hours')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Claim',
            name='corrected_at',
            field=fields.DatetimeField(null=True, description='A verification an organizer reversed (``/correct claim``): the claim stays, marked, its points taken back.', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Claim',
            name='corrected_by',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Claim',
            name='correction_reason',
            field=fields.TextField(default='', unique=False),
        ),
    ]

