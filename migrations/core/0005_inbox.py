from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0004_households')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InboxEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharField(max_length=32)),
                ('lane', fields.CharField(description='Events of one lane are handled one after another, in id order (a community, or a chat in none).', max_length=191)),
                ('event_id', fields.CharField(unique=True, max_length=191)),
                ('payload', fields.JSONField(description='The event as the core made it safe (:func:`core.inputs.clean_event`), as JSON.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'linli_inbox', 'app': 'core', 'indexes': [Index(fields=['lane', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
