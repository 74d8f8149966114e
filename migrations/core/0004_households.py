from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0003_delivery')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Household',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('membership', fields.ForeignKeyField('core.Membership', source_field='membership_id', db_constraint=True, to_field='id', related_name='households', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(description='楼栋-单元-户号, normalised by :func:`normalize_code` (``3-2-301``).', max_length=40)),
                ('verified', fields.BooleanField(default=False, description="True once an organizer verified it; False while it is only the member's request.")),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'linli_household', 'app': 'core', 'unique_together': (('membership', 'code'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
