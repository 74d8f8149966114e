"""Every string of the frame's templates (``base.html``, ``index.html``, ``front.html``) has its Chinese
translation in the core's catalogue (tests/core/test_i18n.py reads only Python sources)."""

from __future__ import annotations

import pytest
from jinja2.ext import babel_extract

from core.i18n import Catalogs
from core.web.board import CORE_TEMPLATES
from tests.core.test_i18n import ROOT, _catalog

FRAME = ("base.html", "index.html", "front.html")


@pytest.mark.parametrize("name", FRAME)
def test_frame_templates_are_translated(name: str) -> None:
    catalogs = Catalogs()
    catalogs.load_dir(ROOT / "core" / "locales")
    zh = _catalog(catalogs.translator("zh_CN", "core").translations)
    with (CORE_TEMPLATES / name).open("rb") as handle:
        found = [message for _line, _func, message, _comments in
                 babel_extract(handle, ("_", "n_"), [], {"trimmed": "false"})]
    assert found, "the template says something"
    missing = [m for m in found if isinstance(m, str) and not zh.get(m)]
    missing += [m[0] for m in found if isinstance(m, tuple) and not zh.get((m[0], 0))]
    assert missing == []
