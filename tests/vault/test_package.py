import json
import os
import zipfile
from pathlib import Path

import bagit
import pytest

from earwitness.errors import EarwitnessError, PackageError
from earwitness.vault import custody
from earwitness.vault.artefacts import store_artefact
from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from earwitness.vault.package import export_bag, is_unsafe_member, verify_package
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
