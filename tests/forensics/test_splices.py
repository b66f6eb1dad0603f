"""Edit points without ENF on synthetic reverberant speech-like recordings with known edits."""

import itertools

import numpy as np
import pytest
from scipy import signal

from earwitness.forensics import splices
from earwitness.forensics.findings import Finding
from earwitness.forensics.splices import SEEN_S, UNSEEN_SCORE, check_discontinuities

RATE = 16000


def recording(seconds: float, seed: int, noise: float = 0.003, coloured: bool = False):
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    envelope = (np.sin(2 * np.pi * t * 0.37 + seed) > 0.2) * (
        0.5 + 0.5 * np.sin(8 * np.pi * t) ** 2
    )
    voiced = np.sin(2 * np.pi * (140 + 20 * np.sin(t)) * t) + 0.5 * np.sin(2 * np.pi * 280 * t)
    speech = envelope * (voiced + 0.2 * rng.standard_normal(n)) * 0.2
    room = rng.standard_normal(int(0.3 * RATE)) * np.exp(-np.arange(int(0.3 * RATE)) / RATE / 0.06)
    speech = signal.fftconvolve(speech, room)[:n] * 0.05
    background = rng.standard_normal(n)
    if coloured:
        background = signal.lfilter([1], [1, -0.95], background) * 0.3
    return speech + noise * background


def strong(samples: np.ndarray) -> list[float]:
    result = check_discontinuities(samples, RATE)
    return [(f.start_s + f.end_s) / 2 for f in result.findings if f.score >= 0.5]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_clean_recordings_have_no_edit_point(seed: int) -> None:
    assert strong(recording(60, seed)) == []


def under_speech(samples: np.ndarray) -> list[Finding]:
    """Edit points whose step no pause shows the speed of."""
    return [
        f
        for f in check_discontinuities(samples, RATE).findings
        if f.kind == "edit_point" and "under speech" in f.description
    ]


def test_splice_in_a_pause_between_different_background_levels() -> None:
    """The first recording up to a pause, the other (noisier) from the same pause on."""
    first, second = recording(60, 1), recording(60, 2, 0.006)
    start, end = pause_after(speech_only(60, 1) + speech_only(60, 2), 30)
    join = (start + end) // 2
    [at] = strong(np.concatenate([first[:join], second[join:]]))
    assert abs(at - join / RATE) < 0.5


@pytest.mark.parametrize("coloured", [False, True])
def test_splice_under_speech_is_a_possible_edit_point_scored_below_indication(
    coloured: bool,
) -> None:
    """Joined at 30 s, inside a word: the background changes (6 dB, or to another colour),
    but the nearest pauses lie a second apart, as a change of room while talking would."""
    second = recording(60, 3, coloured=True) if coloured else recording(60, 2, 0.006)
    joined_ = np.concatenate([recording(60, 1)[: 30 * RATE], second[30 * RATE :]])
    assert strong(joined_) == []
    [point] = under_speech(joined_)
    assert abs((point.start_s + point.end_s) / 2 - 30.0) < 1.5
    assert point.score == UNSEEN_SCORE < 0.5
    assert point.evidence["seen_within_s"] > SEEN_S
    assert "no pause shows whether it changed at once" in point.description


def test_butt_splice_sample_jump() -> None:
    x = recording(60, 1)
    x[20 * RATE :] += 0.2
    [at] = strong(x)
    assert abs(at - 20.0) < 0.02
    [finding] = check_discontinuities(x, RATE).findings
    assert finding.evidence["shape"] == "step" and "butt splice" in finding.description


@pytest.mark.parametrize(("edge", "at_s"), [("end", 30.0 - 0.044), ("start", 0.05)])
def test_a_step_at_the_edge_of_the_file_is_no_edit_point(monkeypatch, edge, at_s) -> None:
    """As the AAC 32 → Opus 24 chain leaves where a genuine file's sound meets the coder's
    padding, 44 ms before the end of the file (ratio 32, searched at 16 kHz), or where a
    coder's priming meets the sound. The waveform search rarely reaches so near an end, so
    it is given the step here; what the check makes of it is what is tested."""
    monkeypatch.setattr(splices, "sample_jumps", lambda samples, rate: [(at_s, 31.6, 0, 16000)])
    result = check_discontinuities(recording(30, 1), RATE)
    assert not [f for f in result.findings if f.kind == "edit_point" and f.score >= 0.5]
    [observed] = [f for f in result.findings if f.evidence.get("file_edge")]
    assert observed.kind == "other" and observed.evidence["file_edge"] == edge
    assert observed.score <= 0.3 and "not weighed as an edit point" in observed.description
    assert ("0.044 s before the end" if edge == "end" else "0.050 s after the start") in (
        observed.description
    )
    assert f"a step at the {edge} of the file" in result.summary
    assert result.metrics["steps_at_file_edges"] == 1


def test_a_step_half_a_second_inside_stays_an_edit_point(monkeypatch) -> None:
    monkeypatch.setattr(splices, "sample_jumps", lambda samples, rate: [(29.5, 31.6, 0, 16000)])
    found = [f for f in check_discontinuities(recording(30, 1), RATE).findings if f.score >= 0.5]
    assert [(f.kind, f.evidence["shape"]) for f in found] == [("edit_point", "step")]


def test_a_lone_sample_out_of_line_is_a_dropout_not_an_edit_point() -> None:
    """As in pyannote's tst01 at exactly 12.5 s: one sample off, its neighbours in line."""
    x = recording(60, 1)
    x[20 * RATE] += 0.2
    [finding] = check_discontinuities(x, RATE).findings
    assert finding.kind == "dropout"
    assert abs(finding.start_s + 0.01 - 20.0) < 0.001
    assert finding.evidence["shape"] == "dropout" and finding.evidence["run_samples"] == 1
    assert "single sample out of line" in finding.description
    assert "butt splice" not in finding.description


def test_a_short_run_of_samples_out_of_line_is_a_dropout() -> None:
    x = recording(60, 1)
    x[20 * RATE : 20 * RATE + 4] = 0.3  # four samples (0.25 ms) stuck, then back on course
    findings = check_discontinuities(x, RATE).findings
    assert [f.kind for f in findings] == ["dropout"]
    assert findings[0].evidence["run_samples"] == 4


def test_a_run_of_digital_zeros_is_a_dropout_though_the_waveform_moved_on() -> None:
    """A buffer underrun: 18 samples (1.1 ms) zeroed in a voiced tone, which has moved far
    along its cycle by the time the samples resume."""
    x = recording(60, 1)
    t = np.arange(len(x)) / RATE
    x += 0.2 * np.sin(2 * np.pi * 140 * t) * (np.abs(t - 20.0) < 0.3)
    x[20 * RATE : 20 * RATE + 18] = 0.0
    findings = check_discontinuities(x, RATE).findings
    assert [f.kind for f in findings if f.score >= 0.5] == ["dropout"]


def test_a_dropout_where_the_background_changes_stays_an_edit_point() -> None:
    """A join in a pause to a louder background, with one sample out of line at the join."""
    x = recording(60, 1)
    start, end = pause_after(speech_only(60, 1) + speech_only(60, 7), 30)
    join = (start + end) // 2
    x[join:] = recording(60, 7)[join:] * 2.0
    x[join] += 0.3
    points = [f for f in check_discontinuities(x, RATE).findings if f.kind == "edit_point"]
    assert any(
        abs((f.start_s + f.end_s) / 2 - join / RATE) < 0.5 and f.score >= 0.5 for f in points
    )


@pytest.mark.parametrize("x", [np.zeros(10 * RATE), np.ones(10 * RATE), np.zeros(100)])
def test_degenerate_input_is_not_applicable(x: np.ndarray) -> None:
    assert check_discontinuities(x, RATE).status == "not_applicable"


@pytest.mark.parametrize(
    "name",
    [
        "speech/en/whisper.cpp/jfk.wav",
        "diarization/pyannote-audio/sample/sample.wav",
        "diarization/pyannote-audio/tests_data/dev00.wav",
        "diarization/pyannote-audio/tests_data/dev01.wav",
        "diarization/pyannote-audio/tests_data/tst00.wav",
    ],
)
def test_real_recordings_without_known_edits_stay_below_indication(name: str) -> None:
    from earwitness.media.decode import decode_audio
    from tests.conftest import shared

    path = shared(f"data/real/{name}")
    audio = decode_audio(path)
    result = check_discontinuities(audio.samples, audio.sample_rate)
    points = [f for f in result.findings if f.kind == "edit_point" and f.score >= 0.5]
    assert [f.start_s for f in points] == []


def drifting(n: int, seed: int, colour: float = 0.0, wobble_db: float = 1.5) -> np.ndarray:
    """Unit-RMS noise (white, or first-order coloured) whose level drifts by ±wobble_db over
    8 s knots, as a room's background does."""
    rng = np.random.default_rng(seed)
    noise = signal.lfilter([1], [1, -colour], rng.standard_normal(n))
    noise /= np.std(noise)
    knots = np.linspace(0, n, max(n // (8 * RATE), 2) + 1)
    gain_db = np.interp(np.arange(n), knots, rng.uniform(-wobble_db, wobble_db, len(knots)))
    return noise * 10 ** (gain_db / 20)


def speech_only(seconds: float, seed: int) -> np.ndarray:
    return recording(seconds, seed, noise=0.0)


def pause_after(speech: np.ndarray, seconds: float) -> tuple[int, int]:
    """Start and end (samples) of the first pause (speech and its reverberation silent)
    that begins after ``seconds``."""
    quiet = np.abs(speech) < 1e-9
    edges = np.flatnonzero(np.diff(quiet.astype(int)))
    starts = edges[(~quiet[edges]) & (edges >= seconds * RATE)] + 1
    start = int(starts[0])
    return start, start + int(np.argmin(quiet[start:]))


def joined(
    seed: int,
    first: tuple[float, int, float],
    second: tuple[float, int, float],
    after_s: float,
) -> tuple[np.ndarray, int]:
    """One minute of speech whose steady background (level, seed, colour) changes from
    ``first`` to ``second`` in the middle of the first pause after ``after_s``; and that
    sample."""
    n = 60 * RATE
    speech = speech_only(60, seed)
    backgrounds = [
        level * drifting(n, noise_seed, colour=colour, wobble_db=0.0)
        for level, noise_seed, colour in (first, second)
    ]
    join = sum(pause_after(speech, after_s)) // 2
    return speech + np.concatenate([backgrounds[0][:join], backgrounds[1][join:]]), join


def test_drifting_background_without_edits_gives_no_finding() -> None:
    # Speech in pauses of a background drifting ±1.5 dB: no background step at all, not even
    # a weak one, so clean files keep an edit score of 0.
    for seed in (4, 5):
        n = 60 * RATE
        x = speech_only(60, seed) + 0.003 * drifting(n, seed, colour=0.9)
        findings = check_discontinuities(x, RATE).findings
        assert [f.score for f in findings if f.check == "discontinuities"] == []


def test_join_with_same_level_but_other_colour_is_found_and_located() -> None:
    # Both backgrounds at the same RMS, the join in a pause: the spectral shape changes.
    x, join = joined(1, (0.003, 1, 0.5), (0.003, 2, 0.9), after_s=30)
    result = check_discontinuities(x, RATE)
    points = [(f.start_s + f.end_s) / 2 for f in result.findings if f.score >= 0.5]
    assert len(points) == 1
    assert abs(points[0] - join / RATE) < 0.5
    [finding] = [f for f in result.findings if f.score >= 0.5]
    assert finding.evidence["shape_step_db"] > 1.5


def test_louder_background_after_join_is_located_at_the_join() -> None:
    # The louder background right after the join is not at the local floor (the quieter one
    # still is within the window); the place must still be the join, not a pause further on.
    x, join = joined(3, (0.002, 3, 0.9), (0.008, 6, 0.9), after_s=27)
    points = strong(x)
    assert len(points) == 1
    assert abs(points[0] - join / RATE) < 0.5


def test_passing_sound_in_one_pause_is_not_a_join() -> None:
    # A fan or a car for 0.6 s within one pause raises the floor there, then it is back: the
    # step does not hold against the background further out.
    n = 60 * RATE
    x = speech_only(60, 4) + 0.003 * drifting(n, 4, colour=0.9, wobble_db=0.0)
    start = pause_after(speech_only(60, 4), 30)[0] + RATE // 5
    rng = np.random.default_rng(9)
    x[start : start + int(0.6 * RATE)] += 0.006 * rng.standard_normal(int(0.6 * RATE))
    assert strong(x) == []


def test_lively_background_is_judged_against_its_own_scatter() -> None:
    # A background whose level jumps by up to ±3 dB four times a second (a meeting room,
    # traffic): its floor frames scatter, and a difference of that size between two pauses is
    # ordinary in this file, not a join.
    rng = np.random.default_rng(7)
    n = 60 * RATE
    speech = speech_only(60, 7)
    gain_db = np.repeat(rng.uniform(-3, 3, 60 * 4), RATE // 4)[:n]
    x = speech + 0.003 * drifting(n, 7, colour=0.9, wobble_db=0.0) * 10 ** (gain_db / 20)
    assert strong(x) == []


def test_deletion_with_hard_cut_in_low_frequency_background() -> None:
    # Deleting a phrase with the pauses around it, cut in the pauses, in a background
    # dominated by low frequencies (brown-like): the waveform steps where the two ends meet.
    n = 62 * RATE
    speech = speech_only(62, 8)
    x = speech + 0.003 * drifting(n, 8, colour=0.999, wobble_db=0.0)
    start, end = pause_after(speech, 30)
    cut = start + RATE // 10
    rest = pause_after(speech, end / RATE + 0.1)[0] + RATE // 10  # in the next pause
    edited = np.concatenate([x[:cut], x[rest:]])
    assert strong(x) == []
    points = strong(edited)
    assert len(points) == 1
    assert abs(points[0] - cut / RATE) < 0.05


def test_hard_cut_survives_opus_which_decodes_at_48_khz(tmp_path) -> None:
    """Opus spreads the step over several of its 48 kHz samples; searched at 16 kHz as well,
    the cut is found where it is (and the unedited file stays without a point)."""
    from earwitness.media.decode import decode_audio
    from tests.conftest import encode_samples

    n = 62 * RATE
    speech = speech_only(62, 8)
    x = speech + 0.003 * drifting(n, 8, colour=0.999, wobble_db=0.0)
    start, end = pause_after(speech, 30)
    cut = start + RATE // 10
    rest = pause_after(speech, end / RATE + 0.1)[0] + RATE // 10
    edited = np.concatenate([x[:cut], x[rest:]])
    found = {}
    for name, samples in (("clean", x), ("edited", edited)):
        path = encode_samples(tmp_path / f"{name}.opus", samples, RATE, "libopus", "ogg", 64_000)
        decoded = decode_audio(path)
        assert decoded.sample_rate == 48000
        result = check_discontinuities(decoded.samples, decoded.sample_rate)
        found[name] = [(f.start_s + f.end_s) / 2 for f in result.findings if f.score >= 0.5]
    assert found["clean"] == []
    assert len(found["edited"]) == 1
    # Opus delays its output by its look-ahead (6.5 ms at 48 kHz), which decoding keeps.
    assert abs(found["edited"][0] - cut / RATE) < 0.05


def coded_pause_by_pause(seed: int, spread_db: float, change_at: float | None = None) -> np.ndarray:
    """Speech over a background whose level is set afresh, by ±``spread_db``, from one onset
    of speech to the next: as a lossy coder at a low rate codes each pause's noise a little
    differently. With ``change_at``, the background is 6 dB louder from then on."""
    n = 62 * RATE
    speech = speech_only(62, seed)
    gain = np.ones(n)
    onsets = np.flatnonzero(np.diff((np.abs(speech) < 1e-9).astype(int)) == -1)
    bounds = np.r_[0, onsets, n]
    rng = np.random.default_rng(seed + 100)
    for start, stop in itertools.pairwise(bounds):
        gain[start:stop] = 10 ** (rng.normal(0, spread_db) / 20)
    if change_at is not None:
        gain[int(change_at * RATE) :] *= 2.0
    return speech + 0.003 * drifting(n, seed, colour=0.9, wobble_db=0.0) * gain


@pytest.mark.parametrize(("seed", "spread_db"), [(0, 1.0), (2, 0.7), (5, 0.7), (5, 1.0)])
def test_background_coded_differently_pause_by_pause_is_not_a_join(
    seed: int, spread_db: float
) -> None:
    """Compared only with more frames of the same pause, one pause coded a dB lower than the
    pauses around it used to look like a lasting change (scores up to 0.9 on these)."""
    assert strong(coded_pause_by_pause(seed, spread_db)) == []


@pytest.mark.parametrize("seed", [0, 3, 4])
def test_a_lasting_change_in_such_a_background_is_still_found(seed: int) -> None:
    at = 30.0 if seed % 2 else 31.3
    x = coded_pause_by_pause(seed, 0.7, change_at=at)
    if seed == 4:  # the change falls inside 1.5 s of speech: no pause shows how fast it went
        assert strong(x) == []
        [point] = under_speech(x)
        found = (point.start_s + point.end_s) / 2
    else:
        [found] = strong(x)
    assert abs(found - at) < 1.0
