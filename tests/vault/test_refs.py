from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.errors import AmbiguousReference, ExhibitNotFound
from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from earwitness.vault.refs import near_names, resolve_exhibit
from earwitness.vault.verified_log import verified_projection
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


def test_a_name_not_found_suggests_the_names_it_may_have_meant(case: Case, tmp_path: Path) -> None:
    names = ["Совещание МВД 2020.wav", "forwarded.opus", "jfk.flac", "notes.mp3"]
    ingest_paths(case, [write_wav(tmp_path / n, 0.2, seed=i) for i, n in enumerate(names)])
    for typed, meant in [
        ("forwarded", "'forwarded.opus'"),
        ("JFK.FLAC", "'jfk.flac'"),
        ("Совещание МВД 2021.wav", "'Совещание МВД 2020.wav'"),
    ]:
        with pytest.raises(ExhibitNotFound) as caught:
            resolve_exhibit(case, typed)
        assert str(caught.value).endswith(f"(did you mean {meant}?)"), caught.value
    with pytest.raises(ExhibitNotFound) as caught:
        resolve_exhibit(case, "minutes.docx")
    assert "did you mean" not in str(caught.value)


def test_suggestions_are_names_of_the_case_at_most_three_and_each_once(
    case: Case, tmp_path: Path
) -> None:
    names = ["take.wav", "take.mp3", "Take.WAV", "taken.wav", "call.m4a"]
    ingest_paths(case, [write_wav(tmp_path / n, 0.2, seed=i) for i, n in enumerate(names)])
    logged = verified_projection(case)

    @settings(max_examples=200, deadline=None)
    @given(typed=st.one_of(st.text(max_size=30), st.sampled_from(["take", "TAKE.WAV", "tak.wav"])))
    def check(typed: str) -> None:
        near = near_names(logged, typed)
        assert len(near) <= 3 and len(set(near)) == len(near) and set(near) <= set(names)

    check()
