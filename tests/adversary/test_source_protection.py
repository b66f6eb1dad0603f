"""Source protection: what a case, its packages and its dossiers say about where a leak came from.

An adversary who gets a copy of the case folder, a package or a published dossier must not
learn the source, the intake note, the folder the files were taken from, or the user and host
that handled them. The values live only in the case's encrypted side table (its key is outside
the case); a normal package discloses them in one file, with salts that open the commitments
in the log; a package for publication leaves that file out and still verifies.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
import zipfile
from pathlib import Path

import bagit
import pytest

from earwitness.reports.dossier_header import render_custody
from earwitness.vault.custody import Event
from tests.cli.helpers import run
from tests.conftest import write_wav

SOURCE = "Ivan, Minsk"
NOTE = "met at cafe"
DROP_FOLDER = "Sidorov-drop-7731"  # a folder name that would point at a person
DISCLOSURE = "data/custody/private-fields.json"
# 0: intact and trusted; 4: intact, signed by a key the recipient has not trusted yet
VERIFIED = (0, 4)


@pytest.fixture(autouse=True)
def no_chosen_actor(monkeypatch: pytest.MonkeyPatch) -> None:
    # conftest names the actor; here the default must already keep user and host out
    monkeypatch.delenv("EARWITNESS_ACTOR", raising=False)


def secrets_of(tmp_path: Path) -> list[str]:
    user, host = getpass.getuser(), socket.gethostname()
    return [SOURCE, "Minsk", NOTE, DROP_FOLDER, str(tmp_path), f"{user}@{host}", f"@{host}"]


def leaked(data: bytes, tmp_path: Path) -> list[str]:
    return [secret for secret in secrets_of(tmp_path) if secret.encode("utf-8") in data]


def files_holding_secrets(folder: Path, tmp_path: Path) -> dict[str, list[str]]:
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hits = leaked(path.read_bytes(), tmp_path)
        if hits:
            found[path.relative_to(folder).as_posix()] = hits
    return found


def make_case(tmp_path: Path) -> Path:
    drop = tmp_path / DROP_FOLDER
    write_wav(drop / "call.wav", 1.0, seed=3)
    write_wav(drop / "second.wav", 0.5, seed=4)
    case = tmp_path / "case"
    run("init", case, check=True)
    result = run("ingest", drop, "--source", SOURCE, "--note", NOTE, cwd=case)
    assert result.returncode == 0, result.stderr
    return case


def check_by_hand(custody_log: Path, disclosure: dict) -> int:
    """The README's rule, applied without Earwitness: salt || UTF-8(value), SHA-256."""
    events = {e["seq"]: e for e in map(json.loads, custody_log.read_text("utf-8").splitlines())}
    for item in disclosure["disclosures"]:
        opened = hashlib.sha256(bytes.fromhex(item["salt"]) + item["value"].encode("utf-8"))
        assert opened.hexdigest() == events[item["seq"]]["details"][item["field"]]["commitment"]
    return len(disclosure["disclosures"])


def test_the_case_folder_holds_no_source_note_path_or_host(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    assert files_holding_secrets(case / ".earwitness", tmp_path) == {}
    shown = run("log", cwd=case, check=True).stdout
    assert SOURCE in shown and DROP_FOLDER in shown  # this machine holds the side table's key


def test_a_copied_case_shows_private_fields_as_private(tmp_path: Path, monkeypatch) -> None:
    case = make_case(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "the adversary's machine"))
    shown = run("log", cwd=case, check=True).stdout
    assert leaked(shown.encode(), tmp_path) == [] and "(private)" in shown
    refused = run("disclose", "call.wav", cwd=case)
    assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1


def test_a_normal_package_discloses_only_in_its_disclosure_file(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    export = run("export", "-o", tmp_path / "bag", cwd=case)
    assert export.returncode == 0, export.stderr
    bag = tmp_path / "bag"
    holding = files_holding_secrets(bag, tmp_path)
    assert set(holding) == {DISCLOSURE}, holding
    assert set(holding[DISCLOSURE]) >= {SOURCE, NOTE, DROP_FOLDER}
    disclosure = json.loads((bag / DISCLOSURE).read_text("utf-8"))
    # two intakes, three private fields each
    assert check_by_hand(bag / "data/custody/custody.jsonl", disclosure) == 6
    checked = run("verify-package", bag)
    assert checked.returncode in VERIFIED, checked.stdout + checked.stderr


def test_a_package_for_publication_holds_none_and_still_verifies(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    target = tmp_path / "public.zip"
    export = run("export", "--for-publication", "-o", target, cwd=case)
    assert export.returncode == 0, export.stderr
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        holding = {n: leaked(archive.read(n), tmp_path) for n in names}
    assert {name: hits for name, hits in holding.items() if hits} == {}
    assert not any(name.endswith("private-fields.json") for name in names)
    checked = run("verify-package", target)
    assert checked.returncode in VERIFIED, checked.stdout + checked.stderr


def test_a_false_disclosure_fails_even_with_the_manifests_redone(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    bag = tmp_path / "bag"
    run("export", "-o", bag, cwd=case, check=True)
    disclosure = json.loads((bag / DISCLOSURE).read_text("utf-8"))
    [entry] = [d for d in disclosure["disclosures"] if d["field"] == "source"][:1]
    entry["value"] = "Someone Else, Gomel"
    (bag / DISCLOSURE).write_text(json.dumps(disclosure), encoding="utf-8")
    bagit.Bag(str(bag)).save(manifests=True)  # as a forger would
    checked = run("verify-package", bag)
    assert checked.returncode == 1
    assert "disclosure_false" in checked.stdout and "source" in checked.stdout


def test_disclose_opens_one_field_for_a_later_proof(tmp_path: Path) -> None:
    case = make_case(tmp_path)
    result = run("disclose", "call.wav", "--field", "source", cwd=case)
    assert result.returncode == 0, result.stderr
    disclosure = json.loads(result.stdout)
    assert [(d["field"], d["value"]) for d in disclosure["disclosures"]] == [("source", SOURCE)]
    assert check_by_hand(case / ".earwitness/custody.jsonl", disclosure) == 1


@pytest.mark.slow
def test_a_dossier_shows_no_source_path_or_host(tmp_path: Path) -> None:
    drop = tmp_path / DROP_FOLDER
    write_wav(drop / "call.wav", 2.0, seed=5)
    out = tmp_path / "dossiers"
    result = run("report", drop / "call.wav", "--source", SOURCE, "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    dossier = Path(result.stdout.strip().splitlines()[-1].rsplit(" -> ", 1)[1]).parent
    page = (dossier / "index.html").read_text("utf-8")
    assert "call.wav" in page and "recorded privately" in page
    holding = files_holding_secrets(dossier, tmp_path)
    assert holding == {}, holding
    pypdf = pytest.importorskip("pypdf")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(dossier / "dossier.pdf").pages)
    assert leaked(text.encode(), tmp_path) == [] and "call.wav" in text
    # the dossier travels in packages too: the publication bag must stay clean with it
    run("export", "--for-publication", "-o", tmp_path / "public", cwd=out, check=True)
    assert files_holding_secrets(tmp_path / "public", tmp_path) == {}


def test_the_dossier_withholds_what_an_old_log_holds_in_clear() -> None:
    home = f"/home/ivan/{DROP_FOLDER}"
    written_before_commitments = [
        ("init", {"case": f"{home}/case", "tool_version": "0.1.0"}),
        (
            "ingest",
            {
                "original_name": "call.wav",
                "original_path": f"{home}/call.wav",
                "source": SOURCE,
                "note": NOTE,
            },
        ),
        ("verify", {"ok": False, "problems": [f"{home}/case/.earwitness/catalog.sqlite: bad"]}),
        ("export", {"destination": f"{home}/out/bag.zip", "format": "bagit-zip"}),
    ]
    events = [
        Event(
            seq, "2026-01-01T00:00:00.000000Z", "desk", action, None, details, "0" * 64, "", "", ""
        )
        for seq, (action, details) in enumerate(written_before_commitments, start=1)
    ]
    page = render_custody(events)
    assert [s for s in (SOURCE, NOTE, DROP_FOLDER, "/home/ivan") if s in page] == []
    assert "call.wav" in page and "bag.zip" in page and "source recorded privately" in page
