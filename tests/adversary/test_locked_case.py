"""A locked case folder, searched byte by byte, gives away no audio, name, source or word of the
transcript; unlocking gives back a case that verifies and serves the same transcript."""

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.cli.helpers import run

SAMPLE = Path(__file__).parents[2] / "samples" / "briefing-en.wav"
PASSPHRASE = "a long passphrase nobody guesses"


def _all_bytes(*folders: Path) -> bytes:
    return b"\n".join(p.read_bytes() for f in folders for p in f.rglob("*") if p.is_file())


@pytest.mark.slow
def test_locked_case_gives_nothing_away(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARWITNESS_PASSPHRASE", PASSPHRASE)
    case = tmp_path / "case"
    assert run("init", "--encrypt", case).returncode == 0
    leaked = tmp_path / "Kubrakov briefing.wav"
    shutil.copyfile(SAMPLE, leaked)
    run("ingest", leaked, "--source", "Ivan, Minsk", "--note", "cafe drop", cwd=case, check=True)
    transcribed = run("transcribe", leaked.name, "--format", "json", cwd=case, check=True)
    said = " ".join(s["text"] for s in json.loads(transcribed.stdout)["segments"])
    words = set(re.findall(r"[A-Za-z]{6,}", said))
    assert len(words) >= 3
    locked = run("lock", cwd=case)
    assert locked.returncode == 0, locked.stderr

    config = Path(os.environ["XDG_CONFIG_HOME"])
    everything = _all_bytes(case, config)
    audio = SAMPLE.read_bytes()
    secrets = [audio[4096:4160], b"Kubrakov", b"Ivan, Minsk", b"cafe drop"]
    secrets += [hashlib.sha256(audio).hexdigest().encode()]
    secrets += [word.encode() for word in words]
    for secret in secrets:
        assert secret not in everything, secret[:24]

    refused = run("exhibits", cwd=case)
    assert refused.returncode == 1
    assert "locked" in refused.stderr and "Traceback" not in refused.stderr

    monkeypatch.setenv("EARWITNESS_PASSPHRASE", "wrong passphrase entirely")
    wrong = run("unlock", cwd=case)
    assert wrong.returncode == 1 and "wrong passphrase" in wrong.stderr
    monkeypatch.setenv("EARWITNESS_PASSPHRASE", PASSPHRASE)
    assert run("unlock", cwd=case).returncode == 0
    assert run("verify", cwd=case).returncode == 0
    again = run("transcribe", leaked.name, "--format", "json", cwd=case, check=True)
    assert again.stdout == transcribed.stdout
