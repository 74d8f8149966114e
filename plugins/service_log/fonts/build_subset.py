"""Rebuild the certificate font: ``python -m plugins.service_log.fonts.build_subset [source.ttc]``.

A developer tool, never run by linli. It takes Noto Sans CJK SC Regular (SIL Open Font License 1.1; on
Debian ``apt-get install fonts-noto-cjk``) and keeps what certificates need: printable ASCII, the
GB 2312 symbols and punctuation, and all 6,763 GB 2312 hanzi (levels 1 and 2), which cover the text of the
certificate and the names of the great majority of people. A name with a character outside the subset is
refused with that character named (see ``certificate.py``); an installation that needs every character sets
``certificate_font`` to a full CJK font file. The subset keeps the name table, so its copyright and
licence stay with it; ``OFL.txt`` beside it is the licence.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FACE = "Noto Sans CJK SC"
TARGET = Path(__file__).with_name("NotoSansSC-GB2312-subset.otf")


def gb2312_characters() -> set[str]:
    """Every character GB 2312 encodes (rows 1–9 symbols, 16–87 hanzi), plus printable ASCII."""
    chars = {chr(c) for c in range(0x20, 0x7F)}
    for row in range(1, 88):
        for cell in range(1, 95):
            try:
                chars.add(bytes([0xA0 + row, 0xA0 + cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def build(source: str = SOURCE, target: Path = TARGET) -> Path:
    collection = TTCollection(source)
    font = next(f for f in collection.fonts if f["name"].getDebugName(1) == FACE)
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in gb2312_characters()])
    subsetter.subset(font)
    font.save(str(target))
    return target


if __name__ == "__main__":
    print(build(sys.argv[1]) if len(sys.argv) > 1 else build())
