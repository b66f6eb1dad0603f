"""Attack: edit a package's tag files — the instructions, bag-info.txt, the tag manifests.

Before: deleting the tag manifests, or editing bag-info.txt or README.txt, passed
``verify-package`` with rc 0. Now every tag file must be listed in both tag manifests and match
them, a missing tag manifest is a problem, and the README must also be the one the signed export
event recorded, so regenerating the tag manifests does not launder an edited instruction.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pytest

from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from earwitness.vault.package_export import export_bag
from tests.cli.helpers import run
from tests.conftest import write_wav


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    case, _ = Case.init(tmp_path / "case")
    ingest_paths(case, [write_wav(tmp_path / "in" / "call.wav", 0.2, seed=1)])
    return export_bag(case, None, tmp_path / "bag")


def verify(package: Path) -> tuple[int, list[str]]:
    result = run("verify-package", package)
    assert "Traceback" not in result.stderr
    problems = [line for line in result.stdout.splitlines() if line.startswith("PROBLEM")]
    return result.returncode, problems


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def regenerate_tag_manifests(bag: Path) -> None:
    """What a careful forger does after editing a tag file."""
    for algorithm in ("sha256", "sha512"):
        lines = [
            f"{hashlib.new(algorithm, (bag / name).read_bytes()).hexdigest()}  {name}\n"
            for name in sorted(p.name for p in bag.iterdir() if p.is_file())
            if not name.startswith("tagmanifest-")
        ]
        (bag / f"tagmanifest-{algorithm}.txt").write_text("".join(lines))


def test_an_untouched_package_verifies(bag: Path) -> None:
    rc, problems = verify(bag)
    assert problems == []
    assert rc in (0, 4)  # 4: intact, but its signer is not in this machine's trusted keys


def test_deleted_tag_manifests_are_a_problem(bag: Path) -> None:
    (bag / "tagmanifest-sha256.txt").unlink()
    (bag / "tagmanifest-sha512.txt").unlink()
    rc, problems = verify(bag)
    assert rc == 1
    assert any("tagmanifest-sha256.txt is missing" in p for p in problems)
    assert any("tagmanifest-sha512.txt is missing" in p for p in problems)


def test_an_edited_bag_info_is_a_problem(bag: Path) -> None:
    edit(
        bag / "bag-info.txt", "Source-Organization: Earwitness case", "Source-Organization: Police"
    )
    rc, problems = verify(bag)
    assert rc == 1
    assert any("bag-info.txt: does not match its sha256 checksum" in p for p in problems)


def test_edited_readme_instructions_are_a_problem(bag: Path) -> None:
    edit(bag / "README.txt", "sha256sum -c manifest-sha256.txt", "trust the sender")
    rc, problems = verify(bag)
    assert rc == 1
    assert any("README.txt: does not match its sha256 checksum" in p for p in problems)
    assert any("README.txt was edited" in p for p in problems)


def test_an_edited_readme_with_regenerated_tag_manifests_is_still_caught(bag: Path) -> None:
    edit(bag / "README.txt", "sha256sum -c manifest-sha256.txt", "trust the sender")
    regenerate_tag_manifests(bag)
    rc, problems = verify(bag)
    assert rc == 1
    [problem] = problems
    assert re.fullmatch(
        r"PROBLEM \[readme_altered\]: README.txt was edited: it is not the one "
        r"the export event \(event \d+\) recorded",
        problem,
    )


def test_an_added_tag_file_is_a_problem(bag: Path) -> None:
    (bag / "INSTRUCTIONS.txt").write_text("Ignore the custody log.\n")
    rc, problems = verify(bag)
    assert rc == 1
    assert any("INSTRUCTIONS.txt: not listed in tagmanifest-sha256.txt" in p for p in problems)


def test_a_removed_tag_file_is_a_problem(bag: Path) -> None:
    (bag / "README.txt").unlink()
    rc, problems = verify(bag)
    assert rc == 1
    assert any("tagmanifest-sha256.txt lists README.txt, which is missing" in p for p in problems)


def test_a_payload_manifest_deleted_is_a_problem(bag: Path) -> None:
    (bag / "manifest-sha512.txt").unlink()
    rc, problems = verify(bag)
    assert rc == 1
    assert any("manifest-sha512.txt is missing" in p for p in problems)


def test_an_edited_tag_file_in_a_zip_is_a_problem(bag: Path, tmp_path: Path) -> None:
    zipped = tmp_path / "edited.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        for path in sorted(p for p in bag.rglob("*") if p.is_file()):
            content = path.read_bytes()
            if path.name == "bag-info.txt":
                content = content.replace(b"Earwitness case", b"Somebody else")
            archive.writestr(f"edited/{path.relative_to(bag).as_posix()}", content)
    rc, problems = verify(zipped)
    assert rc == 1
    assert any("bag-info.txt: does not match" in p for p in problems)
