"""Attacks through file names: a leak's files are named by whoever made them.

Before: a name that is no UTF-8 (a CP1251 zip unpacked on Linux, as Russian and Belarusian
leaks arrive) ended ``ingest`` in a traceback, and a name holding a newline, a terminal
escape or a right-to-left override was printed as it is: one outcome read as two lines, the
terminal took colour commands from a file name, and a name could be made to read backwards.
Now the name is recorded as it is (undecodable bytes as ``\\xNN``) and every line the CLI
prints shows such characters as escapes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli.helpers import run
from tests.conftest import write_wav

CP1251_NAME = "запись".encode("cp1251") + b".wav"  # no UTF-8: "\xe7\xe0\xef\xe8\xf1\xfc.wav"
TRICK_NAME = "call\x1b[31m\nfake line\u202e.wav"


def test_names_no_utf8_or_full_of_controls_are_kept_and_shown_as_escapes(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    write_wav(Path(os.fsdecode(bytes(drop) + b"/" + CP1251_NAME)), seconds=2.0, seed=1)
    write_wav(drop / TRICK_NAME, seconds=2.0, seed=2)
    case = tmp_path / "case"
    run("init", case, check=True)
    result = run("ingest", drop, "--case", case)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines() + result.stderr.splitlines()
    assert len(lines) == 3  # one per file, and the total
    assert any(r"/drop/\xe7\xe0\xef\xe8\xf1\xfc.wav: ingested as " in line for line in lines)
    assert any(r"/drop/call\u001b[31m\nfake line\u202e.wav: ingested as " in line for line in lines)
    assert all(line.isprintable() for line in lines)

    events = [json.loads(x) for x in run("log", "--json", cwd=case).stdout.splitlines()]
    names = {e["details"]["original_name"] for e in events if e["action"] == "ingest"}
    # The log keeps each name: the trick name as it is, the undecodable bytes as \xNN.
    assert names == {r"\xe7\xe0\xef\xe8\xf1\xfc.wav", TRICK_NAME}

    listed = run("exhibits", cwd=case).stdout.splitlines()
    assert len(listed) == 2 and all(line.isprintable() for line in listed)
    described = run("log", cwd=case).stdout.splitlines()
    assert len(described) == len(events) and all(line.isprintable() for line in described)
    assert run("verify", cwd=case).returncode == 0
