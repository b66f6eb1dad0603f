import json
from pathlib import Path

import jsonschema
import pytest

from tests.cli.helpers import run
from tests.conftest import REPO, shared

SAMPLE = REPO / "samples" / "briefing-en.wav"


@pytest.fixture(scope="module")
def schema() -> dict:
    path = shared("schemas/examination.schema.json")
    return json.loads(path.read_text())


@pytest.mark.slow
def test_examine_a_file_outside_any_case(tmp_path: Path, schema: dict) -> None:
    result = run("examine", SAMPLE, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema)
    assert report["exhibit"]["filename"] == "briefing-en.wav"


@pytest.mark.slow
def test_examine_in_a_case_stores_logs_and_reuses(tmp_path: Path, schema: dict) -> None:
    case = tmp_path / "case"
    run("init", case, check=True)
    run("ingest", SAMPLE, cwd=case, check=True)
    html = tmp_path / "report.html"
    first = run("examine", "briefing-en.wav", "--format", "html", "-o", html, cwd=case)
    assert first.returncode == 0, first.stderr
    page = html.read_text()
    assert page.count("data:image/png;base64,") >= 3 and "<figcaption>" in page
    assert "http://" not in page and "https://" not in page  # self-contained
    stored = _examine_events(case)
    assert len(stored) >= 2  # the report and its page at least, each logged
    again = run("examine", "briefing-en.wav", "--format", "json", cwd=case)
    jsonschema.validate(json.loads(again.stdout), schema)
    assert "taken from the case" in again.stderr
    assert _examine_events(case) == stored  # reused: nothing made, nothing logged
    assert run("verify", cwd=case).returncode == 0


def _examine_events(case: Path) -> list[dict]:
    events = [json.loads(line) for line in run("log", "--json", cwd=case).stdout.splitlines()]
    return [event for event in events if event["action"] == "examine"]


@pytest.mark.slow
def test_examine_of_garbage_is_one_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all" * 100)
    result = run("examine", junk, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "junk.wav" in result.stderr
