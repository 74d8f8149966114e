"""Accept-Language as browsers and proxies really write it: parameters besides ``q`` in any order, spaces."""

from __future__ import annotations

from core.web.language import from_accept_language


def test_q_is_read_wherever_it_stands_among_the_parameters() -> None:
    assert from_accept_language("en;level=1;q=0.2, zh-CN;q=0.9") == "zh_CN"
    assert from_accept_language("zh-TW ; q = 0.3, en;q=0.8") == "en"
    assert from_accept_language("en;q=0, zh-Hant-TW;q=0.1") == "zh_CN"
