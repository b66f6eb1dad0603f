"""The electric network frequency (ENF) track: the mains hum's frequency, second by second.

The track is what every ENF conclusion rests on (phase continuity, frequency steps, matching
against a grid log), so it lives apart from the edit-point logic in ``enf.check`` and is public
as ``enf_track`` for benchmarks and other callers.

Under speech the hum is often 40 dB below the voice, and the voice's own energy near 50 Hz
(low voices, plosives, handling and room rumble) comes in bursts. The method is built for that:

1. Resample to 1 kHz (hum and its low harmonics live below 500 Hz). Presence: a long-window
   Welch spectrum; the peak within ±0.1·h Hz of each harmonic h of 50 and 60 Hz against the
   median level 0.5–2·h Hz away (``harmonic_snr``). Hum below the rest of its band is too
   weak for that, so presence is also judged along the hum's own track (``tracked_snr``:
   steps 3, 4 and 6 for one harmonic at a time, the mean SNR along the path).
2. Each used harmonic is shifted to 0 Hz and decimated to a 20 Hz complex baseband: everything
   after this works on a few samples per second, so long windows cost almost nothing.
3. Noise weighting in time: the baseband with the hum line high-passed away measures the local
   noise level near the harmonic; each sample is weighted by its inverse (smoothed over 0.5 s).
   This is the maximum-likelihood weighting for a tone in noise whose variance changes with
   time: bursts of speech count little, the pauses between words count fully.
4. Frames of ``FRAME_S`` (16 s) Hann windows every ``hop_s`` (1 s): long windows give the
   frequency resolution the weak hum needs, the short hop a point every second. The spectrum
   of each frame is evaluated on a fine grid of deviations from nominal by a direct DFT (a
   matrix product) and divided by the frame's noise level, giving an SNR spectrum.
5. Harmonics that agree with one another (a tone at 350 Hz from equipment, or a resampling
   image, does not follow the grid) are summed on the common deviation grid: each contributes
   in proportion to its SNR in that frame, so a harmonic masked by a voice counts little.
6. Path: the grid frequency moves slowly, so the most likely path through the frames'
   log-SNR spectra under a Gaussian step penalty is found by dynamic programming (Viterbi);
   a frame swamped by speech then follows its neighbours instead of jumping to a noise peak.
   The chosen peak is refined by quadratic interpolation of log power; in frames where the
   hum stands 50 dB or more above the noise the point first climbs to the top of its peak,
   since there the prior holds the path back on the grid's faster ramps (``_climb``).
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from scipy import ndimage, signal

from earwitness.forensics.dsp import at_rate

RATE = 1000
BASE_RATE = 20  # complex baseband: ±10 Hz around each harmonic
FRAME_S, HOP_S = 16.0, 1.0
PRESENT_SNR_DB = 10.0
SPAN_HZ = 0.15  # deviations from nominal searched (fundamental Hz)
GRID_STEP_HZ = 0.0025
STEP_SIGMA_HZ = 0.010  # path prior: typical change of the tracked frequency per second
AGREE_HZ = 0.0075  # two harmonics agree in a frame when their peaks are this close
NOISE_SMOOTH_S = 0.5
MIN_FRAME_S = 4.0  # shorter recordings give no track: the hum cannot be resolved
TRACKED_PRESENT = 10.0  # mean SNR along a harmonic's own path, a minute or more of it
DETECT_HARMONICS = 6
DETECT_HOP_S = 2.0
ROLL_OFF_HZ = 3.0
CLIMB_BINS = 8  # grid steps the path's point may move to the top of its peak (``_climb``)
# Only frames this far above the noise climb: below it the noise has local maxima of its own
# (climbing everywhere took the accuracy benchmark at -40 dB from 2.6 to 4.3 mHz RMSE).
CLIMB_SNR_DB = 50.0


def resample(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """``samples`` at the analysis rate (1 kHz), float64."""
    return at_rate(samples, sample_rate, RATE)


def top_harmonic_hz(sample_rate: int) -> float:
    """Highest frequency worth a harmonic: 450 Hz, or less when the source was sampled below
    1 kHz (upsampling to 1 kHz leaves faint images of the hum above the source's Nyquist
    frequency, which move against the grid and must never be taken for harmonics)."""
    return min(450.0, 0.45 * sample_rate)


def harmonic_snr(x: np.ndarray, top_hz: float = 450.0) -> dict[tuple[float, int], float]:
    """SNR (dB) of the hum peak at every harmonic h of 50 and 60 Hz up to ``top_hz``."""
    nperseg = min(len(x), 16 * RATE)
    freqs, power = signal.welch(x, RATE, nperseg=nperseg, noverlap=nperseg // 2)
    result = {}
    for nominal in (50.0, 60.0):
        for harmonic in range(1, int(top_hz // nominal) + 1):
            centre = nominal * harmonic
            near = np.abs(freqs - centre)
            peak = power[near <= max(0.1 * harmonic, 1.5 * RATE / nperseg)]
            side = power[(near >= 0.5 * harmonic) & (near <= 2.0 * harmonic)]
            if len(peak) and len(side):
                result[(nominal, harmonic)] = float(
                    10 * np.log10(peak.max() / (np.median(side) + 1e-30) + 1e-30)
                )
    return result


def choose_harmonics(
    snrs: dict[tuple[float, int], float], nominal: float, threshold_db: float, count: int = 3
) -> list[tuple[int, float]]:
    """The (harmonic, SNR dB) pairs worth tracking: the ``count`` strongest of ``nominal``
    within 3 dB of ``threshold_db``, and always at least the strongest one (a caller that
    asks for a track gets one; whether the hum is present is a separate question)."""
    own = sorted(((h, s) for (n, h), s in snrs.items() if n == nominal), key=lambda p: -p[1])
    used = [(h, s) for h, s in own if s >= threshold_db - 3][:count]
    return used or own[:1]


def baseband(x: np.ndarray, centre_hz: float) -> np.ndarray:
    """``x`` (1 kHz) shifted down by ``centre_hz`` and decimated to ``BASE_RATE`` (complex):
    sample k is the content around ``centre_hz`` at time k / BASE_RATE."""
    phase = np.arange(len(x)) * (-2 * np.pi * centre_hz / RATE)
    return signal.resample_poly(x * np.exp(1j * phase), 1, RATE // BASE_RATE)


def fft_basebands(x: np.ndarray, centres: list[float]) -> list[np.ndarray]:
    """``baseband`` of ``x`` (1 kHz) around each of ``centres``, cut from one FFT of the whole
    signal instead of filtered one by one (about ten times cheaper for several harmonics, and
    nothing from beyond the band folds into it). Its edges are cosine roll-offs, so the
    noise model must be told (``edge_hz`` = ``ROLL_OFF_HZ``)."""
    decimate = RATE // BASE_RATE
    n = -(-len(x) // decimate) * decimate
    spectrum = np.fft.rfft(x, n)
    size = n // decimate
    offsets = np.fft.fftfreq(size, 1 / size).astype(np.intp)
    # A brick-wall edge would ring (as 1/t) from every loud burst into the pauses, which are
    # what the noise weighting lives on; a cosine roll-off over the outer 3 Hz keeps the
    # impulse response about 0.3 s short, as the FIR filter of ``baseband`` does.
    hz = np.abs(offsets) * RATE / n
    edge = np.clip((BASE_RATE / 2 - hz) / ROLL_OFF_HZ, 0.0, 1.0)
    edge = 0.5 - 0.5 * np.cos(np.pi * edge)
    bands = []
    for centre in centres:
        # Bins within ±BASE_RATE/2 of the centre, rolled so the one nearest it comes first.
        nearest = round(centre * n / RATE)
        picked = spectrum[np.clip(nearest + offsets, 0, len(spectrum) - 1)] * edge
        z = np.fft.ifft(picked) * (size / n)
        residual = nearest * RATE / n - centre  # the nearest bin is not exactly the centre
        bands.append(z * np.exp(2j * np.pi * residual * np.arange(size) / BASE_RATE))
    return bands


def _noise_weights(
    z: np.ndarray, harmonic: int, edge_hz: float = 0.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """(weight per baseband sample, noise-only residual, share of the band it covers).

    The residual is the baseband with everything within ±(0.6·h) Hz of the harmonic removed:
    there only noise lives, so its smoothed power is the local noise level. ``edge_hz``: the
    width of the band's cosine edges (``fft_basebands``), which hold 3/8 of a flat band's
    noise there; without it the noise beside the hum would be underestimated by up to a
    quarter and every step would look that much stronger."""
    cut = min(0.6 * harmonic, 0.3 * BASE_RATE)
    sos = signal.butter(4, cut, "highpass", fs=BASE_RATE, output="sos")
    residual = signal.sosfiltfilt(sos, z) if len(z) > 30 else z - z.mean()
    power = np.abs(residual) ** 2
    size = max(int(NOISE_SMOOTH_S * BASE_RATE), 1)
    level = np.convolve(power, np.ones(size) / size, mode="same")
    # A floor keeps a stretch of digital silence from taking all the weight.
    weight = 1.0 / (level + 1e-2 * np.median(level) + 1e-30)
    return weight, residual, 1.0 - (2 * cut + 1.25 * edge_hz) / BASE_RATE


def _snr_spectra(
    z: np.ndarray,
    harmonic: int,
    deviations: np.ndarray,
    frame: int,
    hop: int,
    cuts: list[int] | None = None,
    edge_hz: float = 0.0,
) -> np.ndarray:
    """Per frame, power at ``nominal·h + h·deviation`` over the frame's noise level per bin.
    A frame that straddles one of ``cuts`` (baseband samples) uses only its samples on its
    centre's side."""
    weight, residual, share = _noise_weights(z, harmonic, edge_hz)
    count = 1 + (len(z) - frame) // hop
    index = np.arange(frame)[None, :] + hop * np.arange(count)[:, None]
    taper = weight[index]
    for cut in cuts or []:
        centre = index[:, frame // 2 : frame // 2 + 1]
        taper[(index < cut) != (centre < cut)] = 0.0
    taper *= np.hanning(frame + 2)[1:-1] / taper.mean(axis=1, keepdims=True)
    kernel = np.exp(-2j * np.pi * np.outer(np.arange(frame) / BASE_RATE, harmonic * deviations))
    power = np.abs((z[index] * taper) @ kernel) ** 2
    # White noise of variance s² gives s²·Σtaper² per bin; the residual holds ``share`` of it.
    noise = np.sum(np.abs(residual[index] * taper) ** 2, axis=1) / share
    return power / (noise[:, None] + 1e-30)


def _agreeing(spectra: list[np.ndarray], snrs: list[float], deviations: np.ndarray) -> list[int]:
    """Indices of the largest group of harmonics whose frame-by-frame peaks agree (ties: the
    group led by the strongest); a lone strong line unrelated to the grid is left out."""
    peaks = [deviations[np.argmax(s, axis=1)] for s in spectra]
    best: list[int] = []
    for lead in sorted(range(len(spectra)), key=lambda i: -snrs[i]):
        group = [
            i
            for i in range(len(spectra))
            if i == lead or np.mean(np.abs(peaks[i] - peaks[lead]) <= AGREE_HZ) >= 0.5
        ]
        if len(group) > len(best):
            best = group
    return best


def _viterbi(
    score: np.ndarray, deviations: np.ndarray, sigma: float, free: frozenset[int] = frozenset()
) -> np.ndarray:
    """Index per frame of the path maximising Σ score − ½·Σ(step / sigma)²; the step into
    each frame in ``free`` costs nothing (a join of two recordings may jump)."""
    steps = deviations[:, None] - deviations[None, :]
    transition = -0.5 * (steps / sigma) ** 2
    jump = np.zeros_like(transition)
    count, size = score.shape
    back = np.zeros((count, size), dtype=np.intp)
    total = score[0].copy()
    columns = np.arange(size)
    for i in range(1, count):
        candidates = total[None, :] + (jump if i in free else transition)
        back[i] = np.argmax(candidates, axis=1)
        total = candidates[columns, back[i]] + score[i]
    path = np.empty(count, dtype=np.intp)
    path[-1] = int(np.argmax(total))
    for i in range(count - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def tracked_snr(
    x: np.ndarray, nominal: float, top_hz: float = 450.0
) -> tuple[dict[int, float], dict[int, np.ndarray]]:
    """Per harmonic h (up to ``DETECT_HARMONICS`` and ``top_hz``) of ``nominal``: the mean,
    over the frames, of the noise-weighted SNR spectrum along that harmonic's own most likely
    path (linear, per 16 s frame); also the basebands, for reuse.

    This is the presence test for weak hum. The long-window spectrum of ``harmonic_snr`` sees
    the hum smeared by the grid's wander and buried under the speech bursts; here each frame
    resolves the line, the pauses between words count fully (``_noise_weights``), and the path
    follows the wander: in the tamper benchmark hum 7 dB under the rest of its 1 Hz band
    stands 13 dB or more above the noise, while noise alone gives 1–4 along the best path (a
    voice harmonic crossing the band up to about 7). A harmonic that is also one of the other
    nominal frequency's (300 Hz is 50 × 6 and 60 × 5) is left out: it cannot tell the two
    apart."""
    frame = max(min(round(FRAME_S * BASE_RATE), len(x) * BASE_RATE // RATE), 8)
    hop = round(DETECT_HOP_S * BASE_RATE)
    # A coarser grid than the tracker's: the 16 s frame's peak is 0.1 Hz wide, so this loses
    # little, and the test runs on every file without hum, at both nominal frequencies.
    deviations = np.arange(-SPAN_HZ, SPAN_HZ + 1e-9, 2 * GRID_STEP_HZ)
    other = 60.0 if nominal == 50.0 else 50.0
    centres = [
        nominal * h
        for h in range(1, DETECT_HARMONICS + 1)
        if nominal * h <= top_hz and abs(nominal * h / other - round(nominal * h / other)) > 0.04
    ]
    stats: dict[int, float] = {}
    bands = fft_basebands(x, centres)
    if not bands or len(bands[0]) < frame:
        return {}, {}
    for centre, z in zip(centres, bands, strict=True):
        harmonic = round(centre / nominal)
        spectra = _snr_spectra(z, harmonic, deviations, frame, hop, edge_hz=ROLL_OFF_HZ)
        sigma = STEP_SIGMA_HZ * np.sqrt(DETECT_HOP_S)
        path = _viterbi(np.log(spectra + 1e-30), deviations, sigma)
        stats[harmonic] = float(np.mean(spectra[np.arange(len(path)), path]))
    return stats, {round(c / nominal): z for c, z in zip(centres, bands, strict=True)}


def tracked_present(seconds: float) -> float:
    """The ``tracked_snr`` at which a harmonic counts as hum in a recording this long.

    The statistic is a mean over frames, each the best of a few dozen noisy bins; with only
    one or two independent 16 s frames noise alone reaches 12–14 (white noise, 10–20 s), with
    four or more (a minute) it stays under 8. So the threshold falls with the square root of
    the number of frames to ``TRACKED_PRESENT`` at four of them."""
    frames = max(seconds / FRAME_S, 1.0)
    return TRACKED_PRESENT * max(1.0, float(np.sqrt(4.0 / frames)))


def track_frequency(
    x: np.ndarray,
    nominal: float,
    harmonics: list[tuple[int, float]],
    hop_s: float = HOP_S,
    frame_s: float = FRAME_S,
    cuts_s: list[float] | None = None,
    bands: dict[int, np.ndarray] | None = None,
    joins_s: list[float] | None = None,
    edge_hz: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times s, frequency Hz, SNR dB) every ``hop_s`` s of ``x`` (1 kHz), from the given
    (harmonic, SNR dB) pairs; frames are ``frame_s`` long (shorter if ``x`` is).

    ``cuts_s``: times of known discontinuities (edit points found in the phase). A frame
    that straddles one holds two pieces of hum whose phases do not join; its spectral peak
    splits and the track swings one way before the cut and the other way after, which the
    phase test would read as further steps a few seconds away. Such a frame uses only its
    samples on its centre's side of the cut (at least half a frame) and its time becomes the
    middle of those; times are then no longer evenly spaced.

    ``joins_s``: cuts where another recording begins; there the path may jump freely (into
    the first frame centred after it), since the other recording's grid frequency need not
    be near this one's. Elsewhere the usual prior holds: a free jump would let a cut within
    one recording snap the track to a noise peak.

    ``bands``: the harmonics' basebands (``baseband``), when the caller already has them;
    ``edge_hz``: ``ROLL_OFF_HZ`` when they come from ``fft_basebands``."""
    frame = max(min(round(frame_s * BASE_RATE), len(x) * BASE_RATE // RATE), 8)
    hop = max(round(hop_s * BASE_RATE), 1)
    points = round(2 * SPAN_HZ / GRID_STEP_HZ) + 1
    deviations = np.linspace(-SPAN_HZ, SPAN_HZ, points)
    cuts = [round(cut * BASE_RATE) for cut in cuts_s or []]
    spectra = []
    for harmonic, _ in harmonics:
        z = bands[harmonic] if bands is not None else baseband(x, nominal * harmonic)
        if len(z) < frame:
            return np.zeros(0), np.zeros(0), np.zeros(0)
        spectra.append(_snr_spectra(z, harmonic, deviations, frame, hop, cuts, edge_hz))
    centres = np.arange(len(spectra[0])) * hop + frame / 2
    joins = [round(join * BASE_RATE) for join in joins_s or []]
    free = frozenset(int(np.searchsorted(centres, join)) for join in joins)
    used = _agreeing(spectra, [s for _, s in harmonics], deviations)
    combined = np.sum([spectra[i] for i in used], axis=0)
    log_snr = np.log(combined + 1e-30)
    path = _viterbi(log_snr, deviations, STEP_SIGMA_HZ * np.sqrt(hop / BASE_RATE), free)
    best = np.clip(path, 1, points - 2)
    rows = np.arange(len(best))
    strong = log_snr[rows, best] >= CLIMB_SNR_DB * np.log(10) / 10
    best[strong] = _climb(log_snr[strong], best[strong])
    left, mid, right = (log_snr[rows, best + k] for k in (-1, 0, 1))
    denom = left - 2 * mid + right
    offset = np.where(denom < -1e-12, 0.5 * (left - right) / np.minimum(denom, -1e-12), 0.0)
    freq = nominal + deviations[best] + np.clip(offset, -1, 1) * GRID_STEP_HZ
    times = (np.arange(len(best)) * hop + frame / 2) / BASE_RATE
    if cuts:
        # A frame cut short speaks for the middle of what it kept, not for its centre: the
        # grid's wander would otherwise lag by up to a quarter frame beside every cut.
        index = np.arange(frame)[None, :] + hop * rows[:, None]
        taper = np.repeat(np.hanning(frame + 2)[None, 1:-1], len(rows), axis=0)
        for cut in cuts:
            taper[(index < cut) != (index[:, frame // 2 : frame // 2 + 1] < cut)] = 0.0
        times = ((taper * index).sum(axis=1) / taper.sum(axis=1) + 0.5) / BASE_RATE
        times = np.maximum.accumulate(times)
    snr = 10 * np.log10(combined[rows, best] + 1e-30)
    return times, freq, snr


def _climb(score: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Each frame's index on the path moved uphill along its row to the top of its peak (at
    most ``CLIMB_BINS`` grid steps, kept off the grid's ends), for the quadratic refinement;
    the caller climbs only frames of strong hum (``CLIMB_SNR_DB``).

    The path's step prior holds it behind a fast ramp: a 16 s frame's peak is so broad that a
    5 mHz step costs more prior than it gains in log power. Refined from there, the offset
    (at most one grid step either way) could not make up the lag: on ENF-WHU's hum-only
    references, the phasor of hum 60-78 dB above the noise turned by 20-30° where the grid
    ramped 2 mHz/s, and was read as an edit."""
    rows = np.arange(len(start))
    best = start.copy()
    for _ in range(CLIMB_BINS):
        here, left, right = (score[rows, best + k] for k in (0, -1, 1))
        move = np.where((right > here) & (right >= left), 1, np.where(left > here, -1, 0))
        if not move.any():
            break
        best = np.clip(best + move, 1, score.shape[1] - 2)
    return best


def harmonic_phasors(
    bands: dict[int, np.ndarray],
    nominal: float,
    times: np.ndarray,
    freq: np.ndarray,
    smooth_s: float = FRAME_S,
    edge_hz: float = 0.0,
    cuts_s: list[float] | None = None,
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Per harmonic h of ``bands`` (h → its ``baseband``): (h, phasor, noise variance), both
    at ``BASE_RATE``.

    The phasor is the baseband turned back by h times the phase that the tracked frequency (a
    ``smooth_s`` running mean of it; 0 for none) accumulates, so the grid's wander cancels and
    a continuous recording leaves a phasor that stays put; an edit that is not a whole number
    of mains cycles turns it by h times the fundamental's phase jump, and a join of two
    recordings changes its length too.

    The variance of each sample is the local noise power next to the harmonic (the noise
    weighting of ``_noise_weights``, scaled to the whole baseband), so speech bursts are known
    to be noisy and the pauses between words count fully when phases are compared.

    ``cuts_s``: the cuts the track was made with (``track_frequency``). Between the last
    frame before a cut and the first after it the frequency is not interpolated but held on
    each side: the two sides may be different recordings, one of them without hum, and a
    ramp from a noise frequency to the hum's would turn the hummed side's phasor for
    seconds after the join (in the tamper benchmark, a join found 1–2 s off).
    """
    spacing = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    size = max(round(smooth_s / spacing), 1)
    smooth = ndimage.uniform_filter1d(freq, size, mode="nearest") if len(freq) else freq
    n = max((len(z) for z in bands.values()), default=0)
    at = np.arange(n) / BASE_RATE
    deviation = _held_interp(at, times, smooth, cuts_s or []) - nominal if len(times) else 0 * at
    result = []
    for harmonic, z in bands.items():
        turned = z * np.exp(-2j * np.pi * harmonic * np.cumsum(deviation[: len(z)]) / BASE_RATE)
        weight, _, share = _noise_weights(z, harmonic, edge_hz)
        result.append((harmonic, turned, 1.0 / (weight * share)))
    return result


def _held_interp(
    at: np.ndarray, times: np.ndarray, values: np.ndarray, cuts_s: list[float]
) -> np.ndarray:
    """``np.interp`` of ``values`` (at ``times``) at ``at``, not across any of ``cuts_s``:
    each stretch between cuts uses only the points inside it, held flat beyond its first and
    last (a stretch without a point of its own falls back to plain interpolation)."""
    result = np.interp(at, times, values)
    edges = [-np.inf, *sorted(cuts_s), np.inf]
    for low, high in pairwise(edges):
        inside = (times >= low) & (times < high)
        if inside.any():
            where = (at >= low) & (at < high)
            result[where] = np.interp(at[where], times[inside], values[inside])
    return result


def enf_track(
    samples: np.ndarray,
    sample_rate: int,
    nominal: float | None = None,
    resolution_s: float = HOP_S,
) -> tuple[np.ndarray, np.ndarray]:
    """(times s, frequency Hz) of the mains hum in mono ``samples``, one point every
    ``resolution_s`` seconds (a multiple of 0.05 s, the baseband's sample spacing), each from
    a ``FRAME_S`` s window centred on its time (the whole recording when shorter; under
    ``MIN_FRAME_S`` there is no track).

    ``nominal`` (50 or 60) is detected when not given. The track is computed whether or not
    the hum is strong enough to trust; ``harmonic_snr`` says how strong it is.
    """
    if len(samples) < MIN_FRAME_S * sample_rate:
        return np.zeros(0), np.zeros(0)
    x = resample(samples, sample_rate)
    snrs = harmonic_snr(x, top_harmonic_hz(sample_rate))
    if nominal is None:
        nominal = max(snrs.items(), key=lambda kv: kv[1])[0][0]
    used = choose_harmonics(snrs, nominal, PRESENT_SNR_DB)
    times, freq, _ = track_frequency(x, nominal, used, resolution_s)
    return times, freq
