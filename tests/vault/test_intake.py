import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from earwitness.errors import CaseNotWritable
from earwitness.vault import custody
from earwitness.vault.case import Case
from earwitness.vault.catalog import Exhibit, Intake
from earwitness.vault.intake import Status, expand_inputs, ingest_paths
from earwitness.vault.private_fields import shown_value
from earwitness.vault.verify import verify_case
from tests.conftest import encode, write_wav


def statuses(outcomes) -> list[tuple[str, Status]]:
    return [(o.path.name, o.status) for o in outcomes]


def test_ingest_records_hashes_media_times_and_custody(case: Case, tmp_path: Path) -> None:
    path = write_wav(tmp_path / "in" / "call.wav", 0.5)
    os.utime(path, (1_600_000_000, 1_600_000_000))
    [outcome] = ingest_paths(case, [path], source="Signal", note="as received")
    assert outcome.status is Status.INGESTED and outcome.new_exhibit
    with case.session() as session:
        exhibit = session.get_one(Exhibit, outcome.sha256)
        intake = session.scalars(select(Intake)).one()
    assert exhibit.size_bytes == path.stat().st_size
    assert exhibit.media["codec"] == "pcm_s16le"
    assert exhibit.media["sample_rate"] == 8000
    assert exhibit.media["streams"][0]["bits_per_sample"] == 16
    assert exhibit.media["streams"][0]["frames"] == 4000
    assert intake.file_times["modified"] == "2020-09-13T12:26:40.000000Z"
    # source and note are commitments in the catalog; the side table opens them here
    assert (shown_value(case, intake.source), shown_value(case, intake.note)) == (
        "Signal",
        "as received",
    )
    assert intake.original_name == "call.wav" and intake.source.startswith("commitment:")
    assert case.store.path_for(outcome.sha256).read_bytes() == path.read_bytes()
    event = custody.last_event(case.paths.custody)
    assert event.action == "ingest" and event.exhibit == outcome.sha256
    assert event.details["md5"] == exhibit.md5


def test_same_content_twice_is_one_exhibit_with_two_intakes(case: Case, tmp_path: Path) -> None:
    first = write_wav(tmp_path / "a.wav", 0.2)
    second = tmp_path / "copy of a.wav"
    second.write_bytes(first.read_bytes())
    outcomes = ingest_paths(case, [first, second])
    assert outcomes[0].new_exhibit and not outcomes[1].new_exhibit
    with case.session() as session:
        assert len(session.scalars(select(Exhibit)).all()) == 1
        assert len(session.scalars(select(Intake)).all()) == 2


def test_bad_inputs_each_get_one_line_and_the_batch_goes_on(case: Case, tmp_path: Path) -> None:
    good = write_wav(tmp_path / "Запись разговора 1.wav", 0.2)
    empty = tmp_path / "empty.wav"
    empty.touch()
    garbage = tmp_path / "noise.wav"
    garbage.write_bytes(os.urandom(3000))
    truncated = tmp_path / "cut.mp3"
    data = encode(tmp_path / "full.mp3", "libmp3lame", "mp3", 2.0).read_bytes()
    truncated.write_bytes(data[:300])
    outcomes = ingest_paths(case, [tmp_path / "missing.wav", empty, garbage, good, good, truncated])
    by_name = dict(statuses(outcomes))
    assert by_name["missing.wav"] is Status.ERROR
    assert by_name["empty.wav"] is Status.ERROR
    assert by_name["noise.wav"] is Status.WARNING  # preserved all the same
    assert by_name["Запись разговора 1.wav"] is Status.INGESTED
    assert by_name["cut.mp3"] in (Status.INGESTED, Status.WARNING)
    assert [o.status for o in outcomes].count(Status.NOTE) == 1  # good given twice
    for outcome in outcomes:
        assert "\n" not in outcome.message and outcome.path.name in outcome.message
    assert case.store.has(next(o.sha256 for o in outcomes if o.path.name == "noise.wav"))
    assert verify_case(case).ok


def test_undecodable_file_is_preserved_with_the_probe_error(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "statement.wav"
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + os.urandom(200))
    [outcome] = ingest_paths(case, [path])
    assert outcome.status is Status.WARNING
    with case.session() as session:
        exhibit = session.get_one(Exhibit, outcome.sha256)
    assert exhibit.media is None and "not readable as media" in exhibit.probe_error


def test_wrong_extension_is_a_warning_naming_the_real_format(case: Case, tmp_path: Path) -> None:
    mp3 = encode(tmp_path / "real.mp3", "libmp3lame", "mp3")
    disguised = tmp_path / "disguised.wav"
    disguised.write_bytes(mp3.read_bytes())
    [outcome] = ingest_paths(case, [disguised])
    assert outcome.status is Status.WARNING
    assert "content is MP2/3" in outcome.message and "extension '.wav'" in outcome.message


def test_unreadable_file_is_an_error_and_records_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, for whom chmod 000 does not stop reading; refuse at open() instead.
    path = write_wav(tmp_path / "locked.wav", 0.2)
    real_open = open

    def guarded_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", guarded_open)
    before = case.paths.custody.read_bytes()
    [outcome] = ingest_paths(case, [path])
    assert outcome.status is Status.ERROR
    assert outcome.message == f"{path}: cannot read (Permission denied)"
    assert case.paths.custody.read_bytes() == before


def test_directories_are_walked_and_one_without_media_is_flagged(
    case: Case, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    write_wav(drop / "a" / "1.wav", 0.2, seed=1)
    write_wav(drop / "b" / "2.wav", 0.2, seed=2)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "readme.txt").write_text("no audio here")
    (tmp_path / "hollow").mkdir()
    outcomes = ingest_paths(case, [drop, docs, tmp_path / "hollow"])
    assert sorted(o.path.name for o in outcomes if o.status is Status.INGESTED) == [
        "1.wav",
        "2.wav",
    ]
    flagged = [o for o in outcomes if o.path in (docs, tmp_path / "hollow")]
    assert {o.status for o in flagged} == {Status.WARNING, Status.ERROR}
    assert any("no audio or video" in o.message for o in flagged)
    assert any("holds no files" in o.message for o in flagged)


def test_a_case_folder_is_never_ingested_into_itself(case: Case) -> None:
    files, _ = expand_inputs([case.paths.root])
    assert not any(".earwitness" in path.parts for path in files)


def test_a_folder_walk_reports_every_entry_it_does_not_take_in(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    taken = write_wav(drop / "take.wav", 0.2)
    (drop / "to-take.wav").symlink_to(taken)
    (drop / "to-drop").symlink_to(drop, target_is_directory=True)
    os.mkfifo(drop / "pipe")
    files, problems = expand_inputs([drop])
    assert files == [taken]
    assert {(o.path.name, o.status) for o in problems} == {
        ("to-take.wav", Status.SKIPPED),
        ("to-drop", Status.SKIPPED),
        ("pipe", Status.SKIPPED),
    }
    for outcome in problems:
        assert "\n" not in outcome.message and str(outcome.path) in outcome.message
    assert any("named pipe" in o.message for o in problems)


def test_a_folder_of_nothing_readable_is_an_error_besides_its_skipped_entries(
    tmp_path: Path,
) -> None:
    drop = tmp_path / "links-only"
    drop.mkdir()
    (drop / "elsewhere.wav").symlink_to(write_wav(tmp_path / "real.wav", 0.2))
    files, problems = expand_inputs([drop])
    assert files == []
    assert [o.status for o in problems] == [Status.SKIPPED, Status.ERROR]
    assert "no regular file that could be read" in problems[-1].message


def test_intake_refuses_before_copying_when_the_log_cannot_be_written(
    case: Case, tmp_path: Path
) -> None:
    path = write_wav(tmp_path / "call.wav", 0.2)
    log = case.paths.custody
    before = log.read_bytes()
    # As root chmod 444 does not stop a write; the immutable attribute does.
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", log], capture_output=True).returncode:
        pytest.skip("chattr +i is not available here")
    try:
        with pytest.raises(CaseNotWritable, match="custody log cannot be written"):
            ingest_paths(case, [path])
    finally:
        subprocess.run([chattr, "-i", log], check=True)
    assert log.read_bytes() == before
    assert list(case.store.iter_hashes()) == []
