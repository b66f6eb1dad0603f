"""Run the real ``earwitness`` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EARWITNESS = [sys.executable, "-c", "from earwitness.cli import main; main()"]


def run(
    *args: str | Path, cwd: Path | None = None, check: bool = False
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*EARWITNESS, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"earwitness {args} failed:\n{result.stdout}\n{result.stderr}")
    return result


def spawn(*args: str | Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*EARWITNESS, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
