"""Settings of the thanks plugin (``[plugin.thanks]`` in settings.toml)."""

from pydantic import BaseModel, Field

from core.plugin import N_


class ThanksSettings(BaseModel):
    points: int = Field(1, ge=0, le=100, description=N_("points a thanks is worth to the one thanked"))
