"""The catalog is an index of the log, not a second truth: every forged row or cell is named,
the bag is built from the log, and reindex restores a catalog that says what the log says."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from earwitness.errors import CaseCorrupt
from earwitness.vault import custody
from earwitness.vault.artefacts import find_artefact, verified_events
from earwitness.vault.private_fields import shown_value
from earwitness.vault.reindex import reindex_catalog
from earwitness.vault.verified_log import CustodyLogInvalid
from earwitness.vault.verify import Problem, verify_case
from tests.cli.helpers import run
from tests.vault.forgery import Filled, filled_case, plant, sql


@pytest.fixture
def filled(tmp_path: Path) -> Filled:
    return filled_case(tmp_path)


def problems(filled: Filled) -> list[Problem]:
    return verify_case(filled.case).problems


def test_untouched_case_verifies(filled: Filled) -> None:
    report = verify_case(filled.case)
    assert report.ok, report.problems
    assert report.events_checked == 5  # init, two ingests, two artefacts


def test_planted_object_behind_one_changed_cell_is_named(filled: Filled) -> None:
    planted = plant(filled.case, b'{"text": "a planted translation"}')
    seq = filled.translation.seq
    sql(filled.case, "UPDATE artefacts SET object_sha256 = ? WHERE seq = ?", planted, seq)
    found = [p for p in problems(filled) if p.kind != "unreferenced_object"]
    assert [p.kind for p in found] == ["catalog_differs"]
    message = found[0].message
    assert f"artefacts row seq {seq}" in message and "'translation.json'" in message
    assert "column object_sha256" in message
    assert planted in message and filled.translation.object_sha256 in message
    # The planted object itself is named too: nothing in the log vouches for it.
    unreferenced = [p for p in problems(filled) if p.kind == "unreferenced_object"]
    assert len(unreferenced) == 1 and planted in unreferenced[0].message


@pytest.mark.parametrize(
    ("table", "column", "forged", "key_column"),
    [
        ("intakes", "original_name", "forged name.wav", "seq"),
        ("intakes", "source", "a trusted source", "seq"),
        ("intakes", "original_path", "/elsewhere/forged.wav", "seq"),
        ("exhibits", "md5", "0" * 32, "sha256"),
        ("exhibits", "size_bytes", 12345, "sha256"),
        ("exhibits", "media", '{"codec": "forged"}', "sha256"),
        ("events", "actor", "someone@else", "seq"),
        ("artefacts", "params", '{"language": "ru"}', "seq"),
    ],
)
def test_each_edited_cell_is_named_by_table_key_and_column(
    filled: Filled, table: str, column: str, forged: object, key_column: str
) -> None:
    key = filled.exhibits[0] if key_column == "sha256" else 2  # seq 2: first intake
    if table == "artefacts":
        key = filled.translation.seq
    sql(filled.case, f"UPDATE {table} SET {column} = ? WHERE {key_column} = ?", forged, key)
    found = problems(filled)
    assert [p.kind for p in found] == ["catalog_differs"], found
    shown_key = str(key)[:12]
    assert f"{table} row {key_column} {shown_key}" in found[0].message
    assert f"column {column} " in found[0].message


def test_a_number_turned_into_text_is_a_difference(filled: Filled) -> None:
    size = filled.translation.size_bytes
    sql(filled.case, "UPDATE artefacts SET size_bytes = ? WHERE seq = ?", f"{size} bytes", 4)
    [found] = problems(filled)
    assert found.kind == "catalog_differs"
    assert f'column size_bytes is "{size} bytes" in the catalog but {size} in' in found.message


def test_unparsable_json_cell_is_a_difference_not_a_crash(filled: Filled) -> None:
    sql(filled.case, "UPDATE intakes SET file_times = ? WHERE seq = 2", "{not json")
    [found] = problems(filled)
    assert found.kind == "catalog_differs" and "unreadable JSON" in found.message


def test_rows_the_log_does_not_hold_are_named(filled: Filled) -> None:
    fake = "f" * 64
    sql(
        filled.case,
        "INSERT INTO exhibits (sha256, md5, size_bytes, first_seq) VALUES (?, ?, ?, ?)",
        fake,
        "0" * 32,
        1,
        2,
    )
    sql(
        filled.case,
        "INSERT INTO artefacts SELECT 99, ?, object_sha256, stage, 'extra.json', media_type, "
        "size_bytes, tool_version, params_sha256, params, input_sha256, model_sha256, created_at "
        "FROM artefacts WHERE seq = 4",
        fake,
    )
    found = {(p.kind, p.message.split(":")[0]) for p in problems(filled)}
    assert ("catalog_extra_row", f"catalog exhibits row sha256 {fake[:12]}") in found
    assert (
        "catalog_extra_row",
        "catalog artefacts row seq 99 ('extra.json', translation, object "
        f"{filled.translation.object_sha256[:12]})",
    ) in found


@pytest.mark.parametrize("table", ["intakes", "artefacts", "exhibits"])
def test_rows_missing_from_the_catalog_are_named(filled: Filled, table: str) -> None:
    if table == "exhibits":
        sql(filled.case, "DELETE FROM exhibits WHERE sha256 = ?", filled.exhibits[1])
    else:
        sql(filled.case, f"DELETE FROM {table} WHERE seq = ?", 3 if table == "intakes" else 4)
    found = problems(filled)
    assert [p.kind for p in found] == ["catalog_missing_row"]
    assert (
        f"catalog {table} row" in found[0].message
        and "missing from the catalog" in found[0].message
    )


def test_a_catalog_merely_behind_the_log_is_a_note(filled: Filled) -> None:
    # As a crash between the log append and the catalog commit leaves it: the last event's rows
    # never reached the catalog.
    last = filled.examination.seq
    sql(filled.case, "DELETE FROM artefacts WHERE seq = ?", last)
    sql(filled.case, "DELETE FROM events WHERE seq = ?", last)
    report = verify_case(filled.case)
    assert report.ok, report.problems
    assert any("1 event(s) behind" in note for note in report.notes)


def test_event_row_with_another_hash_is_still_an_edit(filled: Filled) -> None:
    sql(filled.case, "UPDATE events SET hash = ? WHERE seq = 3", "0" * 64)
    found = problems(filled)
    assert [p.kind for p in found] == ["edited"] and "event 3" in found[0].message


def test_forged_catalog_cells_never_reach_the_bag(filled: Filled, tmp_path: Path) -> None:
    from earwitness.vault.package_export import export_bag
    from earwitness.vault.package_read import verify_package

    case = filled.case
    sql(
        case,
        "UPDATE intakes SET original_name = '../../forged.wav', source = 'forged' WHERE seq = 2",
    )
    sql(
        case,
        "UPDATE exhibits SET md5 = ?, size_bytes = 1 WHERE sha256 = ?",
        "0" * 32,
        filled.exhibits[0],
    )
    planted = plant(case, b"planted")
    sql(
        case,
        "UPDATE artefacts SET object_sha256 = ?, filename = 'forged.json' WHERE seq = ?",
        planted,
        filled.translation.seq,
    )
    bag = export_bag(case, None, tmp_path / "bag")
    catalog = json.loads((bag / "data" / "catalog.json").read_text(encoding="utf-8"))
    first = catalog["exhibits"][0]
    assert first["intakes"][0]["original_name"] == "звонок 0.wav"
    # the source travels as its commitment only (vault.private_fields)
    assert shown_value(case, first["intakes"][0]["source"]) == "a drop"
    assert first["md5"] != "0" * 32 and first["size_bytes"] > 1
    [artefact] = first["artefacts"]
    assert artefact["object_sha256"] == filled.translation.object_sha256
    assert artefact["filename"] == "translation.json"
    names = {path.name for path in (bag / "data").rglob("*") if path.is_file()}
    assert {"звонок 0.wav", "звонок 1.wav", "translation.json"} <= names
    assert not {"forged.wav", "forged.json", "planted"} & names
    assert planted not in {p.name for p in (bag / "data").rglob("*")}
    assert verify_package(bag).ok


def test_reindex_restores_a_catalog_that_says_what_the_log_says(filled: Filled) -> None:
    case = filled.case
    planted = plant(case, b"planted")
    sql(
        case,
        "UPDATE artefacts SET object_sha256 = ? WHERE seq = ?",
        planted,
        filled.translation.seq,
    )
    sql(case, "UPDATE intakes SET original_name = 'forged.wav' WHERE seq = 2")
    sql(case, "DELETE FROM intakes WHERE seq = 3")
    assert len(problems(filled)) == 4  # three catalog differences and the planted object
    done = reindex_catalog(case)
    assert {p.kind for p in done.repaired} == {"catalog_differs", "catalog_missing_row"}
    assert done.event.action == "reindex" and done.event.details["differences_repaired"] == 3
    report = verify_case(case)
    assert [p.kind for p in report.problems] == ["unreferenced_object"]  # the planted object
    assert planted in report.problems[0].message
    found = find_artefact(case, filled.exhibits[0], "translation", {"language": "en"})
    assert found is not None and found.object_sha256 == filled.translation.object_sha256
    assert not Path(f"{case.paths.catalog}.rebuilding").exists()
    with sqlite3.connect(case.paths.catalog) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reindex_rebuilds_an_unreadable_catalog(filled: Filled) -> None:
    case = filled.case
    case.close_catalog()
    case.paths.catalog.write_bytes(b"this is not a database" * 100)
    assert [p.kind for p in problems(filled)] == ["catalog_unreadable"]
    case.close_catalog()
    done = reindex_catalog(case)
    assert [p.kind for p in done.repaired] == ["catalog_unreadable"]
    assert verify_case(case).ok


def test_reindex_refuses_a_log_that_does_not_verify(filled: Filled) -> None:
    case = filled.case
    lines = case.paths.custody.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace("звонок".encode(), b"forged")
    case.paths.custody.write_bytes(b"".join(lines))
    catalog_before = case.paths.catalog.read_bytes()
    with pytest.raises(CustodyLogInvalid, match="does not verify: event 3"):
        reindex_catalog(case)
    assert case.paths.catalog.read_bytes() == catalog_before
    with pytest.raises(CustodyLogInvalid):
        verified_events(case)


def test_reindex_keeps_the_only_witness_of_a_truncated_log_unless_forced(filled: Filled) -> None:
    case = filled.case
    lines = case.paths.custody.read_bytes().splitlines(keepends=True)
    case.paths.custody.write_bytes(b"".join(lines[:-1]))  # the last event, cut away
    with pytest.raises(CaseCorrupt, match="missing from the custody log"):
        reindex_catalog(case)
    done = reindex_catalog(case, force=True)
    assert any(p.kind == "deleted" for p in done.repaired)
    assert "missing from the custody log" in " ".join(done.event.details["differences"])
    # The cut event's object is left, named by no event: verify says so.
    found = verify_case(case).problems
    assert [p.kind for p in found] == ["unreferenced_object"]
    assert filled.examination.object_sha256 in found[0].message


def test_cli_verify_fails_naming_the_row_and_reindex_repairs_it(filled: Filled) -> None:
    case = filled.case
    sql(case, "UPDATE intakes SET source = 'forged' WHERE seq = 2")
    case.close_catalog()  # reindex refuses while another process has the catalog open
    case_dir = case.paths.root
    failed = run("verify", "--case", case_dir)
    assert failed.returncode == 1
    assert "PROBLEM [catalog_differs]: catalog intakes row seq 2" in failed.stdout
    assert "column source" in failed.stdout
    assert "'earwitness reindex' rebuilds it" in failed.stderr
    rebuilt = run("reindex", "--case", case_dir)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "repaired [catalog_differs]" in rebuilt.stdout and "Rebuilt" in rebuilt.stdout
    assert run("verify", "--case", case_dir).returncode == 0
    log = run("log", "--case", case_dir).stdout
    assert "reindex" in log and "1 difference(s) repaired" in log
    events = list(custody.iter_events(case.paths.custody))
    assert [e.action for e in events][-3:] == ["verify", "reindex", "verify"]


def test_cli_reindex_refuses_a_broken_log_in_one_line(filled: Filled) -> None:
    case = filled.case
    lines = case.paths.custody.read_bytes().splitlines(keepends=True)
    case.paths.custody.write_bytes(b"".join([lines[0], lines[2], lines[1], *lines[3:]]))
    result = run("reindex", "--case", case.paths.root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "does not verify" in result.stderr


def test_reindex_refuses_while_another_connection_has_the_catalog_open(filled: Filled) -> None:
    from earwitness.errors import EarwitnessError

    case = filled.case
    sql(case, "UPDATE intakes SET source = 'forged' WHERE seq = 2")
    reader = sqlite3.connect(case.paths.catalog)
    try:
        reader.execute("SELECT count(*) FROM intakes").fetchone()
        with pytest.raises(EarwitnessError, match="another process has the catalog open"):
            reindex_catalog(case)
    finally:
        reader.close()
    assert not verify_case(case).ok  # nothing was replaced
    reindex_catalog(case)
    assert verify_case(case).ok


def test_cli_verify_and_reindex_handle_a_catalog_that_is_not_a_database(filled: Filled) -> None:
    case = filled.case
    case.close_catalog()
    case.paths.catalog.write_bytes(b"this is not a database" * 100)
    failed = run("verify", "--case", case.paths.root)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert "PROBLEM [catalog_unreadable]" in failed.stdout and "reindex" in failed.stdout
    assert "verification not logged" in failed.stderr
    rebuilt = run("reindex", "--case", case.paths.root)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert run("verify", "--case", case.paths.root).returncode == 0


def every_column() -> list[tuple[str, str]]:
    from earwitness.vault.catalog import TABLES

    return [
        (table, column.name)
        for table, mapped in TABLES.items()
        for column in mapped.__table__.columns
    ]


@pytest.mark.parametrize(("table", "column"), every_column())
def test_any_cell_of_any_table_edited_is_named(filled: Filled, table: str, column: str) -> None:
    from sqlalchemy import JSON, Integer

    from earwitness.vault.catalog import TABLES

    spec = TABLES[table].__table__.columns[column]
    forged: object = "forged"
    if isinstance(spec.type, JSON):
        forged = '{"forged": true}'
    elif isinstance(spec.type, Integer):
        forged = 987654
    key_column, key = ("sha256", filled.exhibits[0]) if table == "exhibits" else ("seq", 4)
    if table == "intakes":
        key = 2
    sql(filled.case, f'UPDATE {table} SET "{column}" = ? WHERE {key_column} = ?', forged, key)
    kinds = [p.kind for p in problems(filled)]
    if column == key_column:  # the row moved: the forged key is extra, the true one missing
        assert {"catalog_missing_row"} <= set(kinds) and len(kinds) >= 2, kinds
    elif (table, column) == ("events", "hash"):
        assert kinds == ["edited"]
    else:
        assert kinds == ["catalog_differs"], kinds


def test_a_write_refuses_a_catalog_with_rows_ahead_of_the_log(filled: Filled) -> None:
    from earwitness.vault.artefacts import store_artefact

    case = filled.case
    last = filled.examination.seq
    sql(case, "DELETE FROM events WHERE seq = ?", last)  # behind by one event…
    # …but already holding that event's artefact row, edited: not what the log implies.
    sql(case, "UPDATE artefacts SET filename = 'planted.json' WHERE seq = ?", last)
    with pytest.raises(CaseCorrupt, match=r"holds rows the custody log does not.*reindex"):
        store_artefact(
            case, filled.exhibits[0], "x", b"x", filename="x", media_type="text/plain", params={}
        )
    reindex_catalog(case)
    # The refused write's object was stored before the refusal: nothing logs it, verify names it.
    assert [p.kind for p in verify_case(case).problems] == ["unreferenced_object"]
