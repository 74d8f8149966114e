from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('core', '0005_inbox')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='PointsEntry',
            index=Index(fields=['community_id', 'created_at', 'user_id', 'delta']),
        ),
    ]
