"""The board addresses a community had before ``/board slug <new>``: a printed QR code or a link shared in a
chat keeps leading to the board, as a permanent redirect to the current address.

An old address stays its community's: another community cannot take it (it would receive the first one's
readers), and the community itself gets it back by choosing it again (the row is then removed).
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.points import utc_now


class OldBoardSlug(Model):
    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True, description="A former /c/<slug>/ address.")
    community_id = fields.IntField(db_index=True)
    retired_at = fields.DatetimeField(default=utc_now)

    class Meta:
        table = "linli_board_old_slug"
