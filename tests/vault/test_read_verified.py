"""read_verified serves an artefact only when its bytes, its catalog row and its signed event
agree; verified_events and exhibit_record take facts from the checked log, never the catalog."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from earwitness.errors import EarwitnessError, ExhibitNotFound
from earwitness.vault import custody
from earwitness.vault.artefacts import (
    ArtefactTampered,
    CustodyLogInvalid,
    exhibit_record,
    find_artefact,
    list_artefacts,
    read_verified,
    store_artefact,
    verified_events,
)
from earwitness.vault.keys import Signer
from earwitness.vault.private_fields import shown_value
from tests.vault.forgery import Filled, filled_case, plant, sql


@pytest.fixture
def filled(tmp_path: Path) -> Filled:
    return filled_case(tmp_path)


def found_translation(filled: Filled, exhibit: str | None = None):  # type: ignore[no-untyped-def]
    found = find_artefact(
        filled.case, exhibit or filled.exhibits[0], "translation", {"language": "en"}
    )
    assert found is not None
    return found


def test_an_intact_artefact_is_read(filled: Filled) -> None:
    record = found_translation(filled)
    assert read_verified(filled.case, record) == b'{"text": "the true translation"}'
    assert record == filled.translation


def test_planted_object_behind_a_changed_cell_is_refused(filled: Filled) -> None:
    planted = plant(filled.case, b'{"text": "a planted translation"}')
    sql(filled.case, "UPDATE artefacts SET object_sha256 = ? WHERE seq = ?", planted, 4)
    record = found_translation(filled)
    assert record.object_sha256 == planted  # the catalog look-up is fooled…
    with pytest.raises(ArtefactTampered) as caught:  # …the verified read is not
        read_verified(filled.case, record)
    message = str(caught.value)
    assert "'translation.json'" in message and "translation," in message
    assert planted[:12] in message and "custody event 4" in message
    assert "object_sha256" in message and "\n" not in message
    assert caught.value.exit_code == 1


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("filename", "other.json"),
        ("media_type", "text/html"),
        ("size_bytes", 1),
        ("tool_version", "0.0.1"),
        ("input_sha256", "0" * 64),
        ("model_sha256", "1" * 64),
        ("created_at", "2020-01-01T00:00:00.000000Z"),
    ],
)
def test_any_changed_cell_is_refused_by_name(filled: Filled, column: str, value: object) -> None:
    sql(filled.case, f"UPDATE artefacts SET {column} = ? WHERE seq = 4", value)
    [record] = [r for r in list_artefacts(filled.case) if r.seq == 4]  # as the catalog has it
    assert getattr(record, column) == value
    with pytest.raises(
        ArtefactTampered, match=f"{column} is .* in the catalog but .* signed event"
    ):
        read_verified(filled.case, record)


def test_changed_parameters_are_refused(filled: Filled) -> None:
    forged = dataclasses.replace(filled.translation, params={"language": "ru"})
    with pytest.raises(ArtefactTampered, match="params is"):
        read_verified(filled.case, forged)


def test_an_edited_object_is_refused(filled: Filled) -> None:
    path = filled.case.store.path_for(filled.translation.object_sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b'{"text": "an edited translation"}')
    with pytest.raises(ArtefactTampered, match=r"now hashes to .*; it was altered"):
        read_verified(filled.case, found_translation(filled))


def test_a_missing_object_is_refused(filled: Filled) -> None:
    filled.case.store.path_for(filled.translation.object_sha256).unlink()
    with pytest.raises(ArtefactTampered, match="the stored object is missing"):
        read_verified(filled.case, filled.translation)


def test_a_record_whose_event_is_of_another_exhibit_is_refused(filled: Filled) -> None:
    # The catalog moves exhibit 0's translation over to exhibit 1.
    sql(filled.case, "UPDATE artefacts SET exhibit_sha256 = ? WHERE seq = 4", filled.exhibits[1])
    record = found_translation(filled, filled.exhibits[1])
    with pytest.raises(ArtefactTampered, match=f"of exhibit {filled.exhibits[0][:12]}, not of"):
        read_verified(filled.case, record)


def test_a_record_pointing_at_a_non_artefact_or_absent_event_is_refused(filled: Filled) -> None:
    with pytest.raises(ArtefactTampered, match="'ingest' event, not an artefact's"):
        read_verified(filled.case, dataclasses.replace(filled.translation, seq=2))
    with pytest.raises(ArtefactTampered, match="no such event"):
        read_verified(filled.case, dataclasses.replace(filled.translation, seq=99))


def forge_artefact_event(filled: Filled, signer: Signer, content: bytes) -> custody.Event:
    """Append a well-formed artefact event signed by ``signer`` and index it in the catalog."""
    case = filled.case
    digest = plant(case, content)
    logged = {
        field: getattr(filled.translation, field)
        for field in ("stage", "media_type", "tool_version", "params", "params_sha256")
    }
    logged |= {
        "object_sha256": digest,
        "filename": "translation.json",
        "size_bytes": len(content),
        "input_sha256": filled.exhibits[0],
        "model_sha256": None,
    }
    event = custody.make_event(
        signer, "translation", filled.exhibits[0], {"artefact": logged}, case.head()
    )
    custody.append_event(case.paths.custody, event)
    with case.writing():  # brings the catalog up to the log, as the next command would
        pass
    return event


def test_an_event_signed_by_an_unregistered_key_is_refused(filled: Filled) -> None:
    forger = Signer("tester@lab", Ed25519PrivateKey.generate())
    event = forge_artefact_event(filled, forger, b'{"text": "forged"}')
    record = found_translation(filled)
    assert record.seq == event.seq  # the newest artefact for this request is the forged one
    with pytest.raises(ArtefactTampered, match="signed by a key not registered in the case"):
        read_verified(filled.case, record)


def test_an_event_signed_by_a_registered_key_is_accepted(filled: Filled) -> None:
    # Same construction as the forgery above, by the case's own signer: the test of the test.
    event = forge_artefact_event(filled, filled.case.signer, b'{"text": "second opinion"}')
    assert read_verified(filled.case, found_translation(filled)) == b'{"text": "second opinion"}'
    assert verified_events(filled.case)[-1] == event


def test_verified_events_follow_appends_and_catch_edits_made_after_a_check(filled: Filled) -> None:
    case = filled.case
    before = verified_events(case)
    assert [e.action for e in before] == ["init", "ingest", "ingest", "translation", "examination"]
    added = store_artefact(
        case,
        filled.exhibits[1],
        "summary",
        b"short",
        filename="summary.txt",
        media_type="text/plain",
        params={},
    )
    after = verified_events(case)
    assert after[:-1] == before and after[-1].seq == added.seq
    assert read_verified(case, added) == b"short"
    lines = case.paths.custody.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"original_name":"', b'"original_name":"a trap ')
    case.paths.custody.write_bytes(b"".join(lines))
    with pytest.raises(CustodyLogInvalid, match=r"event 2 .*edited") as caught:
        verified_events(case)
    assert isinstance(caught.value, EarwitnessError) and "\n" not in str(caught.value)
    with pytest.raises(ArtefactTampered, match="custody log does not verify"):
        read_verified(case, added)


def test_exhibit_record_comes_from_the_log_not_the_catalog(filled: Filled) -> None:
    case = filled.case
    sql(case, "UPDATE intakes SET original_name = 'forged.wav', source = 'forged' WHERE seq = 2")
    sql(
        case,
        "UPDATE exhibits SET md5 = ?, size_bytes = 1 WHERE sha256 = ?",
        "0" * 32,
        filled.exhibits[0],
    )
    record = exhibit_record(case, filled.exhibits[0])
    assert record.original_name == "звонок 0.wav" and shown_value(case, record.source) == "a drop"
    assert (
        record.md5 != "0" * 32
        and record.size_bytes == case.store.path_for(record.sha256).stat().st_size
    )
    assert record.first_seq == 2 and record.received_at == verified_events(case)[1].time
    assert record.media is not None and record.media["sample_rate"] == 8000
    assert record.file_times and record.actor == "tester@lab" and record.note is None
    with pytest.raises(ExhibitNotFound):
        exhibit_record(case, "f" * 64)
