"""``earwitness signoff``: an examiner's sign-off, signed into the custody log and shown by the
reports made after it; refused, with the case unchanged, when there is nothing to sign."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli.helpers import run
from tests.conftest import write_wav

EVIL_NAME = "<script>alert('n')</script> Dr. Quill"
EVIL_STATEMENT = "Reviewed <img src=x onerror=alert(1)> in full."


def _case(tmp_path: Path) -> tuple[Path, Path]:
    case = tmp_path / "case"
    run("init", case, check=True)
    wav = write_wav(tmp_path / "call.wav", seconds=3.0, rate=16000)
    run("ingest", wav, cwd=case, check=True)
    return case, wav


def _state(case: Path) -> dict[str, bytes]:
    meta = case / ".earwitness"
    return {
        str(p.relative_to(meta)): p.read_bytes()
        for p in sorted(meta.rglob("*"))
        if p.is_file() and p.name not in ("lock",) and not p.name.startswith("catalog.sqlite")
    }


def _one_line(result) -> str:  # type: ignore[no-untyped-def]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("earwitness: error: "), lines[0]
    return lines[0]


def _events(case: Path) -> list[dict]:
    return [json.loads(x) for x in run("log", "--json", cwd=case).stdout.splitlines()]


def test_bad_signoffs_fail_in_one_line_and_leave_the_case_as_it_was(tmp_path: Path) -> None:
    case, _wav = _case(tmp_path)
    before = _state(case)
    custody = (case / ".earwitness" / "custody.jsonl").read_bytes()
    unexamined = run("signoff", "call.wav", "--name", "A. Examiner", "--role", "examiner", cwd=case)
    assert unexamined.returncode == 1
    assert "not examined" in _one_line(unexamined)
    empty = run("signoff", "call.wav", "--name", "  ", "--role", "examiner", cwd=case)
    assert empty.returncode == 2 and "name is empty" in _one_line(empty)
    unknown = run("signoff", "no-such", "--name", "A", "--role", "B", cwd=case)
    assert unknown.returncode == 1 and "no-such" in _one_line(unknown)
    missing = run("signoff", "call.wav", "--name", "A", cwd=case)  # no --role
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert (case / ".earwitness" / "custody.jsonl").read_bytes() == custody
    assert _state(case) == before


@pytest.mark.slow
def test_a_signoff_is_signed_and_shown_by_the_next_html_report(tmp_path: Path) -> None:
    case, _wav = _case(tmp_path)
    first = tmp_path / "first.html"
    assert run("examine", "call.wav", "--format", "html", "-o", first, cwd=case).returncode == 0
    page = first.read_text()
    assert "No examiner has signed off" in page
    signed = run(
        "signoff",
        "call.wav",
        "--name",
        EVIL_NAME,
        "--role",
        "forensic audio examiner",
        "--statement",
        EVIL_STATEMENT,
        cwd=case,
    )
    assert signed.returncode == 0, signed.stderr
    event = _events(case)[-1]
    assert event["action"] == "examiner_signoff" and event["hash"] in signed.stdout
    body = event["details"]["signoff"]
    assert body["examiner"] == {"name": EVIL_NAME, "role": "forensic audio examiner"}
    assert body["statement"] == EVIL_STATEMENT
    report = json.loads(run("examine", "call.wav", "--format", "json", cwd=case).stdout)
    assert body["conclusion"] == report["summary"].get("conclusion")
    assert body["log10_lr"] == report["summary"].get("log10_lr")
    examined = [
        e
        for e in _events(case)
        if (e["details"].get("artefact") or {}).get("stage") == "examination"
    ]
    assert (
        body["examination"]["object_sha256"] == examined[-1]["details"]["artefact"]["object_sha256"]
    )
    assert run("verify", cwd=case).returncode == 0
    second = tmp_path / "second.html"
    assert run("examine", "call.wav", "--format", "html", "-o", second, cwd=case).returncode == 0
    page = second.read_text()
    assert "&lt;script&gt;alert(&#x27;n&#x27;)&lt;/script&gt; Dr. Quill" in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert event["hash"] in page and "Signed off" in page
    assert "No examiner has signed off" not in page


@pytest.mark.slow
def test_the_next_dossier_and_its_pdf_show_the_signoff(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    wav = write_wav(tmp_path / "call.wav", seconds=3.0, rate=16000)
    out = tmp_path / "out"
    assert run("report", wav, "-o", out, cwd=tmp_path).returncode == 0
    [folder] = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert "No examiner has signed off" in (folder / "index.html").read_text()
    signed = run("signoff", "call.wav", "--name", "Dr. Quill", "--role", "examiner", cwd=out)
    assert signed.returncode == 0, signed.stderr
    event_hash = _events(out)[-1]["hash"]
    again = run("report", wav, "-o", out, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    page = (folder / "index.html").read_text()
    assert "Dr. Quill" in page and event_hash in page
    reader = pypdf.PdfReader(folder / "dossier.pdf")
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    assert "7. Examiner sign-off" in text and "Dr. Quill" in text
