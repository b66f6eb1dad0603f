"""Export hashes every object as it copies it: an object altered after the case was verified is
refused by name, and the refused export leaves no package, no staging folder and no event."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from earwitness.errors import EarwitnessError
from earwitness.vault import custody
from earwitness.vault.case import Case
from earwitness.vault.package_export import ExportRefused, export_bag
from earwitness.vault.package_read import verify_package
from earwitness.vault.verified_log import verified_events
from tests.vault.forgery import Filled, filled_case


@pytest.fixture
def filled(tmp_path: Path) -> Filled:
    filled = filled_case(tmp_path)
    verified_events(filled.case)  # the log is checked (and cached) before anything is altered
    return filled


def overwrite(case: Case, sha256: str, content: bytes) -> None:
    path = case.store.path_for(sha256)
    os.chmod(path, 0o644)
    path.write_bytes(content)


def actions(case: Case) -> list[str]:
    return [event.action for event in custody.iter_events(case.paths.custody)]


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("name", ["bag", "bag.zip", "new/deeper/bag", "new/deeper/bag.zip"])
def test_an_altered_artefact_is_refused_and_nothing_is_left(
    filled: Filled, tmp_path: Path, name: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    before = actions(filled.case)
    overwrite(filled.case, filled.examination.object_sha256, b'{"findings": ["FORGED"]}')
    with pytest.raises(ExportRefused) as caught:
        export_bag(filled.case, None, out / name)
    message = str(caught.value)
    assert isinstance(caught.value, EarwitnessError) and "\n" not in message
    assert "artefact 'examination.json' (examination" in message
    assert filled.examination.object_sha256[:12] in message
    assert f"custody event {filled.examination.seq}" in message and "altered" in message
    assert leftovers(out) == []  # no package, no .earwitness-bag-*, no folder it made
    assert actions(filled.case) == before  # no export event for an export that failed


def test_an_altered_original_is_refused_by_its_logged_name(filled: Filled, tmp_path: Path) -> None:
    first = filled.exhibits[0]
    overwrite(filled.case, first, filled.case.store.read_bytes(first)[:-1] + b"\x01")
    with pytest.raises(ExportRefused, match=rf"original 'звонок 0.wav' \(object {first[:12]}"):
        export_bag(filled.case, None, tmp_path / "bag.zip")
    assert leftovers(tmp_path) == ["case", "in"]
    assert actions(filled.case)[-1] == "examination"


def test_a_missing_object_is_refused(filled: Filled, tmp_path: Path) -> None:
    filled.case.store.path_for(filled.translation.object_sha256).unlink()
    with pytest.raises(ExportRefused, match=r"translation\.json.*the stored object is missing"):
        export_bag(filled.case, [filled.exhibits[0]], tmp_path / "bag")
    assert not (tmp_path / "bag").exists()


def test_an_object_not_asked_for_does_not_block_an_export(filled: Filled, tmp_path: Path) -> None:
    overwrite(filled.case, filled.examination.object_sha256, b"altered")  # of exhibit 1
    bag = export_bag(filled.case, [filled.exhibits[0]], tmp_path / "bag")
    assert verify_package(bag).ok
    assert actions(filled.case)[-1] == "export"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".earwitness-bag-")]
