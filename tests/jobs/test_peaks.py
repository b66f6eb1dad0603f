"""``jobs.peaks``: the review page's waveform, computed once from the verified original."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.jobs.peaks import (
    SCALE,
    compute_peaks,
    deserialise_peaks,
    ensure_peaks,
    serialise_peaks,
)
from earwitness.jobs.recording import OriginalAltered
from earwitness.vault.artefacts import ArtefactTampered, list_artefacts
from earwitness.vault.case import Case
from earwitness.vault.custody import iter_events
from earwitness.vault.intake import ingest_paths
from tests.conftest import write_wav


@pytest.fixture
def exhibit(case: Case, tmp_path: Path) -> str:
    (outcome,) = ingest_paths(case, [write_wav(tmp_path / "in" / "a.wav", seconds=1.5)])
    assert outcome.sha256
    return outcome.sha256


def _reference(samples: np.ndarray, sample_rate: int, rate: int) -> np.ndarray:
    """The slow, obvious min/max per bin, to hold the block-wise version to."""
    bins = -(-len(samples) * rate // sample_rate)
    rows = []
    for i in range(bins):
        part = samples[i * sample_rate // rate : (i + 1) * sample_rate // rate]
        rows.append((part.min(), part.max()))
    return np.clip(np.rint(np.array(rows) * SCALE), -SCALE, SCALE).astype(np.int8)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 5000),
    sample_rate=st.sampled_from([8000, 11025, 22050, 44100]),
    seed=st.integers(0, 2**16),
)
def test_each_bin_holds_the_lowest_and_highest_sample(n: int, sample_rate: int, seed: int):
    samples = np.random.default_rng(seed).uniform(-1.2, 1.2, n).astype(np.float32)
    peaks = compute_peaks(samples, sample_rate)
    np.testing.assert_array_equal(peaks.peaks, _reference(samples, sample_rate, 100))
    assert peaks.duration == pytest.approx(n / sample_rate, abs=1e-6)
    again = deserialise_peaks(serialise_peaks(peaks))
    np.testing.assert_array_equal(again.peaks, peaks.peaks)


def test_blocks_meet_without_a_seam():
    # More bins than one block, at a rate that does not divide into 10 ms.
    rate = 22050
    samples = np.sin(np.arange(rate * 210) / 7.0).astype(np.float32) * 0.5
    samples[rate * 200 + 5] = -1.0  # one sample past the first block boundary
    peaks = compute_peaks(samples, rate)
    np.testing.assert_array_equal(peaks.peaks, _reference(samples, rate, 100))
    assert peaks.peaks[20000, 0] == -SCALE


def test_damaged_samples_never_become_garbage():
    samples = np.array([np.nan, np.inf, -np.inf, 0.5] * 100, dtype=np.float32)
    peaks = compute_peaks(samples, 8000)
    assert peaks.peaks.min() >= -SCALE and peaks.peaks.max() <= SCALE


def test_peaks_are_stored_once_and_read_back_verified(case: Case, exhibit: str):
    first = ensure_peaks(case, exhibit)
    assert not first.reused and first.record is not None
    body = json.loads(first.data)
    assert body["rate"] == 100 and body["scale"] == SCALE
    assert len(body["peaks"]) == 2 * 150  # 1.5 s at 100 bins per second, min and max
    assert max(body["peaks"]) > 0.25 * SCALE  # the tone is there (0.3 amplitude)
    second = ensure_peaks(Case.open(case.paths.root), exhibit)
    assert second.reused and second.data == first.data
    stored = [a for a in list_artefacts(case, exhibit) if a.stage == "waveform_peaks"]
    assert len(stored) == 1
    actions = [e.action for e in iter_events(case.paths.custody)]
    assert actions.count("waveform") == 1 and "review" not in actions  # not an edit


def test_altered_peaks_are_refused_not_served(case: Case, exhibit: str):
    record = ensure_peaks(case, exhibit).record
    assert record is not None
    path = case.store.path_for(record.object_sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b'{"rate":100,"scale":127,"duration":1.5,"peaks":[0,0]}')
    with pytest.raises(ArtefactTampered, match=r"waveform-peaks\.json"):
        ensure_peaks(Case.open(case.paths.root), exhibit)


def test_peaks_are_made_only_from_the_original_as_received(case: Case, exhibit: str):
    path = case.store.path_for(exhibit)
    os.chmod(path, 0o644)
    with open(path, "r+b") as handle:
        handle.seek(-10, os.SEEK_END)
        handle.write(b"\x00" * 10)
    with pytest.raises(OriginalAltered):
        ensure_peaks(Case.open(case.paths.root), exhibit)
