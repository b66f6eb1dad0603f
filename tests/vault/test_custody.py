import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from earwitness.vault import custody
from earwitness.vault.keys import Signer, load_or_create_signer
from tests.conftest import REPO

SIGNER = Signer("tester@lab", Ed25519PrivateKey.generate())


def write_log(path: Path, count: int) -> list[custody.Event]:
    events: list[custody.Event] = []
    for number in range(count):
        previous = events[-1] if events else None
        details = {"n": number, "name": "запись №1.wav", "duration_s": 1.5}
        event = custody.make_event(SIGNER, "ingest", "a" * 64, details, previous)
        custody.append_event(path, event)
        events.append(event)
    return events


def test_events_chain_and_verify(tmp_path: Path) -> None:
    log = tmp_path / "custody.jsonl"
    events = write_log(log, 3)
    parsed = list(custody.iter_events(log))
    assert parsed == events
    assert [e.seq for e in parsed] == [1, 2, 3]
    assert parsed[0].prev == custody.GENESIS_PREV
    assert parsed[1].prev == parsed[0].hash
    assert all(e.computed_hash() == e.hash and e.signature_valid() for e in parsed)
    assert custody.last_event(log) == events[-1]


def test_lines_are_canonical_utf8_json(tmp_path: Path) -> None:
    log = tmp_path / "custody.jsonl"
    write_log(log, 1)
    line = log.read_bytes()
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert "запись".encode() in line  # UTF-8, not \u escapes
    record = json.loads(line)
    assert list(record) == sorted(record)


def test_torn_tail_is_not_an_event_and_is_quarantined_not_dropped(tmp_path: Path) -> None:
    log = tmp_path / "custody.jsonl"
    events = write_log(log, 2)
    torn = b'{"seq": 3, "ti'
    with open(log, "ab") as handle:
        handle.write(torn)
    assert custody.last_event(log) == events[-1]
    assert custody.read_lines(log).torn_tail
    repair = custody.repair_torn_tail(log, tmp_path / "quarantine")
    assert repair is not None and not repair.restored and not repair.complete_signed_event
    assert list(custody.iter_events(log)) == events
    assert repair.quarantine_file is not None and repair.quarantine_file.read_bytes() == torn
    assert repair.details()["torn_tail_bytes"] == len(torn)
    assert custody.repair_torn_tail(log, tmp_path / "quarantine") is None  # nothing left to do


def test_a_whole_signed_last_event_without_its_newline_is_restored(tmp_path: Path) -> None:
    log = tmp_path / "custody.jsonl"
    events = write_log(log, 3)
    log.write_bytes(log.read_bytes()[:-1])
    tail = custody.find_torn_tail(log)
    assert tail is not None and tail.event == events[-1]
    repair = custody.repair_torn_tail(log, tmp_path / "quarantine")
    assert repair is not None and repair.restored and repair.quarantine_file is None
    assert list(custody.iter_events(log)) == events
    assert not (tmp_path / "quarantine").exists()


def test_a_malformed_line_names_the_log_file_and_its_line(tmp_path: Path) -> None:
    log = tmp_path / "custody.jsonl"
    write_log(log, 2)
    with open(log, "ab") as handle:
        handle.write(b"not json\n")
    with pytest.raises(custody.MalformedLine, match=rf"^{re.escape(str(log))}: line 3: "):
        list(custody.iter_events(log))
    with pytest.raises(custody.MalformedLine, match=rf"^{re.escape(str(log))}: line 3: "):
        custody.last_event(log)


def test_last_event_reads_long_lines(tmp_path: Path) -> None:
    log = tmp_path / "custody.jsonl"
    first = custody.make_event(SIGNER, "ingest", None, {"blob": "x" * 20000}, None)
    second = custody.make_event(SIGNER, "ingest", None, {"blob": "y" * 30000}, first)
    custody.append_event(log, first)
    custody.append_event(log, second)
    assert custody.last_event(log) == second


def test_signer_key_is_created_once_private_and_reused(isolated_identity: Path) -> None:
    first = load_or_create_signer()
    second = load_or_create_signer()
    assert first.public_key_b64 == second.public_key_b64
    key_file = next((isolated_identity / "earwitness").glob("*.pem"))
    assert key_file.stat().st_mode & 0o077 == 0


def readme_check_script() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Checking a custody log by hand", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README lost its custody check script"
    return match.group(1)


def test_readme_script_accepts_our_log_and_rejects_an_edit(tmp_path: Path) -> None:
    log = tmp_path / "custody.jsonl"
    write_log(log, 4)
    script = tmp_path / "check_custody.py"
    script.write_text(readme_check_script(), encoding="utf-8")
    assert len(script.read_text().strip().splitlines()) <= 20
    result = subprocess.run([sys.executable, script, log], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "4 events intact" in result.stdout
    log.write_bytes(log.read_bytes().replace(b'"n":2', b'"n":9'))
    result = subprocess.run([sys.executable, script, log], capture_output=True, text=True)
    assert result.returncode != 0
    assert "line 3" in result.stderr


@pytest.mark.parametrize("bad", [b"not json", b'{"seq": 1}', b"[1, 2]"])
def test_malformed_lines_are_reported_with_their_number(bad: bytes) -> None:
    with pytest.raises(custody.MalformedLine, match="line 7"):
        custody.parse_line(bad, 7)
