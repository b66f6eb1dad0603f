"""Cases the adversary tests attack: made with the real CLI, as a user would make them."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import run
from tests.conftest import write_wav


def case_with_takes(tmp_path: Path, takes: int) -> Path:
    """A new case in ``tmp_path/case`` holding ``takes`` short recordings."""
    root = tmp_path / "case"
    run("init", root, check=True)
    for n in range(takes):
        audio = write_wav(tmp_path / "in" / f"take {n}.wav", 0.3, seed=n)
        run("ingest", audio, cwd=root, check=True)
    return root


def log_of(case: Path) -> Path:
    return case / ".earwitness" / "custody.jsonl"
