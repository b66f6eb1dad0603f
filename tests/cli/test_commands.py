import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from earwitness.cli import VAULT_COMMANDS, cli
from tests.cli.helpers import run
from tests.conftest import write_wav


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    run("init", tmp_path / "case", check=True)
    return tmp_path / "case"


@pytest.mark.slow
def test_every_command_has_help() -> None:
    assert run("--help").returncode == 0  # the installed entry point, once
    runner = CliRunner()
    for command in VAULT_COMMANDS:
        result = runner.invoke(cli, [command.name, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, command.name


@pytest.mark.slow
def test_ingest_log_verify_export_round_trip(case_dir: Path, tmp_path: Path) -> None:
    audio = write_wav(tmp_path / "call 1.wav", 0.3)
    result = run("ingest", audio, "--source", "drop", "--note", "first", cwd=case_dir)
    assert result.returncode == 0, result.stderr
    assert "ingested as" in result.stdout
    log_lines = run("log", "--json", cwd=case_dir).stdout.splitlines()
    assert [json.loads(line)["action"] for line in log_lines] == ["init", "ingest"]
    assert "call 1.wav" in run("log", "call 1.wav", cwd=case_dir).stdout
    listed = json.loads(run("exhibits", "--json", cwd=case_dir).stdout)
    assert listed["name"] == "call 1.wav" and listed["media"]["codec"] == "pcm_s16le"
    verified = run("verify", "--case", case_dir)
    assert verified.returncode == 0 and "OK:" in verified.stdout
    exported = run("export", "-o", tmp_path / "out.zip", cwd=case_dir)
    assert exported.returncode == 0, exported.stderr
    checked = run("verify-package", tmp_path / "out.zip")
    assert checked.returncode == 0 and "OK:" in checked.stdout


@pytest.mark.slow
def test_user_mistakes_get_one_line_and_no_traceback(case_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    cases = [
        (run("ingest", "x.wav", cwd=outside), "no Earwitness case"),
        (run("log", "nonexistent", cwd=case_dir), "no exhibit"),
        (run("verify-package", tmp_path / "missing.zip"), "no such file"),
        (run("export", "-o", case_dir, cwd=case_dir), "already exists"),
    ]
    for result, expected in cases:
        assert result.returncode == 1, result
        assert "Traceback" not in result.stderr
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("earwitness: error:") and expected in line


@pytest.mark.slow
def test_ingest_exit_codes_say_what_happened(case_dir: Path, tmp_path: Path) -> None:
    good = write_wav(tmp_path / "good.wav", 0.2)
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    assert run("ingest", good, cwd=case_dir).returncode == 0
    warned = run("ingest", text, cwd=case_dir)
    assert warned.returncode == 3 and "notes.txt" in warned.stderr
    failed = run("ingest", tmp_path / "gone.wav", good, cwd=case_dir)
    assert failed.returncode == 1 and "gone.wav: no such file" in failed.stderr
    assert "Traceback" not in failed.stderr


@pytest.mark.slow
def test_verify_names_the_altered_object_and_fails(case_dir: Path, tmp_path: Path) -> None:
    run("ingest", write_wav(tmp_path / "evidence.wav", 0.2), cwd=case_dir, check=True)
    [obj] = [p for p in (case_dir / ".earwitness" / "objects").rglob("*") if p.is_file()]
    obj.chmod(0o644)
    obj.write_bytes(b"X" + obj.read_bytes()[1:])
    result = run("verify", cwd=case_dir)
    assert result.returncode == 1
    assert "object_altered" in result.stdout and "evidence.wav" in result.stdout
    assert "FAILED" in result.stdout


@pytest.fixture
def forged_names(case_dir: Path, tmp_path: Path) -> tuple[Path, str, str]:
    """A case holding call.wav and other.wav whose catalog gives call.wav's name to the other:
    the log says call.wav is the first, the catalog says it is the second."""
    files = [
        write_wav(tmp_path / "drop" / name, 1.0, 16000, seed)
        for seed, name in enumerate(["call.wav", "other.wav"])
    ]
    run("ingest", *files, cwd=case_dir, check=True)
    call, other = (hashlib.sha256(path.read_bytes()).hexdigest() for path in files)
    with sqlite3.connect(case_dir / ".earwitness" / "catalog.sqlite") as db:
        db.execute(
            "UPDATE intakes SET original_name = 'renamed.wav' WHERE exhibit_sha256 = ?", (call,)
        )
        db.execute(
            "UPDATE intakes SET original_name = 'call.wav' WHERE exhibit_sha256 = ?", (other,)
        )
    return case_dir, call, other


def _logged_exhibits(case_dir: Path, action: str) -> set[str]:
    events = [json.loads(line) for line in run("log", "--json", cwd=case_dir).stdout.splitlines()]
    return {event["exhibit"] for event in events if event["action"] == action}


@pytest.mark.slow
def test_a_forged_name_cell_never_points_examine_or_log_at_another_exhibit(forged_names) -> None:
    case_dir, call, other = forged_names
    examined = run("examine", "call.wav", "--format", "json", cwd=case_dir)
    assert examined.returncode == 0, examined.stderr
    assert _logged_exhibits(case_dir, "examine") == {call}
    shown = run("log", "call.wav", cwd=case_dir)
    assert shown.returncode == 0 and call[:12] in shown.stdout and other[:12] not in shown.stdout
    assert run("log", "renamed.wav", cwd=case_dir).returncode == 1


@pytest.mark.slow
def test_a_forged_name_cell_never_points_transcribe_at_another_exhibit(forged_names) -> None:
    case_dir, call, _ = forged_names
    done = run("transcribe", "call.wav", "--format", "json", "--speakers", "none", cwd=case_dir)
    assert done.returncode == 0, done.stderr
    assert _logged_exhibits(case_dir, "transcribe") == {call}


@pytest.mark.slow
def test_exhibits_lists_the_names_the_custody_log_records(forged_names) -> None:
    case_dir, call, other = forged_names
    listed = [
        json.loads(line) for line in run("exhibits", "--json", cwd=case_dir).stdout.splitlines()
    ]
    assert {entry["sha256"]: entry["name"] for entry in listed} == {
        call: "call.wav",
        other: "other.wav",
    }
    text = run("exhibits", cwd=case_dir).stdout
    assert "renamed.wav" not in text and f"{call[:12]}" in text


@pytest.mark.slow
def test_export_refuses_an_object_altered_after_verify(case_dir: Path, tmp_path: Path) -> None:
    run("ingest", write_wav(tmp_path / "call 1.wav", 0.3), cwd=case_dir, check=True)
    assert run("verify", cwd=case_dir).returncode == 0
    log_before = (case_dir / ".earwitness" / "custody.jsonl").read_bytes()
    [obj] = [p for p in (case_dir / ".earwitness" / "objects").rglob("*") if p.is_file()]
    obj.chmod(0o644)
    obj.write_bytes(b"X" + obj.read_bytes()[1:])
    out = tmp_path / "out"
    out.mkdir()
    for destination in (out / "bag", out / "bag.zip"):
        result = run("export", "-o", destination, cwd=case_dir)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("earwitness: error: export refused: original 'call 1.wav'")
        assert "custody event 2" in line and "altered" in line
        assert list(out.iterdir()) == []  # no bag, no hidden staging folder
    assert (case_dir / ".earwitness" / "custody.jsonl").read_bytes() == log_before
