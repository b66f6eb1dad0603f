"""``earwitness models``: list, pack and import, through the real command in a subprocess."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from earwitness.speech.models import PACKAGED
from tests.cli.helpers import run
from tests.conftest import REPO

BASE = PACKAGED["whisper-base"].manifest


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    monkeypatch.setenv("EARWITNESS_MODEL_CACHE", str(root))
    return root


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == 1, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("earwitness: error: "), result.stderr
    return lines[0]


def test_pack_import_and_list_the_base_model(cache: Path, tmp_path: Path) -> None:
    pack = tmp_path / "whisper-base.ewpack"
    made = run("models", "pack", "whisper-base", "-o", pack)
    assert made.returncode == 0, made.stderr
    assert f"{pack}: whisper-base packed, 4 files" in made.stdout
    assert "4 of them checked against pinned hashes" in made.stdout
    assert BASE["model.bin"] in made.stdout

    imported = run("models", "import", pack)
    assert imported.returncode == 0, imported.stderr
    assert f"installed in {cache / 'packs' / 'whisper-base'}" in imported.stdout
    assert "4 of 4 files matched pinned hashes" in imported.stdout

    listed = run("models", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    packed = [r for r in rows if r.get("source", "").startswith("model pack")]
    assert [r["name"] for r in packed] == ["whisper-base"]
    assert packed[0]["status"] == "verified"
    assert {f["path"]: (f["sha256"], f["pinned"]) for f in packed[0]["files"]} == {
        path: (digest, True) for path, digest in BASE.items()
    }
    text = run("models", "list")
    assert text.returncode == 0, text.stderr
    assert f"{BASE['tokenizer.json']}  tokenizer.json  (pinned)" in text.stdout
    assert "earwitness models pack NAME -o NAME.ewpack" in text.stdout


def test_a_tampered_pack_is_one_error_line_and_installs_nothing(
    cache: Path, tmp_path: Path
) -> None:
    pack = tmp_path / "base.ewpack"
    assert run("models", "pack", "whisper-base", "-o", pack).returncode == 0
    # A copy with tokenizer.json changed by one byte, everything else as packed.
    tampered = tmp_path / "tampered.ewpack"
    with (
        tarfile.open(pack) as source,
        tarfile.open(tampered, "w", format=tarfile.PAX_FORMAT) as out,
    ):
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "model/tokenizer.json":
                data = data.replace(b"{", b"[", 1)
            out.addfile(member, io.BytesIO(data))
    shutil.rmtree(cache / "packs", ignore_errors=True)
    line = one_error_line(run("models", "import", tampered))
    assert line.startswith(f"earwitness: error: {tampered}: model/tokenizer.json has SHA-256 ")
    assert not (cache / "packs").exists()


def test_mistakes_are_one_line_each(cache: Path, tmp_path: Path) -> None:
    assert "not a model Earwitness knows" in one_error_line(
        run("models", "pack", "large-v9", "-o", tmp_path / "x.ewpack")
    )
    assert "no such model pack" in one_error_line(run("models", "import", tmp_path / "absent"))
    (tmp_path / "junk.ewpack").write_bytes(b"\0" * 10)
    assert "not an Earwitness model pack" in one_error_line(
        run("models", "import", tmp_path / "junk.ewpack")
    )
    assert run("models", "pack", "whisper-base").returncode == 2  # -o is required: usage error


def test_transcribe_with_a_catalogue_model_not_installed_says_how_to_bring_it(cache: Path) -> None:
    result = run("transcribe", REPO / "samples" / "briefing-en.wav", "--model", "large-v3-turbo")
    assert one_error_line(result) == (
        "earwitness: error: model 'large-v3-turbo' is not installed here; Earwitness never "
        "downloads: on a connected machine run `earwitness models pack large-v3-turbo -o "
        "large-v3-turbo.ewpack`, then `earwitness models import large-v3-turbo.ewpack` here"
    )
