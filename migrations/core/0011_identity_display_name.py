from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('core', '0010_period_totals')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Identity',
            index=Index(fields=['display_name']),
        ),
    ]
