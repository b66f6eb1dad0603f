"""The compact speech timeline: windows Whisper can read, times that map back exactly."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from earwitness.speech.vad import SAMPLE_RATE, WINDOW_S, SpeechMap, speech_regions
from tests.conftest import shared

regions = st.lists(
    st.tuples(st.floats(0, 3600, allow_nan=False), st.floats(0, 90, allow_nan=False)).map(
        lambda pair: (pair[0], pair[0] + pair[1])
    ),
    max_size=40,
)


@given(regions)
def test_windows_tile_the_compact_timeline_and_none_is_too_long(spans) -> None:
    speech = SpeechMap.build(spans)
    total = speech.speech_seconds
    assert all(end - start <= WINDOW_S + 1e-6 for start, end in speech.windows)
    assert all(end - start <= WINDOW_S + 1e-6 for start, end in speech.regions)
    if speech.windows:
        assert speech.windows[0][0] == 0.0
        assert abs(speech.windows[-1][1] - total) < 1e-6
        for (_, end), (start, _) in zip(speech.windows, speech.windows[1:], strict=False):
            assert abs(end - start) < 1e-9
    covered = (
        sum(max(0.0, min(e, max(b for _, b in spans)) - s) for s, e in speech.regions)
        if spans
        else 0.0
    )
    assert abs(covered - total) < 1e-6


@given(regions, st.floats(0, 1))
def test_compact_times_map_back_inside_speech_and_in_order(spans, fraction) -> None:
    speech = SpeechMap.build(spans)
    if not speech.regions:
        return
    times = np.linspace(0, speech.speech_seconds, 50)
    mapped = [speech.to_original(t) for t in times]
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(mapped))
    t = fraction * speech.speech_seconds
    inside = speech.to_original(t)
    assert any(s - 1e-9 <= inside <= e + 1e-9 for s, e in speech.regions)


def test_a_junction_belongs_to_the_region_it_ends_or_starts() -> None:
    speech = SpeechMap.build([(10.0, 12.0), (20.0, 21.0)])
    assert speech.to_original(2.0, is_end=True) == 12.0
    assert speech.to_original(2.0) == 20.0
    assert speech.to_original(0.5) == 10.5
    assert speech.to_original(2.5) == 20.5


def test_a_word_across_a_junction_stays_in_the_region_of_its_middle() -> None:
    speech = SpeechMap.build([(10.0, 12.0), (40.0, 41.0)])
    # Starts 0.1 s before the junction, mostly after it: said at 40 s, not from 11.9 s.
    assert speech.span_to_original(1.9, 2.5) == (40.0, 40.5)
    assert speech.span_to_original(1.5, 2.1) == (11.5, 12.0)


@given(regions, st.floats(0, 1), st.floats(0, 2))
def test_a_mapped_span_lies_in_one_region(spans, fraction, length) -> None:
    speech = SpeechMap.build(spans)
    if not speech.regions:
        return
    start = fraction * speech.speech_seconds
    mapped_start, mapped_end = speech.span_to_original(start, start + length)
    assert mapped_start <= mapped_end
    assert any(s <= mapped_start and mapped_end <= e for s, e in speech.regions)


def test_compact_audio_holds_only_speech() -> None:
    samples = np.zeros(SAMPLE_RATE * 5, dtype=np.float32)
    samples[SAMPLE_RATE : 2 * SAMPLE_RATE] = 1.0
    samples[3 * SAMPLE_RATE : 4 * SAMPLE_RATE] = 2.0
    compact = SpeechMap.build([(1.0, 2.0), (3.0, 4.0)]).compact(samples)
    assert len(compact) == 2 * SAMPLE_RATE
    assert set(np.unique(compact)) == {1.0, 2.0}


def test_silence_and_noise_hold_no_speech_but_a_voice_does() -> None:
    rng = np.random.default_rng(1)
    assert speech_regions(np.zeros(SAMPLE_RATE * 10, dtype=np.float32)) == []
    noise = (0.01 * rng.standard_normal(SAMPLE_RATE * 10)).astype(np.float32)
    assert sum(e - s for s, e in speech_regions(noise)) < 1.0
    from earwitness.media.decode import decode_audio

    jfk = decode_audio(shared("data/real/speech/en/whisper.cpp/jfk.wav")).samples
    found = speech_regions(jfk)
    assert 7.0 < sum(e - s for s, e in found) < 11.0
    assert found[0][0] < 0.6


def test_speech_probabilities_in_blocks_are_faster_whispers(monkeypatch) -> None:
    """More than one model call's windows (10000, about 5.3 min), read from a memory-mapped
    file: the same probabilities as faster-whisper's model on the whole padded recording, so
    the same regions as its own ``get_speech_timestamps``."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps, get_vad_model

    from earwitness.media import blocks
    from earwitness.media.decode import decode_audio
    from earwitness.speech import vad

    voice = decode_audio(shared("data/real/speech/en/whisper.cpp/jfk.wav")).samples
    rng = np.random.default_rng(0)
    pauses = [np.zeros(int(rng.uniform(0.5, 4) * SAMPLE_RATE)) for _ in range(26)]
    audio = np.concatenate([part for pause in pauses for part in (voice, pause)])
    audio = (audio + 0.001 * rng.standard_normal(len(audio))).astype(np.float32)
    assert len(audio) // vad.WINDOW > vad.MODEL_BATCH
    expected = get_vad_model()(np.pad(audio, (0, vad.WINDOW - len(audio) % vad.WINDOW)))
    monkeypatch.setattr(blocks, "BLOCK", 1 << 16)
    mapped = blocks.spill([(0, audio)], len(audio), np.float32)
    np.testing.assert_array_equal(vad._speech_probabilities(mapped), expected)
    options = VadOptions(
        max_speech_duration_s=vad.FILL_S, min_silence_duration_ms=vad.MIN_SILENCE_MS
    )
    stamps = get_speech_timestamps(audio, options, sampling_rate=SAMPLE_RATE)
    regions = speech_regions(mapped)
    assert len(regions) >= 26
    assert regions == [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]


def test_compact_of_a_long_recording_is_mapped_and_the_same(monkeypatch) -> None:
    from earwitness.media import blocks

    samples = np.random.default_rng(3).standard_normal(20 * SAMPLE_RATE).astype(np.float32)
    speech = SpeechMap.build([(0.5, 3.25), (4.0, 9.0), (12.5, 19.99), (19.999, 25.0)])
    expected = speech.compact(samples)
    monkeypatch.setattr(blocks, "BLOCK", 4096)
    mapped = speech.compact(blocks.spill([(0, samples)], len(samples), np.float32))
    assert isinstance(mapped, np.memmap)
    np.testing.assert_array_equal(mapped, expected)
    # The last region runs past the end of the recording: it is cut there, in both.
    ends = [min(round(end * SAMPLE_RATE), len(samples)) for _, end in speech.regions]
    starts = [round(start * SAMPLE_RATE) for start, _ in speech.regions]
    assert len(expected) == sum(e - s for s, e in zip(starts, ends, strict=True))
    assert speech.regions[-1][1] * SAMPLE_RATE > len(samples)
