"""Settings of the thanks plugin: ``[plugin.thanks]`` in settings.toml, changed per community with
``/config thanks <key> <value>``.

Descriptions are shown to organizers by ``/config thanks``, in the community's language, so they are marked
with ``N_`` and translated in ``locales/``.
"""

from pydantic import BaseModel, Field

from core.plugin import N_


class ThanksSettings(BaseModel):
    points: int = Field(1, ge=0, le=100, description=N_("points a thanks is worth to the one thanked"))
