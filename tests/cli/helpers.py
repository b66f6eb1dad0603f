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


def run_on_a_terminal(*args: str | Path, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run with standard error on a pseudo-terminal and outside CI, as someone watching would:
    returns the exit status, standard output and what the terminal was sent."""
    import pty
    import tempfile

    watcher, terminal = pty.openpty()
    environment = {key: value for key, value in os.environ.items() if key != "CI"}
    # Standard output to a file, not a pipe: a full pipe would stop the command while this
    # side reads the terminal to its end.
    with tempfile.TemporaryFile() as stdout:
        process = subprocess.Popen(
            [*EARWITNESS, *map(str, args)],
            cwd=cwd,
            stdout=stdout,
            stderr=terminal,
            env={**environment, "COLUMNS": "120", "TERM": "xterm"},
        )
        os.close(terminal)
        shown = bytearray()
        while True:
            try:
                chunk = os.read(watcher, 65536)
            except OSError:  # the terminal's other end is closed: the command has ended
                break
            if not chunk:
                break
            shown += chunk
        os.close(watcher)
        status = process.wait(timeout=120)
        stdout.seek(0)
        printed = stdout.read()
    return status, printed.decode("utf-8", "replace"), shown.decode("utf-8", "replace")
