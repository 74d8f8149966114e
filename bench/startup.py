"""startup and memory: ``linli run --no-web`` from process start to its first reply on the console (a
``/whoami``, its text checked), beside the time a process takes only to import the libraries linli runs on
(Tortoise, pydantic, Babel, pluggy, aiosqlite: the floor under it); RSS idle
(after that reply) and with 1,000 communities × 100 members in the database, each community having just
answered a command (their chats, people and memberships cached). SQLite only: the process is the subject.

Run: python -m bench.startup [--quick] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Row, check, harness, main, print_table, workdir
from core import identity

ROOT = Path(__file__).resolve().parents[1]


#: What a deployed process finds: bytecode written by its first start (``make run`` and a service alike),
#: whatever the shell that runs the benchmark says.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
#: The libraries every start imports before any of linli's code runs: the floor under "start to first reply".
STACK = "import asyncio, tortoise, tortoise.models, pydantic, babel.support, babel.messages.pofile, pluggy, aiosqlite"
WHOAMI = "您是 居民。这个群还没有设置社区。"


def linli(folder: Path, *args: str, stdin: str = "") -> tuple[subprocess.CompletedProcess[str], float, int]:
    """Run ``linli`` with a script on stdin; the seconds to the first reply line and the peak RSS (kB)."""
    env = {**ENV, "LINLI_DATABASE__URL": f"sqlite://{folder / 'linli.db'}", "LINLI_ADAPTERS": '["console"]'}
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


def _seconds(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=ENV, capture_output=True, text=True)
    check(done.returncode == 0, f"{command}: {done.stderr[-500:]}")
    return time.perf_counter() - started


def _full_collection_ms() -> float:
    started = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - started) * 1000


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
    start = Row("start to first reply (linli run --no-web); ceiling: importing the stack alone", "ms",
                higher_is_better=False)
    idle = Row("RSS after the first reply", "MB", higher_is_better=False)
    loaded = Row(f"RSS, {communities} communities × {members} members answered", "MB", higher_is_better=False)
    pause = Row("a full garbage collection then (the loop stopped); ceiling: with the start frozen, as linli run does",
                "ms", ceiling_name="frozen", higher_is_better=False)
    with workdir() as folder:
        done = subprocess.run([sys.executable, "-m", "core.cli", "migrate"], cwd=folder, capture_output=True,
                              text=True, env={**os.environ, "LINLI_DATABASE__URL": f"sqlite://{folder / 'linli.db'}"})
        check(done.returncode == 0, f"linli migrate failed: {done.stderr[-500:]}")
        for r in range(args.rounds + 1):  # the first start writes the bytecode and is not counted
            result, seconds, rss = linli(folder, "run", "--no-web", stdin="居民: /whoami\n")
            first = result.stdout.splitlines()[0] if result.stdout else ""
            check(result.returncode == 0 and first.endswith(WHOAMI),
                  f"linli run answered {first!r}: {result.stderr[-500:]}")
            floor = _seconds([sys.executable, "-c", STACK])
            if r:
                start.values.append(seconds * 1000)
                idle.values.append(rss / 1024)
                start.ceiling.append(floor * 1000)
        # the console is one chat, so the loaded figure is taken in this process, through the harness
        before = _rss_kb(os.getpid())
        async with harness(f"sqlite://{folder / 'loaded.db'}") as h:
            gc.collect()  # what earlier benchmarks in this process left is not the start's
            gc.freeze()  # what ``linli run`` does once it has started (core.runner)
            for c in range(communities):
                await h.send("王书记", f"/setup 社区{c}", room=f"room{c}")
                for m in range(members):
                    await h.app.receive(h.event(f"居民{c}-{m}", "/echo hi", room=f"room{c}"))
                await h.app.settle()
            loaded.values.append(_rss_kb(os.getpid()) / 1024)
            gc.collect()  # each timed collection below finds no garbage to free, only objects to walk
            pause.ceiling.append(_full_collection_ms())  # only what was made since the start
            gc.unfreeze()
            gc.collect()
            pause.values.append(_full_collection_ms())  # everything, as before linli run froze the start
            cache = getattr(identity, "identity_cache", None)  # absent before the cache existed
            entries = len(cache._rows) if cache is not None else 0
            print(f"identity cache: {entries:,} entries; this process grew "
                  f"{(_rss_kb(os.getpid()) - before) / 1024:.0f} MB")
    print_table(f"startup and memory ({args.rounds} rounds)", [start, idle, loaded, pause])


if __name__ == "__main__":
    main(run, __doc__ or "")
