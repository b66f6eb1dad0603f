from pathlib import Path

import pytest

from earwitness.errors import AmbiguousReference, ExhibitNotFound
from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from earwitness.vault.refs import resolve_exhibit
from tests.conftest import write_wav


def test_references_by_prefix_name_and_path(case: Case, tmp_path: Path) -> None:
    path = write_wav(tmp_path / "звонок.wav", 0.2)
    [outcome] = ingest_paths(case, [path])
    digest = outcome.sha256
    assert resolve_exhibit(case, digest[:6]) == digest
    assert resolve_exhibit(case, digest[:6].upper()) == digest
    assert resolve_exhibit(case, "звонок.wav") == digest
    assert resolve_exhibit(case, str(path)) == digest


def test_unknown_and_ambiguous_references_are_clear_errors(case: Case, tmp_path: Path) -> None:
    one = write_wav(tmp_path / "x" / "take.wav", 0.2, seed=1)
    two = write_wav(tmp_path / "y" / "take.wav", 0.2, seed=2)
    ingest_paths(case, [one, two])
    with pytest.raises(AmbiguousReference, match="names 2 exhibits"):
        resolve_exhibit(case, "take.wav")
    with pytest.raises(ExhibitNotFound):
        resolve_exhibit(case, "nothing.wav")
    stranger = write_wav(tmp_path / "stranger.wav", 0.2, seed=3)
    with pytest.raises(ExhibitNotFound, match="not in the case"):
        resolve_exhibit(case, str(stranger))
