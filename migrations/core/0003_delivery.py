from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0002_api_1')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DeadLetter',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event_id', fields.CharField(unique=True, max_length=191)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('error', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('replayed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'linli_dead_letter', 'app': 'core', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('platform', fields.CharField(max_length=32)),
                ('lane', fields.CharField(description="Messages with the same lane leave one after another, in id order (one chat, or one person's DMs).", max_length=191)),
                ('payload', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('state', fields.SmallIntField(default=0)),
                ('uncertain', fields.IntField(default=0, description='Attempts whose answer was lost on the way: the platform may have shown the message already.')),
                ('last_error', fields.CharField(null=True, max_length=255)),
                ('owner', fields.CharField(null=True, description='The process sending it (a random id per start); None: stored by a command line, adopted by the bot.', max_length=32)),
            ],
            options={'table': 'linli_outbox', 'app': 'core', 'indexes': [Index(fields=['state', 'lane', 'id'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
