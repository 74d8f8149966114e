"""startup and memory: ``linli run --no-web`` from process start to its first reply on the console; RSS idle
(after that reply) and with 1,000 communities × 100 members in the database, each community having just
answered a command (their chats, people and memberships cached). SQLite only: the process is the subject.

Run: python -m bench.startup [--quick] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Row, check, harness, main, print_table, workdir
from core import identity

ROOT = Path(__file__).resolve().parents[1]


def linli(folder: Path, *args: str, stdin: str = "") -> tuple[subprocess.CompletedProcess[str], float, int]:
    """Run ``linli`` with a script on stdin; the seconds to the first reply line and the peak RSS (kB)."""
    env = {**os.environ, "LINLI_DATABASE__URL": f"sqlite://{folder / 'linli.db'}", "LINLI_ADAPTERS": '["console"]'}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "core.cli", *args], cwd=folder, env=env, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(stdin)
    process.stdin.flush()
    first = process.stdout.readline()
    seconds = time.perf_counter() - started
    rss = _rss_kb(process.pid)
    process.stdin.close()
    out = first + process.stdout.read()
    err = process.stderr.read() if process.stderr else ""
    code = process.wait()
    return subprocess.CompletedProcess(args, code, out, err), seconds, rss


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


async def run(args: argparse.Namespace) -> None:
    communities = 20 if args.quick else 1000
    members = 10 if args.quick else 100
    start = Row("start to first reply (linli run --no-web)", "ms", higher_is_better=False)
    idle = Row("RSS after the first reply", "MB", higher_is_better=False)
    loaded = Row(f"RSS, {communities} communities × {members} members answered", "MB", higher_is_better=False)
    with workdir() as folder:
        done = subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=folder, capture_output=True,
                              text=True, env={**os.environ, "LINLI_DATABASE__URL": f"sqlite://{folder / 'linli.db'}"})
        check(done.returncode == 0, f"linli migrate failed: {done.stderr[-500:]}")
        for _r in range(args.rounds):
            result, seconds, rss = linli(folder, "run", "--no-web", stdin="/whoami\n")
            check(result.returncode == 0 and result.stdout.strip() != "", f"linli run: {result.stderr[-500:]}")
            start.values.append(seconds * 1000)
            idle.values.append(rss / 1024)
        # the console is one chat, so the loaded figure is taken in this process, through the harness
        before = _rss_kb(os.getpid())
        async with harness(f"sqlite://{folder / 'loaded.db'}") as h:
            for c in range(communities):
                await h.send("王书记", f"/setup 社区{c}", room=f"room{c}")
                for m in range(members):
                    await h.app.receive(h.event(f"居民{c}-{m}", "/echo hi", room=f"room{c}"))
                await h.app.settle()
            loaded.values.append(_rss_kb(os.getpid()) / 1024)
            cache = getattr(identity, "identity_cache", None)  # absent before the cache existed
            entries = len(cache._rows) if cache is not None else 0
            print(f"identity cache: {entries:,} entries; this process grew "
                  f"{(_rss_kb(os.getpid()) - before) / 1024:.0f} MB")
    print_table(f"startup and memory ({args.rounds} rounds)", [start, idle, loaded])


if __name__ == "__main__":
    main(run, __doc__ or "")
