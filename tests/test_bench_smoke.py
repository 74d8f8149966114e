"""The benchmarks cannot rot: their quick mode runs end to end and checks every reply (no timing asserted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmarks_quick_mode_runs_and_every_reply_checks_out() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--databases", "sqlite"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    for table in ("### dispatch", "### write and contention", "### ledger", "### startup and memory"):
        assert table in done.stdout
