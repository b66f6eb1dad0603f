"""An OPUS-MT pack carried in and installed: ``transcribe --translate en`` then takes its English
from it, in a case, and a new translation model makes the English anew.

The model is a real CTranslate2 OPUS-MT conversion with random weights (built as in
tests/speech/test_translator.py, since no OPUS-MT weights can be downloaded here): its English
is gibberish, and what is checked is the path from pack to transcript and its record.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from earwitness.speech import pack_builder, packs
from earwitness.speech.translator import METHOD
from tests.cli.helpers import run
from tests.conftest import REPO
from tests.speech.test_translator import EN, RU, _converted, _train_spm

SAMPLE = REPO / "samples" / "briefing-ru.mp3"


@pytest.fixture
def installed_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The SHA-256 of an OPUS-MT pack's model, packed, then imported into a fresh cache."""
    monkeypatch.setenv("EARWITNESS_MODEL_CACHE", str(tmp_path / "models"))
    rng = random.Random(11)
    spms = (_train_spm(tmp_path, "source", RU, rng), _train_spm(tmp_path, "target", EN, rng))
    converted = _converted(tmp_path, "converted", [], spms)
    pack_builder.pack("opus-mt-zle-en", tmp_path / "zle.ewpack", source_dir=converted)
    return packs.import_pack(tmp_path / "zle.ewpack").sha256


@pytest.mark.slow
def test_installing_or_removing_a_translation_model_makes_the_english_anew(
    tmp_path: Path, installed_pack: str
) -> None:
    """The English comes from the installed pack, recorded with its hash; the installed
    translation models are part of the transcript's request: the stored transcript is reused
    while they stay, and not once the pack is gone."""
    case = tmp_path / "case"
    run("init", case, check=True)
    run("ingest", SAMPLE, cwd=case, check=True)
    args = ["briefing-ru.mp3", "--translate", "en", "--speakers", "none", "--format", "json"]
    first = json.loads(run("transcribe", *args, cwd=case, check=True).stdout)
    translation = first["translation"]
    assert translation["method"] == METHOD
    assert translation["model"] == {"name": "opus-mt-zle-en", "sha256": installed_pack}
    assert [(s["id"], s["start"], s["end"]) for s in translation["segments"]] == [
        (s["id"], s["start"], s["end"]) for s in first["segments"]
    ]
    # Whisper did not translate: no encoder pass was shared with a translate task.
    assert first["processing"]["encoder_passes"]["reused"] == 0
    again = run("transcribe", *args, cwd=case, check=True)
    assert "taken from the case" in again.stderr and json.loads(again.stdout) == first

    shutil.rmtree(tmp_path / "models" / "packs" / "opus-mt-zle-en")
    whisper = run("transcribe", *args, cwd=case, check=True)
    assert "taken from the case" not in whisper.stderr
    english = json.loads(whisper.stdout)["translation"]
    assert english["method"].startswith("whisper-translate")
    assert english["model"]["sha256"] == first["model"]["sha256"]
    events = [json.loads(line) for line in run("log", "--json", cwd=case).stdout.splitlines()]
    assert [e["details"]["artefact"]["stage"] for e in events if e["action"] == "transcribe"] == [
        "transcript",
        "transcript",
    ]
