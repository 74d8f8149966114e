from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from core.points import utc_now


async def _give_slugs(apps, state_editor):
    """Communities made before boards had addresses get theirs now (raw SQL: later columns may not exist)."""
    from core.web.slugs import propose, unique_among

    client = state_editor.client
    mark = "$" if client.capabilities.dialect == "postgres" else "?"
    _, rows = await client.execute_query("SELECT id, name, slug FROM linli_community ORDER BY id")
    taken = {row["slug"] for row in rows if row["slug"]}
    for row in rows:
        if row["slug"]:
            continue
        slug = unique_among(propose(row["name"]), taken)
        taken.add(slug)
        first, second = (f"{mark}1", f"{mark}2") if mark == "$" else ("?", "?")
        await client.execute_query(f"UPDATE linli_community SET slug = {first} WHERE id = {second}",
                                   [slug, row["id"]])


class Migration(migrations.Migration):
    dependencies = [('core', '0006_ledger_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Community',
            name='slug',
            field=fields.CharField(null=True, unique=True, description="The board's address /c/<slug>/: pinyin of the name, changed by /board slug.", max_length=64),
        ),
        ops.AddField(
            model_name='Community',
            name='board_private',
            field=fields.BooleanField(default=False, db_default=False, description='True: the web board answers 404 (/board private).'),
        ),
        ops.CreateModel(
            name='OldBoardSlug',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, description='A former /c/<slug>/ address.', max_length=64)),
                ('community_id', fields.IntField(db_index=True)),
                ('retired_at', fields.DatetimeField(default=utc_now, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'linli_board_old_slug', 'app': 'core', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.RunPython(_give_slugs, lambda apps, state_editor: None),
    ]
