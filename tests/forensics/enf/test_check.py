"""ENF on signals with known answers: synthetic hum, and the real ENF-WHU mains recordings."""

import wave

import numpy as np
import pytest
from scipy import signal

from earwitness.forensics.enf.check import BASE_RATE, check_enf, outlier_variance
from tests.conftest import SHARED, shared

RATE = 8000
WHU = SHARED / "data/real/enf/enf-whu/H1_ref"


def hum(seconds: float, nominal: float = 50.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Speech-like noise bursts plus hum whose frequency wanders slowly; returns (x, true f)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    freq = nominal + 0.02 * np.sin(2 * np.pi * t / 40) + 0.005 * np.sin(2 * np.pi * t / 13)
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    bursts = rng.standard_normal(n) * (0.1 + 0.1 * (np.sin(t * 3) > 0))
    x = 0.3 * bursts + 0.01 * np.sin(phase) + 0.003 * np.sin(2 * phase + 1)
    return x.astype(np.float32), freq


@pytest.mark.parametrize("nominal", [50.0, 60.0])
def test_hum_is_found_and_tracked(nominal: float) -> None:
    x, truth = hum(120, nominal)
    tracks: dict = {}
    result = check_enf(x, RATE, None, tracks)
    assert result.status == "ok" and result.metrics["nominal_hz"] == nominal
    times, freq = tracks["enf_track"]
    error = freq - np.interp(times, np.arange(len(truth)) / RATE, truth)
    assert np.sqrt(np.mean(error**2)) < 0.008  # 8 s frames smooth the 13 s wobble a little
    assert max((f.score for f in result.findings), default=0) < 0.5


@pytest.mark.parametrize("make", ["noise", "tone"])
def test_no_hum_means_not_applicable(make: str) -> None:
    rng = np.random.default_rng(1)
    t = np.arange(60 * RATE) / RATE
    x = rng.standard_normal(len(t)) * 0.1
    if make == "tone":
        x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * x
    result = check_enf(x, RATE)
    assert result.status == "not_applicable" and result.metrics["present"] is False


@pytest.mark.parametrize(
    ("seconds", "points", "words"),
    [
        (17, 2, "tracked at 2 points 1 s apart (frames of 16 s)"),
        (12, 1, "measured once, the recording being one frame long (frames of 12 s)"),
    ],
)
def test_summary_says_how_the_track_was_measured(seconds: int, points: int, words: str) -> None:
    # A 17 s recording once read "frequency tracked over 1 s": one point, from a frame
    # that covers all of it.
    x = hum(seconds)[0]
    result = check_enf(x, RATE)
    assert result.status == "ok"
    assert result.metrics["track_points"] == points
    assert f"frequency {words}, mean" in result.summary


def test_short_recording_is_not_applicable() -> None:
    assert check_enf(np.zeros(5 * RATE), RATE).status == "not_applicable"


def test_phase_jump_of_known_size_at_known_time() -> None:
    x, _ = hum(120, seed=2)
    cut, removed = int(60.0 * RATE), int(0.9137 * RATE)  # 45.685 cycles: a 0.685-cycle jump
    edited = np.concatenate([x[:cut], x[cut + removed :]])
    result = check_enf(edited, RATE)
    strong = [f for f in result.findings if f.score >= 0.9]
    assert len(strong) == 1
    [point] = strong
    assert abs(point.start_s + 0.25 - 60.0) < 0.5
    expected = np.angle(np.exp(1j * 2 * np.pi * 0.685))  # later material moved earlier
    assert abs(point.evidence["phase_jump_rad"] - expected) < 0.5


def weak_hum(
    seconds: float,
    hum_db: float,
    seed: int = 0,
    pause_s: tuple[float, float] | None = None,
    brown_db: float = -20.0,
) -> tuple[np.ndarray, float]:
    """Weak hum as in the tamper benchmark: speech-like bursts (tilted away from the low end
    like a voice), brown noise ``brown_db`` under them, and hum (fundamental, and a third
    harmonic at half its amplitude) ``hum_db`` under the bursts, wandering like a grid.
    ``pause_s``: a stretch without speech. Returns (x, the hum's SNR within ±0.5 Hz of 50 Hz,
    dB)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    freq = 50 + 0.02 * np.sin(2 * np.pi * t / 50 + seed) + 0.004 * np.sin(2 * np.pi * t / 17)
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    highpass = signal.butter(1, 100, "highpass", fs=RATE, output="sos")
    voice = signal.sosfilt(highpass, rng.normal(size=n))
    lengths = (rng.uniform(0.15, 0.6, size=int(seconds) * 4) * RATE).astype(int)
    on = np.repeat(rng.random(len(lengths)) < 0.6, lengths)[:n].astype(float)
    on = np.pad(on, (0, n - len(on)))
    if pause_s is not None:
        on[int(pause_s[0] * RATE) : int(pause_s[1] * RATE)] = 0.0
    voice *= signal.sosfiltfilt(signal.butter(2, 20, fs=RATE, output="sos"), 0.03 + on)
    rumble = signal.butter(1, 10, "highpass", fs=RATE, output="sos")
    brown = signal.sosfilt(rumble, np.cumsum(rng.normal(size=n)))
    brown *= 10 ** (brown_db / 20) * np.std(voice) / np.std(brown)
    level = np.std(voice) * 10 ** (hum_db / 20) * np.sqrt(2)
    band = signal.butter(4, [49.5, 50.5], "bandpass", fs=RATE, output="sos")
    snr = 10 * np.log10(level**2 / 2 / np.var(signal.sosfiltfilt(band, voice + brown)))
    x = voice + brown + level * (np.sin(phase) + 0.5 * np.sin(3 * phase + 1))
    return x.astype(np.float32), float(snr)


@pytest.mark.parametrize("seed", range(3))
def test_a_deletion_3_s_in_is_found_from_the_first_seconds(seed: int) -> None:
    # Loud noise hides the hum from 1.5 s to the cut at 3.2 s (157° of 50 Hz removed): the
    # hum before the cut shows only in the file's first 1.5 s, where no step is placed but
    # a step's side may reach (with sides stopping at 1.5 s, none of these was found).
    x, _ = hum(40, seed=seed)
    cut = int(3.2 * RATE)
    edited = np.concatenate([x[:cut], x[cut + int(0.0087 * RATE) :]]).astype(np.float64)
    loud = slice(int(1.5 * RATE), cut)
    edited[loud] += np.random.default_rng(seed).standard_normal(cut - loud.start) * 3
    result = check_enf(edited.astype(np.float32), RATE)
    points = [f for f in result.findings if f.score >= 0.5]
    assert len(points) == 1 and points[0].start_s <= 3.2 <= points[0].end_s


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weak_hum_phase_step_is_found_where_it_is(seed: int) -> None:
    x, band_snr = weak_hum(90, -34, seed, pause_s=(44.0, 46.8))
    assert band_snr < 10  # the weak class of the tamper benchmark
    cut, removed = int(44.9 * RATE), int(0.905 * RATE)  # 45.25 cycles: a quarter-cycle jump
    edited = np.concatenate([x[:cut], x[cut + removed :]])  # cut in a pause, as editors do
    found = [f for f in check_enf(edited, RATE).findings if f.score >= 0.5]
    assert len(found) == 1
    [point] = found
    assert point.start_s - 0.5 <= 44.9 <= point.end_s + 0.5
    turn = point.evidence["phase_jump_rad"] - np.pi / 2
    assert abs(np.angle(np.exp(1j * turn))) < 0.6


@pytest.mark.parametrize(("hum_db", "seed"), [(-38, 0), (-38, 1), (-34, 2), (-34, 3), (-30, 4)])
def test_weak_hum_without_edit_gives_no_edit_point(hum_db: float, seed: int) -> None:
    x, _ = weak_hum(90, hum_db, seed)
    result = check_enf(x, RATE)
    assert result.status == "ok"
    assert max((f.score for f in result.findings), default=0) < 0.5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hum_below_its_band_is_found_along_its_track(seed: int) -> None:
    """Hum under its 1 Hz band (speech bursts, quiet pauses) is too weak for the long-term
    spectrum but stands out frame by frame in the pauses, along the grid's wander."""
    x, band_snr = weak_hum(90, -48, seed, brown_db=-35)
    assert band_snr < -3
    result = check_enf(x, RATE)
    assert result.metrics["snr_db"] < 10  # the long-term spectrum alone would miss it
    assert result.status == "ok" and result.metrics["found_by"] == "track"
    assert result.metrics["nominal_hz"] == 50.0 and result.metrics["harmonics_used"][0] == 1


@pytest.mark.parametrize(("seed", "brown_db"), [(0, -35), (1, -35), (2, -20), (3, -20)])
def test_speech_and_noise_without_hum_stay_without_hum(seed: int, brown_db: float) -> None:
    x, _ = weak_hum(90, -200, seed, brown_db=brown_db)
    result = check_enf(x, RATE)
    assert result.status == "not_applicable" and result.metrics["present"] is False


@pytest.mark.parametrize("seconds", [10, 13, 20, 40])
def test_short_noise_is_not_taken_for_hum(seconds: float) -> None:
    """With one or two 16 s frames the tracked SNR of noise varies most; the threshold
    allows for it (without that, white noise of 10–20 s passed as hum in about one file in
    ten)."""
    for seed in range(12):
        noise = np.random.default_rng(seed).normal(size=int(seconds * RATE)) * 0.1
        assert check_enf(noise.astype(np.float32), RATE).status == "not_applicable"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_phase_step_under_hum_below_its_band_is_found_where_it_is(seed: int) -> None:
    x, band_snr = weak_hum(90, -45, seed, pause_s=(44.0, 46.8), brown_db=-35)
    assert band_snr < 0
    assert max((f.score for f in check_enf(x, RATE).findings), default=0) < 0.5
    cut, removed = int(44.9 * RATE), int(0.905 * RATE)  # a quarter-cycle jump, in a pause
    result = check_enf(np.concatenate([x[:cut], x[cut + removed :]]), RATE)
    found = [f for f in result.findings if f.score >= 0.5]
    assert len(found) == 1
    assert found[0].start_s - 0.5 <= 44.9 <= found[0].end_s + 0.5
    turn = found[0].evidence["phase_jump_rad"] - np.pi / 2
    assert abs(np.angle(np.exp(1j * turn))) < 0.6


def test_a_burst_near_the_hum_frequency_is_not_a_step() -> None:
    """A voice harmonic or a thump passing through 50 Hz for a moment moves the hum's phasor
    away and back: a spike, which must not be taken for a jump."""
    x, _ = hum(120, seed=4)
    t = np.arange(len(x)) / RATE
    burst = (np.abs(t - 60) < 0.2) * 0.05 * np.sin(2 * np.pi * 50.4 * t + 2)
    result = check_enf((x + burst).astype(np.float32), RATE)
    assert max((f.score for f in result.findings), default=0) < 0.5


def test_outlier_variance_raises_a_spike_and_leaves_a_step() -> None:
    """The noise model's variance is raised for a block that leaves and comes back (the
    phasor knocked away by a voice harmonic on the hum), not for a real step."""
    rng = np.random.default_rng(0)
    n = 60 * BASE_RATE
    variance = np.full(n, 0.01)
    noise = (rng.normal(size=n) + 1j * rng.normal(size=n)) * np.sqrt(variance / 2)
    spike, step = np.ones(n, complex), np.ones(n, complex)
    spike[20 * BASE_RATE : 20 * BASE_RATE + 5] = -1  # one 0.25 s block turned by 180°
    step[40 * BASE_RATE :] = 1j  # a quarter turn from 40 s on
    raised = outlier_variance(spike + noise, variance) / variance
    assert raised[20 * BASE_RATE] > 20 and np.median(raised) == 1
    assert np.max(outlier_variance(step + noise, variance) / variance) < 3


def test_hum_that_stops_marks_a_join() -> None:
    """Splicing in a recording made without hum: the phasor's length drops at the join."""
    x, _ = weak_hum(90, -30, seed=5, pause_s=(44.0, 46.0))
    other, _ = weak_hum(90, -200, seed=6, pause_s=(44.0, 46.0))
    joined = np.concatenate([x[: 45 * RATE], other[45 * RATE :]])
    found = [f for f in check_enf(joined, RATE).findings if f.score >= 0.5]
    assert len(found) == 1
    assert found[0].start_s - 0.5 <= 45.0 <= found[0].end_s + 0.5
    assert found[0].evidence["level_change_db"] < -6
    # The hum-free side has no phase to compare: the finding says the hum stops, no angle.
    assert "The mains hum stops at" in found[0].description and "°" not in found[0].description


def whu(name: str) -> np.ndarray:
    with wave.open(str(shared(WHU / name))) as reader:
        raw = np.frombuffer(reader.readframes(reader.getnframes()), "<i2") / 32768.0
    x = signal.resample_poly(raw - raw.mean(), RATE // 400, 1)
    noise = np.random.default_rng(0).standard_normal(len(x)) * np.std(x) * 0.5
    return x + noise


def test_real_mains_unedited_has_no_edit_point_and_a_cut_is_found() -> None:
    x = whu("002_ref.wav")
    clean = check_enf(x, RATE)
    assert clean.status == "ok" and clean.metrics["nominal_hz"] == 50.0
    assert max((f.score for f in clean.findings), default=0) < 0.5
    middle = len(x) // 2
    edited = np.concatenate([x[:middle], x[middle + int(1.31 * RATE) :]])  # 65.5 cycles
    found = [f for f in check_enf(edited, RATE).findings if f.score >= 0.5]
    assert len(found) == 1 and abs(found[0].start_s + 0.25 - middle / RATE) < 0.5


@pytest.mark.parametrize(
    ("hum_db", "seed", "widest_s"),
    [(-30, s, 1.0) for s in range(4)]
    + [
        (-36, 0, 2.0),
        (-36, 2, 2.0),
    ],
)
def test_hum_that_starts_mid_recording_is_placed_at_the_join(
    hum_db: float, seed: int, widest_s: float
) -> None:
    """A recording without hum joined to one with it (not in a pause): the search's sliding
    windows see the hum-free side as equally good for seconds, so the join is placed again by
    the likelihood in one fixed stretch; its span must hold the join and stay narrow."""
    quiet, _ = weak_hum(90, -200, seed=seed + 10)
    hummed, _ = weak_hum(90, hum_db, seed=seed + 20)
    join = 41.3
    x = np.concatenate([quiet[: int(join * RATE)], hummed[int(join * RATE) :]])
    found = [f for f in check_enf(x, RATE).findings if f.score >= 0.5]
    assert len(found) == 1
    [point] = found
    assert point.start_s <= join <= point.end_s
    assert point.end_s - point.start_s <= widest_s
    assert point.evidence["level_change_db"] > 6
