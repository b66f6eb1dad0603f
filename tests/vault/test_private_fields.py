"""Private intake fields: commitments in the log, values in the case's encrypted side table."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from earwitness.errors import CaseNotWritable
from earwitness.vault import custody
from earwitness.vault.case import Case
from earwitness.vault.catalog import Intake
from earwitness.vault.commitments import commitment_in_cell, commitment_of, logged_commitment
from earwitness.vault.intake import ingest_paths
from earwitness.vault.private_fields import (
    HIDDEN,
    DisclosureCheck,
    check_disclosures,
    disclosure_document,
    disclosure_file,
    disclosures,
    fields_in_clear,
    reveal,
    seal_private_details,
    shown_value,
)
from earwitness.vault.projection import project
from earwitness.vault.verified_log import exhibit_record, verified_events
from earwitness.vault.verify import verify_case
from tests.conftest import write_wav

SOURCE = "Ivan Sidorov, Minsk"
NOTE = "met at the Café Zorka"


@pytest.fixture
def ingested(case: Case, tmp_path: Path) -> tuple[Case, str, Path]:
    path = write_wav(tmp_path / "from Ivan Sidorov" / "call.wav", 0.2)
    [outcome] = ingest_paths(case, [path], source=SOURCE, note=NOTE)
    assert outcome.sha256
    return case, outcome.sha256, path


def _every_file_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_the_log_and_catalog_hold_commitments_not_values(ingested) -> None:
    case, _, path = ingested
    event = custody.last_event(case.paths.custody)
    assert event is not None and event.action == "ingest"
    for field in ("original_path", "source", "note"):
        assert logged_commitment(event.details[field]), field
    assert event.details["original_name"] == "call.wav"
    case.close_catalog()
    stored = _every_file_under(case.paths.meta)
    for secret in (SOURCE, NOTE, "Sidorov", str(path.parent)):
        assert secret.encode() not in stored, secret
    with case.session() as session:
        intake = session.scalars(select(Intake)).one()
    assert commitment_in_cell(intake.source) == event.details["source"]["commitment"]
    assert verify_case(case).ok


def test_values_read_back_here_and_show_as_private_elsewhere(
    ingested, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case, sha256, path = ingested
    record = exhibit_record(case, sha256)
    assert shown_value(case, record.source) == SOURCE
    assert shown_value(case, record.note) == NOTE
    assert shown_value(case, record.original_path) == str(path.absolute())
    copied = tmp_path / "copy"
    shutil.copytree(case.paths.root, copied)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "another machine"))
    elsewhere = Case.open(copied)
    assert shown_value(elsewhere, record.source) == HIDDEN
    assert disclosures(elsewhere, verified_events(elsewhere))[0] == []
    assert verify_case(elsewhere).ok  # the values are not needed to verify


def test_each_commitment_opens_by_the_readme_rule(ingested) -> None:
    case, sha256, _ = ingested
    events = verified_events(case)
    opened, missing = disclosures(case, events, [sha256])
    assert not missing and {d.field for d in opened} == {"original_path", "source", "note"}
    by_seq = {e.seq: e for e in events}
    for item in disclosure_document(opened)["disclosures"]:
        by_hand = hashlib.sha256(bytes.fromhex(item["salt"]) + item["value"].encode()).hexdigest()
        assert by_hand == by_seq[item["seq"]].details[item["field"]]["commitment"]
    assert check_disclosures(events, disclosure_document(opened)) == []


def test_salts_differ_so_equal_values_give_unrelated_commitments(case: Case, tmp_path) -> None:
    files = [write_wav(tmp_path / f"{n}.wav", 0.1, seed=n) for n in range(2)]
    ingest_paths(case, files, source="same source")
    events = [e for e in verified_events(case) if e.action == "ingest"]
    commitments = {e.details["source"]["commitment"] for e in events}
    assert len(commitments) == 2
    assert commitment_of("same source", b"\0" * 32) not in commitments


def test_false_unmatched_and_malformed_disclosures_are_named(ingested) -> None:
    case, sha256, _ = ingested
    events = verified_events(case)
    opened, _ = disclosures(case, events, [sha256])
    document = disclosure_document(opened)
    lie = {**document["disclosures"][0], "value": "someone else"}
    elsewhere = {**document["disclosures"][0], "seq": 1}
    kinds = [
        p.kind
        for p in check_disclosures(events, {"disclosures": [lie, elsewhere, {"seq": "x"}, 7]})
    ]
    assert kinds == [
        "disclosure_false",
        "disclosure_unmatched",
        "disclosure_malformed",
        "disclosure_malformed",
    ]
    assert [p.kind for p in check_disclosures(events, [])] == ["disclosure_malformed"]


def test_an_altered_side_table_entry_is_not_believed(ingested) -> None:
    case, sha256, _ = ingested
    commitment = exhibit_record(case, sha256).source
    assert commitment is not None
    entry = case.paths.meta / "private" / f"{commitment_in_cell(commitment)}.sealed"
    data = bytearray(entry.read_bytes())
    data[-1] ^= 1
    entry.write_bytes(bytes(data))
    assert reveal(case, str(commitment_in_cell(commitment))) is None
    assert shown_value(case, commitment) == HIDDEN


def test_a_log_written_before_commitments_still_verifies_and_projects(case: Case) -> None:
    sha256 = case.store.put_bytes(b"an old recording").sha256
    details = {
        "original_name": "old.wav",
        "original_path": "/home/someone/old.wav",
        "file_times": {},
        "size_bytes": 16,
        "md5": hashlib.md5(b"an old recording").hexdigest(),
        "source": "in clear",
        "note": None,
    }
    with case.writing():
        case.record("ingest", sha256, details)
    assert verify_case(case).ok
    [intake] = project(verified_events(case)).intakes.values()
    assert (intake.source, intake.original_path, intake.note) == (
        "in clear",
        "/home/someone/old.wav",
        None,
    )
    assert shown_value(case, intake.source) == "in clear"
    assert fields_in_clear(verified_events(case)) == [
        "event 2: original_path is in the custody log in clear",
        "event 2: source is in the custody log in clear",
    ]


def test_a_streaming_reader_checks_the_same_as_check_disclosures(ingested) -> None:
    case, sha256, _ = ingested
    events = verified_events(case)
    data = disclosure_file(case, [sha256])
    assert data is not None and SOURCE.encode() in data
    honest = DisclosureCheck(data)
    for event in events:
        honest.see(event)
    assert honest.problems() == []
    forged = DisclosureCheck(data.replace(SOURCE.encode(), b"Someone Else"))
    for event in events:
        forged.see(event)
    assert [p.kind for p in forged.problems()] == ["disclosure_false"]
    assert [p.kind for p in DisclosureCheck(b"{not json").problems()] == ["disclosure_malformed"]
    assert DisclosureCheck(None).problems() == []
    assert disclosure_file(case, ["0" * 64]) is None


def test_no_place_for_the_secret_refuses_the_intake_and_records_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = case.paths.custody.read_bytes()
    blocker = tmp_path / "config is a file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    with pytest.raises(CaseNotWritable, match="cannot keep the private fields"):
        seal_private_details(case, {"source": SOURCE})
    assert case.paths.custody.read_bytes() == before
    side_table = case.paths.meta / "private"
    assert not side_table.exists() or not list(side_table.iterdir())


def test_a_disclosure_for_a_rewritten_event_says_so(ingested) -> None:
    case, sha256, _ = ingested
    events = verified_events(case)
    opened, _ = disclosures(case, events, [sha256])
    entry = {**disclosure_document(opened)["disclosures"][0], "event": "0" * 64}
    [problem] = check_disclosures(events, {"disclosures": [entry]})
    assert problem.kind == "disclosure_unmatched"
    assert f"not event {entry['seq']} of this log" in problem.message
