import os
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earwitness.vault import custody
from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from earwitness.vault.keys import Signer
from earwitness.vault.verify import check_log, verify_case
from tests.conftest import write_wav

EVENTS = 6  # init + 5 ingests


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A case with five exhibits, built once; tests work on copies of it."""
    root = tmp_path_factory.mktemp("pristine")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(root / "config"))
        patch.setenv("EARWITNESS_ACTOR", "tester@lab")
        case, _ = Case.init(root / "case")
        files = [write_wav(root / "in" / f"take-{n}.wav", 0.3, seed=n) for n in range(5)]
        ingest_paths(case, files)
    # Close the catalog now: left to the garbage collector, its last connection would remove
    # the WAL files whenever it runs, possibly while a test is copying the case (seen in CI).
    case.engine.dispose()
    return root / "case"


def copy_case(pristine: Path, target: Path) -> Case:
    shutil.copytree(pristine, target)
    return Case.open(target)


def kinds(case: Case) -> set[str]:
    return {problem.kind for problem in verify_case(case).problems}


def test_intact_case_verifies(pristine: Path, tmp_path: Path) -> None:
    case = copy_case(pristine, tmp_path / "c")
    report = verify_case(case)
    assert report.ok, report.problems
    assert report.objects_checked == 5
    assert report.events_checked == EVENTS


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(which=st.integers(0, 4), offset=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_any_flipped_bit_in_any_object_is_named(
    pristine: Path, tmp_path_factory: pytest.TempPathFactory, which: int, offset: float, bit: int
) -> None:
    case = copy_case(pristine, tmp_path_factory.mktemp("flip") / "c")
    digest = sorted(case.store.iter_hashes())[which]
    path = case.store.path_for(digest)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[int(offset * len(data))] ^= 1 << bit
    path.write_bytes(bytes(data))
    problems = verify_case(case).problems
    assert [p.kind for p in problems] == ["object_altered"]
    assert digest[:12] in problems[0].message and "take-" in problems[0].message


def test_missing_object_is_named(pristine: Path, tmp_path: Path) -> None:
    case = copy_case(pristine, tmp_path / "c")
    digest = next(case.store.iter_hashes())
    case.store.path_for(digest).unlink()
    assert kinds(case) == {"object_missing"}


def lines_of(case: Case) -> list[bytes]:
    return case.paths.custody.read_bytes().splitlines(keepends=True)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=st.integers(0, EVENTS - 1))
def test_editing_any_line_is_detected(
    pristine: Path, tmp_path_factory: pytest.TempPathFactory, line: int
) -> None:
    case = copy_case(pristine, tmp_path_factory.mktemp("edit") / "c")
    lines = lines_of(case)
    lines[line] = lines[line].replace(b'"actor":"tester@lab"', b'"actor":"someone@else"')
    case.paths.custody.write_bytes(b"".join(lines))
    assert "edited" in kinds(case)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=st.integers(0, EVENTS - 1))
def test_deleting_any_line_is_detected(
    pristine: Path, tmp_path_factory: pytest.TempPathFactory, line: int
) -> None:
    case = copy_case(pristine, tmp_path_factory.mktemp("delete") / "c")
    lines = lines_of(case)
    del lines[line]
    case.paths.custody.write_bytes(b"".join(lines))
    found = kinds(case)
    assert "deleted" in found
    if line == EVENTS - 1:  # only the catalog can tell that the last line is gone
        assert any("missing from the custody log" in p.message for p in verify_case(case).problems)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(line=st.integers(0, EVENTS - 2))
def test_swapping_neighbouring_lines_is_detected(
    pristine: Path, tmp_path_factory: pytest.TempPathFactory, line: int
) -> None:
    case = copy_case(pristine, tmp_path_factory.mktemp("swap") / "c")
    lines = lines_of(case)
    lines[line], lines[line + 1] = lines[line + 1], lines[line]
    case.paths.custody.write_bytes(b"".join(lines))
    assert "reordered" in kinds(case)


def test_inserted_forged_event_is_detected(pristine: Path, tmp_path: Path) -> None:
    case = copy_case(pristine, tmp_path / "c")
    events = list(custody.iter_events(case.paths.custody))
    forger = Signer("tester@lab", Ed25519PrivateKey.generate())
    forged = custody.make_event(forger, "ingest", "f" * 64, {"original_name": "x"}, events[2])
    lines = lines_of(case)
    lines.insert(3, forged.to_line())
    case.paths.custody.write_bytes(b"".join(lines))
    found = kinds(case)
    assert "unregistered_key" in found
    assert {"reordered", "inserted"} & found


def test_resigned_edit_without_the_key_fails_signature(pristine: Path, tmp_path: Path) -> None:
    case = copy_case(pristine, tmp_path / "c")
    lines = lines_of(case)
    event = custody.parse_line(lines[2], 3)
    body = event.body() | {"actor": "someone@else"}
    digest = custody.hashlib.sha256(custody.canonical_json(body)).hexdigest()
    tampered = custody.Event(**body, hash=digest, sig=event.sig)
    lines[2] = tampered.to_line()
    case.paths.custody.write_bytes(b"".join(lines))
    found = kinds(case)
    assert "bad_signature" in found
    assert "inserted" in found  # the next event no longer follows from it


def test_empty_or_missing_log_is_a_problem(tmp_path: Path) -> None:
    assert [p.kind for p in check_log(tmp_path / "none.jsonl").problems] == ["log_missing"]
    (tmp_path / "empty.jsonl").write_bytes(b"")
    assert [p.kind for p in check_log(tmp_path / "empty.jsonl").problems] == ["log_empty"]


def test_logged_verification_names_no_local_path(case) -> None:
    from earwitness.vault.verify import Problem, VerifyReport, record_verification

    where = case.paths.catalog
    report = VerifyReport(problems=[Problem("catalog_unreadable", f"{where}: unreadable")])
    event = record_verification(case, report)
    assert event is not None
    assert str(case.paths.root) not in event.to_line().decode()
    assert event.details["problems"] == ["./.earwitness/catalog.sqlite: unreadable"]
