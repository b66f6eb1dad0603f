from pathlib import Path

import pytest

from earwitness.errors import ExhibitNotFound
from earwitness.vault import custody
from earwitness.vault.artefacts import find_artefact, params_sha256, store_artefact
from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from tests.conftest import write_wav


@pytest.fixture
def exhibit(case: Case, tmp_path: Path) -> str:
    [outcome] = ingest_paths(case, [write_wav(tmp_path / "a.wav", 0.2)])
    return outcome.sha256


def test_stored_artefact_is_found_by_the_same_request_only(case: Case, exhibit: str) -> None:
    params = {"enf_nominal": "auto", "window_s": 2.0}
    stored = store_artefact(
        case,
        exhibit,
        "examination",
        b'{"ok": true}',
        filename="examination.json",
        media_type="application/json",
        params=params,
        tool_version="9.9",
        model_sha256=None,
    )
    assert case.store.read_bytes(stored.object_sha256) == b'{"ok": true}'
    same = find_artefact(
        case, exhibit, "examination", {"window_s": 2.0, "enf_nominal": "auto"}, tool_version="9.9"
    )
    assert same == stored
    assert find_artefact(case, exhibit, "examination", params, tool_version="10.0") is None
    assert (
        find_artefact(case, exhibit, "examination", {"window_s": 1.0}, tool_version="9.9") is None
    )
    assert find_artefact(case, exhibit, "transcript", params, tool_version="9.9") is None


def test_artefact_records_model_hash_and_is_logged(case: Case, exhibit: str) -> None:
    model = "b" * 64
    stored = store_artefact(
        case,
        exhibit,
        "transcript",
        b"text",
        filename="t.json",
        media_type="application/json",
        params={"language": "ru"},
        model_sha256=model,
        action="transcribe",
    )
    event = custody.last_event(case.paths.custody)
    assert event.action == "transcribe" and event.exhibit == exhibit
    assert event.details["artefact"]["model_sha256"] == model
    assert event.details["artefact"]["input_sha256"] == exhibit
    assert event.details["artefact"]["params_sha256"] == params_sha256({"language": "ru"})
    assert find_artefact(case, exhibit, "transcript", {"language": "ru"}) is None
    assert (
        find_artefact(case, exhibit, "transcript", {"language": "ru"}, model_sha256=model) == stored
    )


def test_artefact_needs_an_existing_exhibit(case: Case) -> None:
    with pytest.raises(ExhibitNotFound):
        store_artefact(case, "c" * 64, "x", b"", filename="x", media_type="text/plain", params={})
