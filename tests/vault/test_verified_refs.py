"""Exhibit references resolve against the verified custody log: an edited catalog cell never
makes a name, a hash prefix or a file point at another exhibit."""

from __future__ import annotations

from pathlib import Path

import pytest

from earwitness.errors import EarwitnessError, ExhibitNotFound
from earwitness.vault.hashing import sha256_file
from earwitness.vault.intake import ingest_paths
from earwitness.vault.refs import resolve_exhibit
from earwitness.vault.verified_log import CustodyLogInvalid
from tests.conftest import write_wav
from tests.vault.forgery import Filled, filled_case, sql


@pytest.fixture
def filled(tmp_path: Path) -> Filled:
    return filled_case(tmp_path)


def test_a_forged_name_cell_does_not_move_a_name_to_another_exhibit(filled: Filled) -> None:
    first, second = filled.exhibits
    sql(filled.case, "UPDATE intakes SET original_name = 'renamed.wav' WHERE seq = 2")
    sql(filled.case, "UPDATE intakes SET original_name = 'звонок 0.wav' WHERE seq = 3")
    assert resolve_exhibit(filled.case, "звонок 0.wav") == first
    assert resolve_exhibit(filled.case, "звонок 1.wav") == second
    with pytest.raises(ExhibitNotFound, match=r"renamed\.wav"):
        resolve_exhibit(filled.case, "renamed.wav")


def test_a_forged_exhibit_key_does_not_answer_a_hash_prefix(filled: Filled) -> None:
    _, second = filled.exhibits
    forged = "f00d" + second[4:]
    sql(filled.case, "UPDATE exhibits SET sha256 = ? WHERE sha256 = ?", forged, second)
    sql(filled.case, "UPDATE intakes SET exhibit_sha256 = ? WHERE seq = 3", forged)
    assert resolve_exhibit(filled.case, second[:8]) == second
    assert resolve_exhibit(filled.case, "звонок 1.wav") == second
    with pytest.raises(ExhibitNotFound):
        resolve_exhibit(filled.case, "f00d")


def test_a_file_known_only_to_the_catalog_is_not_in_the_case(
    filled: Filled, tmp_path: Path
) -> None:
    stranger = write_wav(tmp_path / "stranger.wav", 0.2, seed=7)
    digest = sha256_file(stranger)
    sql(
        filled.case,
        "INSERT INTO exhibits (sha256, md5, size_bytes, first_seq, media, probe_error) "
        "VALUES (?, ?, 1, 2, NULL, NULL)",
        digest,
        "0" * 32,
    )
    with pytest.raises(ExhibitNotFound, match="not in the case"):
        resolve_exhibit(filled.case, str(stranger))


def test_references_follow_exhibits_ingested_after_the_log_was_checked(
    filled: Filled, tmp_path: Path
) -> None:
    assert resolve_exhibit(filled.case, "звонок 0.wav") == filled.exhibits[0]  # log now cached
    later = write_wav(tmp_path / "later.wav", 0.2, seed=9)
    [outcome] = ingest_paths(filled.case, [later])
    assert resolve_exhibit(filled.case, "later.wav") == outcome.sha256
    assert resolve_exhibit(filled.case, str(later)) == outcome.sha256


def test_a_log_that_does_not_verify_resolves_nothing(filled: Filled) -> None:
    case = filled.case
    lines = case.paths.custody.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace("звонок 1.wav".encode(), "звонок 0.wav".encode())
    case.paths.custody.write_bytes(b"".join(lines))
    for reference in ("звонок 0.wav", filled.exhibits[1][:8]):
        with pytest.raises(CustodyLogInvalid, match="does not verify") as caught:
            resolve_exhibit(case, reference)
        assert isinstance(caught.value, EarwitnessError) and "\n" not in str(caught.value)
