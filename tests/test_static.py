"""Pyflakes' checks over the whole tree (through ruff): a name used before it is bound, an
undefined name, an unused import. `benchmarks/bench.py` once imported a name inside the function
that used it earlier, and every `make bench` that measured latency stopped there."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _ruff() -> str | None:
    """The ruff beside this Python (the dev extra installs it), or one on PATH."""
    beside = Path(sys.executable).with_name("ruff")
    return str(beside) if beside.exists() else shutil.which("ruff")


def test_pyflakes_finds_nothing():
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed (the dev extra installs it)")
    done = subprocess.run([ruff, "check", "--no-cache", "--isolated", "--select", "F", "bot", "ingest", "vectorstore",
                           "benchmarks", "tests"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
