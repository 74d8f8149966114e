"""Which language a reader of the board gets: ``?lang=`` first, then the browser's Accept-Language, then the
community's own. Only the languages linli speaks count (:data:`core.i18n.LANGUAGES`)."""

from __future__ import annotations

from collections.abc import Mapping

#: What people and browsers write, to the language linli has.
SPELLINGS = {"en": "en", "en-us": "en", "en-gb": "en", "english": "en", "zh": "zh_CN", "zh-cn": "zh_CN",
             "zh_cn": "zh_CN", "zh-hans": "zh_CN", "zh-hans-cn": "zh_CN", "zh-sg": "zh_CN", "zh-tw": "zh_CN",
             "zh-hk": "zh_CN", "zh-hant": "zh_CN", "cn": "zh_CN", "中文": "zh_CN"}


def spelled(value: str) -> str | None:
    """``en``, ``zh-CN``, ``zh_cn``… as the language linli has, or None."""
    value = value.strip().lower()
    return SPELLINGS.get(value) or SPELLINGS.get(value.split("-", 1)[0])


def from_accept_language(header: str) -> str | None:
    """The best language of an Accept-Language header that linli speaks (``q`` weights respected)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for param in params:  # ``q`` may follow other parameters, with spaces around ``=``
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        language = spelled(tag) if tag and tag != "*" else None
        if language is not None and weight > 0:
            ranked.append((-weight, index, language))
    return min(ranked)[2] if ranked else None


def negotiate(query: Mapping[str, str], headers: Mapping[str, str], default: str) -> tuple[str, str | None]:
    """The reader's language, and the ``?lang=`` value to keep in links (None when it was not chosen)."""
    chosen = spelled(query.get("lang", "")) if query.get("lang") else None
    if chosen is not None:
        return chosen, chosen
    return from_accept_language(headers.get("Accept-Language", "")) or default, None
