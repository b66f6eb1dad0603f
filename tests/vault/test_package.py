import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import bagit
import pytest

from earwitness.errors import EarwitnessError, PackageError
from earwitness.vault import custody
from earwitness.vault.artefacts import store_artefact
from earwitness.vault.bag_format import Digests, manifest_line, parse_manifest_line
from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from earwitness.vault.package_export import export_bag, safe_file_name
from earwitness.vault.package_read import is_unsafe_member, package_log_lines, verify_package
from tests.conftest import write_wav


@pytest.fixture
def filled(case: Case, tmp_path: Path) -> tuple[Case, list[str]]:
    files = [write_wav(tmp_path / "in" / f"звонок {n}.wav", 0.2, seed=n) for n in range(2)]
    digests = [o.sha256 for o in ingest_paths(case, files)]
    store_artefact(
        case,
        digests[0],
        "examination",
        b'{"x": 1}',
        filename="examination.json",
        media_type="application/json",
        params={"a": 1},
    )
    return case, digests


def test_exported_folder_is_a_valid_bag_with_everything(filled, tmp_path: Path) -> None:
    case, digests = filled
    bag_dir = export_bag(case, None, tmp_path / "bag")
    bag = bagit.Bag(str(bag_dir))
    assert bag.is_valid()
    assert set(bag.algorithms) == {"sha256", "sha512"}
    data = bag_dir / "data"
    for digest in digests:
        [original] = (data / "originals" / digest).iterdir()
        assert original.name.startswith("звонок")
        assert original.read_bytes() == case.store.read_bytes(digest)
    assert len(list((data / "artefacts").rglob("examination.json"))) == 1
    assert (data / "custody" / "custody.jsonl").is_file()
    assert list((data / "custody" / "keys").glob("*.pub"))
    assert "HOW TO VERIFY" in (bag_dir / "README.txt").read_text()
    catalog = json.loads((data / "catalog.json").read_text())
    assert [e["sha256"] for e in catalog["exhibits"]] == digests
    events = list(custody.iter_events(data / "custody" / "custody.jsonl"))
    assert events[-1].action == "export"  # the package records its own making
    assert verify_package(bag_dir).ok


def test_zip_export_of_one_exhibit(filled, tmp_path: Path) -> None:
    case, digests = filled
    path = export_bag(case, [digests[1]], tmp_path / "one.zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert all(name.startswith("one/") for name in names)
    assert any(digests[1] in name for name in names)
    assert not any(f"originals/{digests[0]}" in name for name in names)
    report = verify_package(path)
    assert report.ok, report.problems
    with zipfile.ZipFile(path) as archive:  # the zip holds a bag the reference validator accepts
        archive.extractall(tmp_path / "unzipped")
    assert bagit.Bag(str(tmp_path / "unzipped" / "one")).is_valid()


def test_export_refuses_existing_destination(filled, tmp_path: Path) -> None:
    case, _ = filled
    (tmp_path / "taken.zip").write_bytes(b"x")
    with pytest.raises(EarwitnessError, match="already exists"):
        export_bag(case, None, tmp_path / "taken.zip")


def test_tampered_original_in_bag_is_detected(filled, tmp_path: Path) -> None:
    case, digests = filled
    bag_dir = export_bag(case, None, tmp_path / "bag")
    [original] = (bag_dir / "data" / "originals" / digests[0]).iterdir()
    os.chmod(original, 0o644)
    original.write_bytes(original.read_bytes()[:-1] + b"\x01")
    kinds = {p.kind for p in verify_package(bag_dir).problems}
    assert {"bag_invalid", "object_altered"} <= kinds


def test_rebagged_forgery_is_still_caught_by_the_custody_log(filled, tmp_path: Path) -> None:
    """Someone swaps an original and regenerates the manifests: BagIt is happy, the log is not."""
    case, digests = filled
    bag_dir = export_bag(case, None, tmp_path / "bag")
    [original] = (bag_dir / "data" / "originals" / digests[0]).iterdir()
    os.chmod(original, 0o644)
    original.write_bytes(b"forged")
    bag = bagit.Bag(str(bag_dir))
    bag.save(manifests=True)
    assert bag.is_valid()
    assert "object_altered" in {p.kind for p in verify_package(bag_dir).problems}


def test_zip_with_path_traversal_is_refused_before_unpacking(tmp_path: Path) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("bag/bagit.txt", "BagIt-Version: 1.0\n")
        archive.writestr("../../etc/x", "owned")
    with pytest.raises(PackageError, match=r"refused.*\.\./\.\./etc/x"):
        verify_package(evil)
    assert not (tmp_path.parent.parent / "etc" / "x").exists()


def test_manifest_with_path_traversal_is_refused(filled, tmp_path: Path) -> None:
    case, _ = filled
    bag_dir = export_bag(case, None, tmp_path / "bag")
    manifest = bag_dir / "manifest-sha256.txt"
    manifest.write_text(manifest.read_text() + f"{'0' * 64}  ../../etc/x\n")
    with pytest.raises(PackageError, match="unsafe path"):
        verify_package(bag_dir)


@pytest.mark.parametrize(
    ("name", "unsafe"),
    [
        ("../../etc/x", True),
        ("/etc/x", True),
        ("a/../../b", True),
        ("C:\\x", True),
        ("..\\x", True),
        ("~/x", True),
        ("data/originals/ab/a b.wav", False),
        ("data/..x", False),
    ],
)
def test_unsafe_member_names(name: str, unsafe: bool) -> None:
    assert is_unsafe_member(name) is unsafe


@pytest.mark.parametrize(
    ("received", "in_the_bag"),
    [
        ("Запись 12.m4a", "Запись 12.m4a"),
        ("a/b\\c:d*.wav", "a_b_c_d_.wav"),
        ("leak\u202egpj.wav", "leak_gpj.wav"),  # would read "leakvaw.jpg" in a file manager
        ("zero\u200bwidth\u00a0.wav", "zero_width_.wav"),
        ("line\nbreak\x1b.wav", "line_break_.wav"),
        (" .. ", "file"),
    ],
)
def test_a_bag_names_its_files_so_they_read_as_they_are(received: str, in_the_bag: str) -> None:
    assert safe_file_name(received) == in_the_bag


def test_a_zip_is_verified_in_place_without_unpacking(filled, tmp_path: Path, monkeypatch) -> None:
    case, _ = filled
    path = export_bag(case, None, tmp_path / "out" / "pkg.zip")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert verify_package(path).ok
    assert list(scratch.iterdir()) == []
    assert sorted(p.name for p in path.parent.iterdir()) == ["pkg.zip"]


@pytest.mark.parametrize("name", ["pkg.zip", "pkg"])
def test_package_log_lines_streams_the_complete_lines(filled, tmp_path: Path, name: str) -> None:
    case, _ = filled
    path = export_bag(case, None, tmp_path / name)
    with package_log_lines(path) as lines:
        streamed = list(lines)
    assert streamed == case.paths.custody.read_bytes().splitlines()
    assert [json.loads(line)["action"] for line in streamed][-1] == "export"


def test_package_log_lines_leaves_a_torn_tail_out(filled, tmp_path: Path) -> None:
    case, _ = filled
    bag_dir = export_bag(case, None, tmp_path / "bag")
    log = bag_dir / "data" / "custody" / "custody.jsonl"
    whole = log.read_bytes()
    log.write_bytes(whole + b'{"seq": 99')
    with package_log_lines(bag_dir) as lines:
        assert list(lines) == whole.splitlines()
        assert lines.torn_tail == b'{"seq": 99'  # type: ignore[attr-defined]


def test_an_exported_bag_has_readable_permissions(filled, tmp_path: Path) -> None:
    case, _ = filled
    zipped = export_bag(case, None, tmp_path / "pkg.zip")
    folder = export_bag(case, None, tmp_path / "pkg")
    umask = os.umask(0o022)
    os.umask(umask)
    assert zipped.stat().st_mode & 0o777 == 0o666 & ~umask
    assert folder.stat().st_mode & 0o777 == 0o777 & ~umask


@pytest.mark.parametrize("size", [0, 10, 70_000, 3 << 20])
def test_both_checksums_in_one_pass_match_hashlib(size: int) -> None:
    data = os.urandom(size)
    digests = Digests()
    for start in range(0, size, 1 << 20):
        digests.update(data[start : start + (1 << 20)])
    assert digests.hexdigests() == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha512": hashlib.sha512(data).hexdigest(),
    }
    assert digests.size == size


@pytest.mark.parametrize("name", ["data/a b.wav", "data/100%.txt", "data/line\nbreak\r.txt"])
def test_manifest_lines_round_trip_any_file_name(name: str) -> None:
    line = manifest_line("ab" * 32, name)
    assert line.count(b"\n") == 1
    assert parse_manifest_line(line.rstrip(b"\n"), "sha256") == ("ab" * 32, name)
