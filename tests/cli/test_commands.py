import json
from pathlib import Path

import pytest

from earwitness.cli import vault_commands
from tests.cli.helpers import run
from tests.conftest import write_wav


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    run("init", tmp_path / "case", check=True)
    return tmp_path / "case"


def test_every_command_has_help() -> None:
    assert run("--help").returncode == 0
    for command in vault_commands.COMMANDS:
        result = run(command.name, "--help")
        assert result.returncode == 0 and "Usage:" in result.stdout, command.name


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


def test_verify_names_the_altered_object_and_fails(case_dir: Path, tmp_path: Path) -> None:
    run("ingest", write_wav(tmp_path / "evidence.wav", 0.2), cwd=case_dir, check=True)
    [obj] = [p for p in (case_dir / ".earwitness" / "objects").rglob("*") if p.is_file()]
    obj.chmod(0o644)
    obj.write_bytes(b"X" + obj.read_bytes()[1:])
    result = run("verify", cwd=case_dir)
    assert result.returncode == 1
    assert "object_altered" in result.stdout and "evidence.wav" in result.stdout
    assert "FAILED" in result.stdout
