"""Random nestings of blocks that read, write and fail, against what they must leave behind: the check that
savepoints sent late (core.sqlite_engine, core.postgres_engine) still undo exactly what they must."""

from __future__ import annotations

import itertools
import random
from typing import Any

from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from core.storage import execute, fetch


async def random_nestings_keep_what_succeeded(programs: int = 150, seed: int = 20261201, *,
                                              failing_statements: bool = True) -> None:
    """``failing_statements``: blocks may also end in a statement that fails (never where a savepoint may
    still be waiting on PostgreSQL: that case is the bus's to handle again, tested on its own)."""
    await execute("CREATE TABLE said (word TEXT)")
    rng = random.Random(seed)
    counter = itertools.count()

    def program(depth: int) -> list[Any]:
        steps: list[Any] = []
        for _ in range(rng.randint(0, 4)):
            kind = rng.choice(["write", "read", "block"] if depth < 4 else ["write", "read"])
            if kind == "read" and depth and failing_statements and rng.random() < 0.2:
                steps.append(("fail",))
                break  # the block ends there: the failure leaves it
            if kind == "block":
                steps.append(("block", rng.random() < 0.4, program(depth + 1)))
            else:
                steps.append((kind, f"w{next(counter)}"))
        return steps

    async def run(steps: list[Any], kept: list[str]) -> None:
        for step in steps:
            if step[0] == "write":
                await execute("INSERT INTO said VALUES (?)", step[1])
                kept.append(step[1])
            elif step[0] == "read":
                await fetch("SELECT count(*) AS n FROM said")
            elif step[0] == "fail":
                await fetch("SELECT word FROM said_nowhere")  # no such table, on both databases
            else:
                _, fails, inner = step
                mine: list[str] = []
                try:
                    async with in_transaction():
                        await run(inner, mine)
                        if fails:
                            raise RuntimeError("this block failed")
                    kept.extend(mine)
                except (RuntimeError, OperationalError):
                    pass

    for _ in range(programs):
        await execute("DELETE FROM said")
        expected: list[str] = []
        steps = program(0)
        async with in_transaction():
            await run(steps, expected)
        got = [r["word"] for r in await fetch("SELECT word FROM said ORDER BY word")]
        assert got == sorted(expected), steps  # each word is written once: nothing lost, nothing twice
