"""The ENF track on synthetic hum whose frequency is known at every instant."""

import numpy as np
import pytest
from scipy import signal

from earwitness.forensics.enf.check import check_enf
from earwitness.forensics.enf.track import (
    BASE_RATE,
    ROLL_OFF_HZ,
    TRACKED_PRESENT,
    _noise_weights,
    baseband,
    enf_track,
    fft_basebands,
    harmonic_phasors,
    harmonic_snr,
    resample,
    track_frequency,
    tracked_snr,
)

RATE = 8000


def fm_hum(seconds: float, rate: int, harmonics: dict[int, float]) -> tuple[np.ndarray, np.ndarray]:
    """Hum with a known, slowly wandering frequency (20 mHz over a minute plus 4 mHz over
    25 s, like a real grid); ``harmonics`` maps h to amplitude. Returns (hum, true f)."""
    t = np.arange(int(seconds * rate)) / rate
    truth = 50 + 0.02 * np.sin(2 * np.pi * t / 60) + 0.004 * np.sin(2 * np.pi * t / 25 + 1)
    phase = 2 * np.pi * np.cumsum(truth) / rate
    hum = sum(a * np.sin(h * phase + h) for h, a in harmonics.items())
    return np.asarray(hum), truth


def babble(n: int, seed: int) -> np.ndarray:
    """Speech-like noise: tilted away from the low frequencies like a voice (first-order
    high-pass at 100 Hz), on in 0.1–0.4 s bursts with quieter pauses between."""
    rng = np.random.default_rng(seed)
    noise = signal.sosfilt(
        signal.butter(1, 100, "highpass", fs=RATE, output="sos"), rng.normal(size=n)
    )
    lengths = (rng.uniform(0.1, 0.4, size=n // RATE * 8) * RATE).astype(int)
    on = np.repeat(rng.random(len(lengths)) < 0.6, lengths)[:n]
    on = np.pad(on, (0, n - len(on))).astype(float)
    envelope = signal.sosfiltfilt(signal.butter(2, 20, fs=RATE, output="sos"), 0.05 + on)
    return noise * np.clip(envelope, 0.02, None)


def errors(times: np.ndarray, freq: np.ndarray, truth: np.ndarray, rate: int) -> np.ndarray:
    return freq - np.interp(times, np.arange(len(truth)) / rate, truth)


def test_fm_hum_40_db_under_bursty_noise_is_tracked_to_a_few_millihertz() -> None:
    hum, truth = fm_hum(300, RATE, {1: 1.0})
    noise = babble(len(hum), seed=0)
    x = noise + hum * 10 ** (-40 / 20) * np.std(noise) / np.std(hum)
    times, freq = enf_track(x.astype(np.float32), RATE, 50.0)
    assert np.allclose(np.diff(times), 1.0) and times[0] <= 8.0 and times[-1] >= 292.0
    error = errors(times, freq, truth, RATE)
    # About 3 mHz in practice (a point every second from 16 s windows, whose smoothing of
    # the 25 s wobble alone costs ~0.7 mHz); the former 8 s peak picker gave ~20 mHz here.
    assert np.sqrt(np.mean(error**2)) < 0.0045
    assert np.corrcoef(freq, freq - error)[0, 1] > 0.95


def test_finer_resolution_gives_more_points_on_the_same_track() -> None:
    hum, truth = fm_hum(60, RATE, {1: 1.0})
    noise = np.random.default_rng(1).normal(size=len(hum)) * 0.01
    times, freq = enf_track(hum + noise, RATE, 50.0, resolution_s=0.5)
    assert np.allclose(np.diff(times), 0.5)
    assert np.sqrt(np.mean(errors(times, freq, truth, RATE) ** 2)) < 0.002


def test_nominal_is_detected_and_60_hz_tracked() -> None:
    t = np.arange(60 * RATE) / RATE
    hum = np.sin(2 * np.pi * 60.013 * t) + 0.3 * np.sin(2 * np.pi * 180.039 * t)
    noise = np.random.default_rng(2).normal(size=len(t))
    _, freq = enf_track(noise + 0.05 * hum, RATE)
    assert abs(np.median(freq) - 60.013) < 0.002


def test_source_sampled_below_1_khz_is_not_tracked_on_resampling_images() -> None:
    """A 400 Hz file (like the ENF-WHU references) upsampled to 1 kHz leaves faint images of
    50 Hz at 350 and 450 Hz that move against the grid; they must not be taken for harmonics."""
    hum, truth = fm_hum(120, 400, {1: 1.0, 3: 0.03})
    times, freq = enf_track(hum, 400, 50.0)
    error = errors(times, freq, truth, 400)
    assert np.corrcoef(freq, freq - error)[0, 1] > 0.99
    assert np.sqrt(np.mean(error**2)) < 0.002


def test_a_strong_tone_that_does_not_follow_the_grid_is_left_out() -> None:
    hum, truth = fm_hum(120, RATE, {1: 1.0, 3: 1.0})
    t = np.arange(len(hum)) / RATE
    tone = 30 * np.sin(2 * np.pi * 350.05 * t)  # near harmonic 7, steady, far stronger
    noise = np.random.default_rng(3).normal(size=len(t))
    times, freq = enf_track(noise + 0.05 * hum + 0.05 * tone, RATE, 50.0)
    assert np.sqrt(np.mean(errors(times, freq, truth, RATE) ** 2)) < 0.003


def test_too_short_gives_no_track() -> None:
    times, freq = enf_track(np.zeros(3 * RATE), RATE, 50.0)
    assert len(times) == len(freq) == 0


def test_a_cut_keeps_the_track_from_bending_around_a_phase_jump() -> None:
    """A quarter mains cycle removed at 60 s: frames straddling the jump see two tones and the
    track swings by tens of mHz for ±8 s (which the phase test would read as more jumps); told
    where the cut is, each frame uses only its own side and the track stays on the grid."""
    hum, truth = fm_hum(120, RATE, {1: 1.0})
    cut, removed = 60 * RATE, int(0.905 * RATE)  # 45.25 cycles
    x = np.concatenate([hum[:cut], hum[cut + removed :]])
    truth = np.concatenate([truth[:cut], truth[cut + removed :]])
    x = resample(x + np.random.default_rng(4).normal(size=len(x)) * 0.01, RATE)
    near = {}
    for cuts in (None, [60.0]):
        times, freq, _ = track_frequency(x, 50.0, [(1, 30.0)], cuts_s=cuts)
        assert np.all(np.diff(times) > 0)
        error = errors(times, freq, truth, RATE)[np.abs(times - 60) < 10]
        near[cuts is None] = np.sqrt(np.mean(error**2))
    assert near[True] > 0.008 and near[False] < 0.004


def test_fft_basebands_match_the_filtered_baseband() -> None:
    """A tone 13 mHz above 50 Hz and one 39 mHz above 150 Hz come out of the one-FFT bands
    as phasors of half their amplitude turning at 13 and 39 mHz, as from ``baseband``."""
    t = np.arange(61_237) / 1000  # not a whole number of baseband samples
    x = np.cos(2 * np.pi * 50.013 * t + 0.3) + 0.5 * np.cos(2 * np.pi * 150.039 * t)
    low, high = fft_basebands(x, [50.0, 150.0])
    at = np.arange(len(low)) / BASE_RATE
    middle = slice(100, -100)  # both methods differ at the ends
    assert len(low) == len(baseband(x, 50.0))
    assert np.allclose(
        low[middle], 0.5 * np.exp(1j * (2 * np.pi * 0.013 * at + 0.3))[middle], atol=0.01
    )
    assert np.allclose(high[middle], 0.25 * np.exp(2j * np.pi * 0.039 * at)[middle], atol=0.01)
    assert np.allclose(low[middle], baseband(x, 50.0)[middle], atol=0.01)


def test_noise_level_allows_for_the_band_edges() -> None:
    """White noise of unit variance at 1 kHz leaves 20/1000 of it in a ±10 Hz complex band;
    the noise model must say so whichever way the band was cut (the FFT bands' cosine edges
    hold less noise beside the hum than a flat band, which ``edge_hz`` accounts for)."""
    x = np.random.default_rng(0).normal(size=300_000)
    [fft_band] = fft_basebands(x, [150.0])
    for z, edge in ((fft_band, ROLL_OFF_HZ), (baseband(x, 150.0), 0.0)):
        weight, _, share = _noise_weights(z, 3, edge)
        assert np.median(1 / (weight * share)) == pytest.approx(BASE_RATE / 1000, rel=0.1)
    weight, _, share = _noise_weights(fft_band, 3)  # edges ignored: noise underestimated
    assert np.median(1 / (weight * share)) < 0.9 * BASE_RATE / 1000


def test_tracked_snr_finds_hum_under_its_band_and_nothing_in_noise() -> None:
    rng = np.random.default_rng(3)
    n = 90 * RATE
    noise = babble(n, 3) + 0.002 * rng.normal(size=n)
    hum, _ = fm_hum(90, RATE, {1: 1.0, 3: 0.6})
    band = signal.butter(4, [49.5, 50.5], "bandpass", fs=RATE, output="sos")
    level = 0.7 * np.std(signal.sosfiltfilt(band, noise))  # hum power 6 dB under its 1 Hz band
    x = resample(noise + level * hum, RATE)
    assert harmonic_snr(x)[(50.0, 1)] < 10  # the long-term spectrum does not see it
    with_hum, _ = tracked_snr(x, 50.0)
    assert with_hum[1] > 2 * TRACKED_PRESENT
    for nominal in (50.0, 60.0):
        alone, _ = tracked_snr(resample(noise, RATE), nominal)
        assert max(alone.values()) < 0.5 * TRACKED_PRESENT
    assert 6 not in with_hum  # 300 Hz is also 60 Hz × 5: it cannot tell the two apart


def test_phasor_is_not_turned_by_a_track_interpolated_across_a_cut() -> None:
    """No hum before a join at 20 s, hum 0.05 Hz above nominal after it. The track's last
    frame before the cut (at 12 s: frames keep to their side) follows noise; interpolating
    from it to the first frame after (28 s) would turn the hummed side's phasor for 8 s."""
    at = np.arange(40 * BASE_RATE) / BASE_RATE
    z = np.where(at >= 20, np.exp(2j * np.pi * 0.05 * at), 0.0)
    times = np.concatenate([np.arange(1.0, 13.0), np.arange(28.0, 40.0)])
    freq = np.where(times < 20, 49.9, 50.05)  # before the join: a noise peak
    after = at >= 20
    for cuts, turns in (([20.0], False), (None, True)):
        [(_, turned, _)] = harmonic_phasors({1: z}, 50.0, times, freq, 0.0, 0.0, cuts)
        spread = np.ptp(np.unwrap(np.angle(turned[after])))
        assert (spread > 1.0) if turns else (spread < 0.01)


@pytest.mark.parametrize("width_s", [8.0, 16.0])
def test_strong_hum_followed_through_a_fast_dip_gives_no_edit_point(width_s: float) -> None:
    """The grid's frequency dips 20 mHz and comes back within 8-16 s, hum 60 dB above the
    noise (as on ENF-WHU's references). The path's step prior held the track back by up to
    a few grid steps there; the phasor turned 22° and was read as an edit (0.99)."""
    rate = 2000
    t = np.arange(120 * rate) / rate
    shape = np.clip((t - 50) / width_s, 0, 1)
    truth = 49.98 - 0.02 * 0.5 * (1 - np.cos(2 * np.pi * shape))
    phase = 2 * np.pi * np.cumsum(truth) / rate
    noise = 1e-4 * np.random.default_rng(0).standard_normal(len(t))
    x = 0.1 * np.sin(phase) + 0.03 * np.sin(3 * phase + 1) + 0.01 * np.sin(2 * phase + 2) + noise
    result = check_enf(x.astype(np.float32), rate)
    assert result.status == "ok"
    assert [f.start_s for f in result.findings if f.score >= 0.5] == []
