"""Progress on a terminal, and none in a pipe: the real command under a pseudo-terminal."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import run, run_on_a_terminal
from tests.conftest import write_wav


def test_examine_shows_its_checks_on_a_terminal_and_nothing_in_a_pipe(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "call.wav", seconds=20.0, seed=2)
    status, stdout, shown = run_on_a_terminal("examine", wav, "--format", "json")
    assert status == 0, shown
    assert json.loads(stdout)["exhibit"]["filename"] == "call.wav"  # the report is whole
    assert "Examining" in shown and "checks" in shown
    piped = run("examine", wav, "--format", "json")
    assert piped.returncode == 0 and "Examining" not in piped.stderr
