from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0010_period_totals')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Identity',
            index=Index(fields=['display_name']),
        ),
    ]
