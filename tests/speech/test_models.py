"""Models are found offline, joined once, and refused when any file differs from its hash."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from earwitness.speech import models
from tests.cli.helpers import run
from tests.conftest import REPO

BASE = models.PACKAGED["whisper-base"]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    monkeypatch.setenv("EARWITNESS_MODEL_CACHE", str(root))
    return root


def test_packaged_model_is_joined_once_and_matches_the_published_hash(cache: Path) -> None:
    resolved = models.resolve_model()
    assert resolved.origin == "package"
    assert resolved.sha256 == "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
    assert resolved.directory.parent == cache
    assert set(resolved.files) == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    first_inode = (resolved.directory / "model.bin").stat().st_ino
    again = models.resolve_model("whisper-base")
    assert (again.directory / "model.bin").stat().st_ino == first_inode  # not joined twice
    assert [p.name for p in cache.iterdir()] == [resolved.directory.name]  # no staging left


def test_a_cached_model_altered_later_is_refused(cache: Path) -> None:
    resolved = models.resolve_model()
    tokenizer = resolved.directory / "tokenizer.json"
    tokenizer.write_bytes(tokenizer.read_bytes().replace(b'"', b"'", 1))
    with pytest.raises(models.ModelError, match=r"tokenizer.json: SHA-256 is .* refusing to load"):
        models.resolve_model()


def test_parts_that_do_not_join_to_the_manifest_leave_nothing_behind(cache: Path) -> None:
    wrong = dataclasses.replace(BASE, manifest={**BASE.manifest, "model.bin": "0" * 64})
    with pytest.raises(models.ModelError, match=r"model.bin: SHA-256 is d01c3014"):
        models.install_packaged(wrong)
    assert list(cache.iterdir()) == []


def test_missing_wheel_names_the_package(cache: Path) -> None:
    ghost = dataclasses.replace(BASE, parts=(("no_such_model_package", "data/x"),))
    with pytest.raises(models.ModelError, match=r"'no_such_model_package' is not installed"):
        models.install_packaged(ghost)


def _model_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "my-model"
    folder.mkdir()
    files = {"model.bin": b"weights", "config.json": b"{}", "tokenizer.json": b"{}"}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def test_a_local_directory_is_hashed_and_checked_against_its_sums(tmp_path: Path) -> None:
    folder = _model_dir(tmp_path)
    resolved = models.resolve_model(str(folder))
    assert resolved.origin == "directory" and resolved.name == "my-model"
    assert resolved.sha256 == hashlib.sha256(b"weights").hexdigest()
    sums = "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in folder.iterdir()
    )
    (folder / "SHA256SUMS").write_text(sums)
    assert models.resolve_model(str(folder)).sha256 == resolved.sha256
    (folder / "config.json").write_bytes(b'{"altered": true}')
    with pytest.raises(models.ModelError, match=r"config.json: SHA-256"):
        models.resolve_model(str(folder))


def test_a_directory_without_model_bin_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(models.ModelError, match=r"no model.bin"):
        models.resolve_model(str(tmp_path))
    with pytest.raises(models.ModelError, match=r"no such model directory"):
        models.resolve_model(str(tmp_path / "absent"))


def test_known_weights_are_named_wherever_they_lie(cache: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copied-base"
    shutil.copytree(models.resolve_model().directory, copy)
    assert models.resolve_model(str(copy)).name == "faster-whisper-base"


def test_models_command_lists_verified_hashes(cache: Path) -> None:
    result = run("models", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert rows["whisper-base"]["status"] == "verified"
    assert rows["whisper-base"]["sha256"] == BASE.manifest["model.bin"]
    assert rows["silero-vad-v6"]["status"] == "verified"
    assert rows["resemblyzer-0.1.4/GE2E"]["status"] == "verified"


def test_a_model_folder_without_its_tokenizer_is_refused(tmp_path: Path) -> None:
    folder = _model_dir(tmp_path)
    (folder / "tokenizer.json").unlink()  # faster-whisper would fetch one from the hub
    with pytest.raises(models.ModelError, match=r"no tokenizer.json"):
        models.resolve_model(str(folder))


# Every socket the interpreter opens, resolves or connects raises: the audit hook is installed
# before Earwitness is imported, so nothing can reach the network unseen.
_NO_SOCKETS = """
import sys
seen = []
def hook(event, args):
    if event.startswith("socket."):
        seen.append(event)
        raise RuntimeError("network used: " + event)
sys.addaudithook(hook)
from earwitness.speech.models import ModelError, resolve_model
try:
    print(resolve_model(sys.argv[1]).directory)
except ModelError as exc:
    print("refused:", exc)
print("sockets:", seen)
"""


def _resolve_in_fresh_process(spec: str, hub_cache: Path) -> list[str]:
    env = {
        **os.environ,
        "HF_HUB_CACHE": str(hub_cache),
        "HF_HUB_OFFLINE": "0",
        "EARWITNESS_MODEL_CACHE": str(hub_cache.parent / "models"),
    }
    result = subprocess.run(
        [sys.executable, "-c", _NO_SOCKETS, spec],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return result.stdout.splitlines()


def test_a_model_not_on_disk_is_refused_in_one_line_without_a_socket(tmp_path: Path) -> None:
    refused, sockets = _resolve_in_fresh_process("large-v3", tmp_path / "hub")
    assert refused == (
        "refused: model 'large-v3' is not installed here; Earwitness never downloads: on a "
        "connected machine run `earwitness models pack large-v3 -o large-v3.ewpack`, then "
        "`earwitness models import large-v3.ewpack` here"
    )
    assert sockets == "sockets: []"
    refused, sockets = _resolve_in_fresh_process("large-v2", tmp_path / "hub")  # not catalogued
    assert refused == (
        "refused: model 'large-v2' is not installed here; Earwitness never downloads: copy its "
        "faster-whisper folder (Systran/faster-whisper-large-v2 on Hugging Face) to "
        f"{tmp_path / 'models' / 'large-v2'}, or pass --model DIR"
    )
    assert sockets == "sockets: []"


def test_a_hub_model_already_on_disk_is_taken_from_the_cache(tmp_path: Path) -> None:
    snapshot = tmp_path / "hub" / "models--Systran--faster-whisper-tiny" / "snapshots" / "c0ffee"
    shutil.copytree(_model_dir(tmp_path), snapshot)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("c0ffee")
    directory, sockets = _resolve_in_fresh_process("tiny", tmp_path / "hub")
    assert Path(directory) == snapshot
    assert sockets == "sockets: []"


def test_transcribe_with_a_missing_model_is_one_line(tmp_path: Path) -> None:
    result = run("transcribe", REPO / "samples" / "briefing-en.wav", "--model", "large-v3")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"earwitness: error: {models.not_installed('large-v3')}"]


def test_a_folder_copied_into_the_model_cache_is_found_by_its_name(
    cache: Path, tmp_path: Path
) -> None:
    shutil.copytree(_model_dir(tmp_path), cache / "my-large-v3")
    resolved = models.resolve_model("my-large-v3")
    assert (resolved.name, resolved.origin) == ("my-large-v3", "directory")
    assert resolved.directory == (cache / "my-large-v3").resolve()


def test_a_catalogue_name_is_never_taken_from_a_plain_folder(cache: Path, tmp_path: Path) -> None:
    # Only a verified pack answers to "large-v3": a folder of that name proves nothing.
    shutil.copytree(_model_dir(tmp_path), cache / "large-v3")
    with pytest.raises(models.ModelError, match=r"earwitness models pack large-v3"):
        models.resolve_model("large-v3")
