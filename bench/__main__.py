"""All benchmarks in one run: ``python -m bench [--quick] [--rounds 3] [--databases sqlite,postgres]``.

Each prints a Markdown table ready to paste; any wrong reply or row ends the run with exit status 1.
"""

from __future__ import annotations

import argparse

from bench import dispatch, ledger, startup, write
from bench.common import main


async def run(args: argparse.Namespace) -> None:
    for module in (dispatch, write, ledger, startup):
        print(f"\n## {module.__name__.removeprefix('bench.')}", flush=True)
        await module.run(args)


if __name__ == "__main__":
    main(run, __doc__ or "")
