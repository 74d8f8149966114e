"""Settings of the service_log plugin: ``[plugin.service_log]`` in settings.toml, overridden per community
with ``/config service_log <key> <value>``.

The defaults follow community practice under 民政部令第67号: records are published for 3 working days
before they are final, entries older than 30 days are too late to be "timely", nobody serves more than 12
hours a day, and an hour of service is worth 10 points. Public holidays and the make-up working days
(调休) change every year, so they are lists the operator keeps here (ISO dates).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from core.plugin import N_, Scope


class ServiceLogSettings(BaseModel):
    points_per_hour: int = Field(10, ge=0, le=1000, description=N_("points per hour of final service"))
    publicity_days: int = Field(
        3, ge=0, le=30, description=N_("working days a record is published for objections (0: off)"))
    entry_window_days: int = Field(
        30, ge=1, le=366, description=N_("how many days back hours may be logged"))
    daily_cap_hours: Decimal = Field(
        Decimal(12), gt=0, le=24, description=N_("the most hours one person may log for one day"))
    holidays: list[date] = Field(
        default_factory=list, description=N_("public holidays skipped by the publication window (YYYY-MM-DD)"))
    workdays: list[date] = Field(
        default_factory=list, description=N_("make-up working days on a weekend (调休, YYYY-MM-DD)"))
    organization: str = Field(
        "", max_length=100, description=N_("the issuing organization named on certificates"))
    person_in_charge: str = Field(
        "", max_length=50, description=N_("the person in charge named on certificates"))
    handler: str = Field("", max_length=50, description=N_("the handler (经办人) named on certificates"))
    certificate_font: str = Field(
        "", max_length=300,
        description=N_("a font file with every CJK character for certificates, set in settings.toml only "
                       "(empty: the bundled subset)"))

    @field_validator("certificate_font")
    @classmethod
    def _a_font_file(cls, value: str) -> str:
        """The file is read into every certificate: only a TrueType/OpenType font, never any other file."""
        if value and not is_font_file(Path(value)):
            raise ValueError("not a .ttf, .otf or .ttc font file")
        return value


#: The first bytes of TrueType, OpenType (CFF) and collection fonts.
FONT_SIGNATURES = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"ttcf")


def is_font_file(path: Path) -> bool:
    if path.suffix.lower() not in (".ttf", ".otf", ".ttc") or not path.is_file():
        return False
    with path.open("rb") as file:
        return file.read(4) in FONT_SIGNATURES


def operator_settings(scope: Scope) -> ServiceLogSettings:
    """The settings as the operator wrote them in settings.toml, without any community's /config changes:
    for what only the operator may decide (which file on the server a certificate embeds)."""
    return scope.host.plugin_settings(scope.plugin, ServiceLogSettings)
