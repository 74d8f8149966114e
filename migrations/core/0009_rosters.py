from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0008_audit')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RosterEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField()),
                ('kind', fields.CharField(description='The roster kind (``households``, ``volunteers``, ``party``…).', max_length=32)),
                ('key', fields.CharField(description="Who the row is about, as the sheet says it: ``@username``, else name, phone and the kind's own fields.", max_length=191)),
                ('name', fields.CharField(description='The name in the sheet, shown to organizers and in the list of codes.', max_length=50)),
                ('username', fields.CharField(description='The platform username from the sheet (lower case, without ``@``), matched when its owner speaks.', max_length=128, null=True, db_index=True)),
                ('code', fields.CharField(description='The one-time code the organizer hands out; NULL once matched.', max_length=16, null=True, unique=True)),
                ('data', fields.JSONField(default=dict, description="The row's values as the kind read them, applied when the person is matched.")),
                ('imported_by', fields.IntField(description='Who imported it (NULL: the operator at the command line).', null=True)),
                ('imported_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('user_id', fields.IntField(description='The person it turned out to be; NULL while pending.', null=True)),
                ('matched_at', fields.DatetimeField(auto_now=False, auto_now_add=False, null=True)),
            ],
            options={'table': 'linli_roster_entry', 'app': 'core', 'unique_together': (('community_id', 'kind', 'key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
