"""Compression history: band limits, upsampling and traces of earlier lossy coding.

A file's container says how it is stored now, not what happened to the audio before. Two traces
survive conversion to PCM:

* **Band limit.** Lossy encoders low-pass the signal (LAME at 64 kbit/s near 16.5 kHz); a
  resampler removes everything above the old Nyquist frequency. Either way the long-term
  spectrum falls by tens of dB within a few hundred Hz to the quantisation floor and stays
  there. A cutoff at (or just below) half of a standard sample rate says the audio was once at
  that rate (``upsampling``); any other sharp cutoff well below Nyquist is a ``bandwidth_limit``.
* **Spectral holes.** MP3 and AAC quantise whole scale-factor bands to zero frame by frame when
  bits run short, so a decoded file shows time–frequency cells tens of dB below their spectral
  neighbours far more often than the ≈ 1 per mille that noise-like PCM shows. Their share,
  against what Gaussian noise gives, scores earlier lossy coding (``reencoding``).

When the file itself is lossy-coded (``codec``), its own coding explains both traces: they are
reported as measurements, not findings. Pure function of the samples; the spectra use at most a
few thousand frames spread over the file (an hour of 48 kHz audio: ≈ 0.3 s).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from earwitness.forensics.declaration import Declaration
from earwitness.forensics.findings import CheckResult, Finding
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import Recording
from earwitness.media import blocks

NAME = "compression_history"

# Decoders of lossy codecs, by FFmpeg's codec name; ``adpcm_*`` and ``g72*`` match by prefix.
_LOSSY_NAMES = (
    "mp1 mp2 mp3 mp3float mp3adu aac aac_latm libfdk_aac opus libopus vorbis libvorbis amr_nb "
    "amr_wb wmav1 wmav2 wmapro wmavoice ac3 eac3 dts gsm gsm_ms speex ilbc qcelp evrc atrac3 "
    "atrac3p cook ra_144 ra_288 nellymoser sipr truespeech"
)
LOSSY_CODECS = frozenset(_LOSSY_NAMES.split())
_LOSSY_PREFIXES = ("adpcm_", "g72")
STANDARD_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)

MIN_DURATION_S = 0.5
MIN_RATE = 8000
LTAS_BIN_HZ = 10.0  # target resolution of the long-term spectrum
LTAS_MAX_FRAMES = 3000
MIN_DROP_DB = 25.0  # a fall smaller than this is not a cutoff
WELL_BELOW_NYQUIST = 0.80  # cutoffs above this share of Nyquist are the converter's own filter

HOLE_FRAME = 512  # samples: shorter than an MP3 granule pair, so zeroed bands stay visible
HOLE_MAX_FRAMES = 8000
HOLE_BLOCK = 32  # consecutive frames analysed together
HOLE_TIME_LAG = 3  # frames before and after in which a hole must not persist
HOLE_HALF_WIDTH = 8  # bins on each side for the local spectral level
HOLE_DEPTH_DB = 30.0
HOLE_NOISE_SHARE = 1 - math.exp(-(10 ** (-HOLE_DEPTH_DB / 10)))  # Gaussian noise: ≈ 0.1 %
HOLE_MIN_CELLS = 2000
SEGMENT_MIN_S = 5.0
SEGMENT_MIN_CELLS = 5000
_LSB16 = 2.0**-15
_TINY = 1e-30


def _ramp(value: float, low: float, high: float) -> float:
    """0 at ``low``, 1 at ``high``, linear between: how scores grow with the evidence."""
    return float(min(max((value - low) / (high - low), 0.0), 1.0))


def is_lossy(codec: str | None) -> bool:
    name = (codec or "").lower()
    return name in LOSSY_CODECS or name.startswith(_LOSSY_PREFIXES)


def _frame_starts(n: int, frame: int, hop: int, limit: int) -> np.ndarray:
    """Start indices of up to ``limit`` frames, every ``hop`` or spread evenly over the signal."""
    count = (n - frame) // hop + 1
    if count <= limit:
        return np.arange(count, dtype=np.int64) * hop
    return np.linspace(0, n - frame, limit).astype(np.int64)


def _power_frames(x: np.ndarray, starts: np.ndarray, frame: int, batch: int = 512):
    """Hann-windowed power spectra of the frames at ``starts``, ``batch`` frames at a time."""
    window = np.hanning(frame).astype(np.float32)
    offsets = np.arange(frame)
    for i in range(0, starts.size, batch):
        block = x[starts[i : i + batch, None] + offsets] * window
        blocks.release(x[starts[i] : starts[i : i + batch][-1] + frame])
        spectrum = np.fft.rfft(block, axis=1)
        yield (spectrum.real**2 + spectrum.imag**2).astype(np.float64)


def long_term_spectrum(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies and mean power (Welch, Hann, ~10 Hz bins) over frames spread through ``x``."""
    frame = min(1 << int(math.log2(rate / LTAS_BIN_HZ)), 1 << int(math.log2(x.size)))
    starts = _frame_starts(x.size, frame, frame // 2, LTAS_MAX_FRAMES)
    total = np.zeros(frame // 2 + 1)
    for power in _power_frames(x, starts, frame):
        total += power.sum(axis=0)
    return np.fft.rfftfreq(frame, 1 / rate), total / starts.size


@dataclass(frozen=True)
class Cutoff:
    """A steep fall of the long-term spectrum to the floor that lasts up to Nyquist."""

    frequency_hz: float  # 6 dB below the shoulder where the fall begins (a filter's cutoff)
    drop_db: float  # shoulder level minus the level above the cutoff
    width_hz: float  # from 3 dB below the shoulder to within 6 dB of the floor
    passband_db: float
    floor_db: float
    fall_starts_hz: float  # the last frequency within 3 dB of the shoulder

    @property
    def relative_width(self) -> float:
        """Transition width over cutoff frequency: encoders ≈ 0.02–0.06, resamplers 0.1–0.25."""
        return self.width_hz / max(self.frequency_hz, 1.0)


def find_cutoff(freqs: np.ndarray, power: np.ndarray) -> Cutoff | None:
    """The strongest steep fall of the spectrum to a floor that lasts up to Nyquist, or None.

    For each candidate frequency f, compare the passband just below f (median) with everything
    above f up to Nyquist (90th percentile, so content anywhere above rules f out). Natural
    spectra fall gradually, so the levels on either side of any f stay close. The cutoff is
    then placed 6 dB below the shoulder where the steep fall begins (a filter's −6 dB point),
    which does not depend on how the content slopes further down.
    """
    step = float(freqs[1] - freqs[0])
    nyquist = float(freqs[-1])
    smooth = ndimage.uniform_filter1d(power, 5, mode="nearest")
    # Running sums can leave tiny negative values; clamp far below the loudest bin.
    smooth = np.maximum(smooth, max(float(smooth.max()), _TINY) * 1e-16)
    level = ndimage.median_filter(10 * np.log10(smooth), max(int(100 / step) | 1, 3))
    end = int(0.99 * nyquist / step)
    best: tuple[float, int] | None = None
    for k in range(int(1000 / step), int(0.98 * nyquist / step)):
        delta = max(int(max(150.0, 0.02 * freqs[k]) / step), 2)
        if k - 3 * delta < 0 or end - (k + delta) < 3 * delta:
            continue
        passband = float(np.median(level[k - 3 * delta : k - delta]))
        above = float(np.percentile(level[k + delta : end], 90))
        if best is None or passband - above > best[0]:
            best = (passband - above, k)
    if best is None or best[0] < MIN_DROP_DB:
        return None
    k = best[1]
    floor = float(np.percentile(level[k + max(int(150 / step), 2) : end], 90))
    # Walk down from k while the level still rises by > 3 dB over 3 % of the frequency.
    w = max(int(0.03 * freqs[k] / step), 2)
    j = k
    while j - w > 0 and level[j - w] - level[j] > 3.0:
        j -= 1
    shoulder = float(level[max(j - w, 0) : j + 1].max())
    drop = shoulder - floor
    inside = np.flatnonzero(level[j:end] >= shoulder - 6.0)
    edge6 = j + (int(inside[-1]) if inside.size else 0)
    reached = np.flatnonzero(level[edge6:end] <= floor + 6.0)
    floor_at = edge6 + int(reached[0]) if reached.size else end
    inside3 = np.flatnonzero(level[j:end] >= shoulder - 3.0)
    edge3 = j + (int(inside3[-1]) if inside3.size else 0)
    # A fall that reaches the floor only just below Nyquist is the converter's own filter.
    if drop < MIN_DROP_DB or (nyquist - freqs[floor_at]) < 0.05 * nyquist:
        return None
    width = float(freqs[floor_at] - freqs[edge3])
    return Cutoff(float(freqs[edge6]), drop, width, shoulder, floor, float(freqs[edge3]))


def original_rate(cut: Cutoff, rate: int) -> tuple[int | None, float]:
    """The standard rate whose Nyquist frequency the cutoff sits at, and how well (0..1).

    Resamplers put their −6 dB point (measured from the shoulder of the fall) at 90–100 % of
    the old Nyquist frequency, gentle ones up to 4 % above it; telephone audio stops near
    3.4–3.6 kHz in 8 kHz files. An encoder's low-pass is far steeper than a gentle
    resampler's, so a cutoff just above an old Nyquist frequency counts only with a gentle
    transition.
    """
    best: tuple[int | None, float] = (None, 0.0)
    for candidate in STANDARD_RATES:
        if candidate >= 0.95 * rate:
            continue
        ratio = cut.frequency_hz / (candidate / 2)
        if ratio > 1.0 and cut.relative_width < 0.1:
            continue
        fit = min(_ramp(ratio, 0.80, 0.88), 1.0 - _ramp(ratio, 1.04, 1.07))
        if fit > best[1]:
            best = (candidate, fit)
    return best


@dataclass(frozen=True)
class Holes:
    """Spectral holes: cells ≥ 30 dB below their spectral neighbours, frame by frame."""

    holes: np.ndarray  # per analysed frame
    active: np.ndarray  # cells with clear signal, per analysed frame
    times_s: np.ndarray  # frame starts
    band_hz: tuple[float, float]

    def share(self, sel: slice | np.ndarray = slice(None)) -> float:
        active = int(self.active[sel].sum())
        return float(self.holes[sel].sum()) / active if active else 0.0

    def score(self, sel: slice | np.ndarray = slice(None)) -> float:
        """0 up to 3× the share Gaussian noise gives, 1 from 12× on a log scale.

        Measured: PCM speech and noise 0.8–4.5×; speech through MP3 at ≤ 32 kbit/s (16 kHz)
        20–90×; dense noise through MP3 at 64 kbit/s (44.1 kHz) ≈ 10×.
        """
        if int(self.active[sel].sum()) < HOLE_MIN_CELLS:
            return 0.0
        excess = self.share(sel) / HOLE_NOISE_SHARE
        return _ramp(math.log(max(excess, 1e-9)), math.log(3.0), math.log(12.0))


def spectral_holes(x: np.ndarray, rate: int, low_hz: float, high_hz: float) -> Holes | None:
    """Count deep, passing holes among time–frequency cells with clear signal, in the band.

    Cells count only where the local level is ≥ 30 dB above the 16-bit quantisation floor, so
    silence and faint bands, whose holes would be rounding, are left out. A hole counts only
    if the same bin is not a hole a few frames before or after: the valleys between the lines
    of a steady tone or a clipped waveform persist, the bands an encoder zeroes come and go.
    Frames are taken in blocks of consecutive frames spread over the recording.
    """
    frame, hop, lag = HOLE_FRAME, HOLE_FRAME // 2, HOLE_TIME_LAG
    step = rate / frame
    first, last = math.ceil(low_hz / step), int(high_hz / step)
    per_block = min(HOLE_BLOCK, (x.size - frame) // hop + 1)
    if last - first < 2 * HOLE_HALF_WIDTH or per_block < 2 * lag + 1:
        return None
    span = (per_block - 1) * hop + frame
    blocks = _frame_starts(x.size, span, span, HOLE_MAX_FRAMES // per_block)
    starts = (blocks[:, None] + np.arange(per_block) * hop).ravel()
    lo, hi = max(first - HOLE_HALF_WIDTH, 0), min(last + HOLE_HALF_WIDTH + 1, frame // 2 + 1)
    inner = slice(first - lo, last - lo + 1)
    floor = _LSB16**2 / 12 * float(np.sum(np.hanning(frame) ** 2))
    depth = 10 ** (-HOLE_DEPTH_DB / 10)
    holes, active = [], []
    for power in _power_frames(x, starts, frame, batch=per_block * max(512 // per_block, 1)):
        band = power[:, lo:hi]
        local = ndimage.uniform_filter1d(band, 2 * HOLE_HALF_WIDTH + 1, axis=1, mode="nearest")
        shape = (-1, per_block, last - first + 1)
        local = local[:, inner].reshape(shape)
        relative = band[:, inner].reshape(shape) / np.maximum(local, _TINY)
        centre = slice(lag, per_block - lag)
        counted = local[:, centre] > floor * 1e3
        passing = np.maximum(relative[:, : -2 * lag], relative[:, 2 * lag :]) > 0.01
        deep = counted & (relative[:, centre] < depth) & passing
        active.append(counted.sum(axis=2).ravel())
        holes.append(deep.sum(axis=2).ravel())
    times = starts.reshape(-1, per_block)[:, lag : per_block - lag].ravel() / rate
    return Holes(np.concatenate(holes), np.concatenate(active), times, (low_hz, high_hz))


def _hole_band(cut: Cutoff | None, rate: int) -> tuple[float, float]:
    """The band searched for holes: the upper part of the content, clear of any cutoff.

    Lossy coders zero high bands first, and natural spectra are least tonal there. The band
    stops short of a cutoff, where the fall itself would look like holes.
    """
    nyquist = rate / 2
    top = 0.95 * nyquist
    if cut is not None:
        top = min(top, 0.97 * cut.fall_starts_hz)
    top -= HOLE_HALF_WIDTH * rate / HOLE_FRAME
    return min(max(3000.0, 0.3 * nyquist), 0.5 * top), top


def _tonality(freqs: np.ndarray, power: np.ndarray, band: tuple[float, float]) -> float:
    """How line-like the long-term spectrum is in ``band``: the standard deviation (dB) of its
    deviation from a 600 Hz running median. Noise ≈ 0.5 dB, speech 1–4 dB, steady tones > 15."""
    step = float(freqs[1] - freqs[0])
    first, last = int(band[0] / step), int(band[1] / step)
    if last - first < 3:
        return 0.0
    level = 10 * np.log10(np.maximum(power, max(float(power.max()), _TINY) * 1e-16))
    smooth = ndimage.median_filter(level, max(int(600 / step) | 1, 3))
    return float(np.std((level - smooth)[first:last]))


def _localised(holes: Holes, duration: float, weight: float) -> list[Finding]:
    """Reencoding findings for stretches of the recording when holes crowd into some while
    others are clean (a lossy-coded insert); none when they are spread evenly. Stretches are
    equal, ≥ 5 s and ≤ 12; one with too few cells to judge counts as neither."""
    count = min(12, int(duration // SEGMENT_MIN_S))
    if count < 2:
        return []
    edges = np.linspace(0, duration, count + 1)
    which = np.clip(np.searchsorted(edges, holes.times_s, side="right") - 1, 0, count - 1)
    judged = [
        weight * holes.score(which == i)
        if holes.active[which == i].sum() >= SEGMENT_MIN_CELLS
        else None
        for i in range(count)
    ]
    if not any(v is not None and v < 0.2 for v in judged):
        return []
    found: list[Finding] = []
    for strong, group in itertools.groupby(range(count), lambda k: (judged[k] or 0) >= 0.5):
        run = list(group)
        if strong:
            i, j = run[0], run[-1]
            sel = (which >= i) & (which <= j)
            part = weight * holes.score(sel)
            found.append(_reencoding(holes, part, edges[i], edges[j + 1], False, sel))
    return found


def check_compression(
    samples: np.ndarray, sample_rate: int, *, codec: str | None = None
) -> CheckResult:
    """Band limit, upsampling and earlier lossy coding of mono ``samples`` (float, −1..1).

    ``codec`` is the file's own codec (as probed); when it is lossy, band limit and holes are
    expected from that coding and are reported as measurements, not as findings.
    """
    x = np.asarray(samples)
    x = (x.mean(axis=0) if x.ndim > 1 else x).astype(np.float32, copy=False)
    rate = int(sample_rate)
    if rate < MIN_RATE:
        return CheckResult(NAME, "not_applicable", f"sample rate {rate} Hz is below {MIN_RATE}")
    if x.size < MIN_DURATION_S * rate:
        return CheckResult(NAME, "not_applicable", "recording shorter than 0.5 s")
    if not all(np.isfinite(blocks.extremes(x))):  # a damaged float file
        x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    freqs, power = long_term_spectrum(x, rate)
    if not np.any(power > 0):
        return CheckResult(NAME, "not_applicable", "the recording is digital silence")
    lossy, duration = is_lossy(codec), x.size / rate
    cut = find_cutoff(freqs, power)
    band = _hole_band(cut, rate)
    holes = spectral_holes(x, rate, *band)
    tonal = _tonality(freqs, power, band)
    # Between the steady lines of a tone (a test tone, a clipped or synthetic waveform) the
    # spectrum has deep valleys that are no trace of coding; speech stays under 4 dB here.
    hole_score = (holes.score() if holes else 0.0) * (1 - _ramp(tonal, 6.0, 12.0))
    metrics: dict = {
        "codec": codec,
        "file_is_lossy": lossy,
        "nyquist_hz": rate / 2,
        "cutoff_hz": None,
        "hole_share": holes.share() if holes else None,
        "hole_share_noise": HOLE_NOISE_SHARE,
        "hole_active_cells": int(holes.active.sum()) if holes else None,
        "hole_band_hz": [round(v) for v in band],
        "hole_band_tonality_db": round(tonal, 2),
        "hole_score": hole_score,
    }
    findings, band_note, encoder_band = _band(cut, rate, hole_score, lossy, duration, metrics)
    if lossy:
        summary = (
            f"The file itself is lossy-coded ({codec}); its own coding explains a band limit "
            "and spectral holes, so earlier coding cannot be told apart by this check. "
            f"Observed: {band_note}; {_holes_note(holes, tonal)}."
        )
        return CheckResult(NAME, "ok", summary, metrics, findings)

    score = 1 - (1 - hole_score) * (1 - 0.6 * encoder_band)
    metrics["reencoding_score"] = round(score, 3)
    parts = _localised(holes, duration, 1 - _ramp(tonal, 6.0, 12.0)) if holes else []
    if score > 0 and holes is not None and not parts:
        parts.append(_reencoding(holes, score, 0.0, duration, encoder_band > 0))
    findings += parts
    kinds = sorted({f.kind.replace("_", " ") for f in findings if f.score >= 0.5})
    verdict = (
        f"indications of {', '.join(kinds)}"
        if kinds
        else "no indication of earlier lossy coding or upsampling"
    )
    summary = f"Long-term spectrum: {band_note}; {_holes_note(holes, tonal)}; {verdict}."
    return CheckResult(NAME, "ok", summary, metrics, findings)


def _band(
    cut: Cutoff | None, rate: int, hole_score: float, lossy: bool, duration: float, metrics: dict
) -> tuple[list[Finding], str, float]:
    """Findings about the band limit, a phrase for the summary, and how strongly the limit
    itself points to a lossy encoder (a steep low-pass well below Nyquist)."""
    if cut is None:
        return [], "no steep band limit", 0.0
    nyquist = rate / 2
    orig, fit = original_rate(cut, rate)
    strength = _ramp(cut.drop_db, MIN_DROP_DB, 45.0)
    # With holes present, a steep low-pass is better explained by the encoder than by a lower
    # original rate, even where it happens to sit near an old Nyquist frequency; and
    # 12 and 24 kHz are rare as recording rates but a steep encoder low-pass often lands there.
    by_encoder = cut.relative_width < 0.1 and (hole_score >= 0.5 or lossy)
    by_encoder |= cut.relative_width < 0.05 and orig in (12000, 24000)
    evidence: dict[str, object] = {
        "cutoff_hz": round(cut.frequency_hz, 1),
        "drop_db": round(cut.drop_db, 1),
    }
    evidence.update(transition_hz=round(cut.width_hz, 1), matching_original_rate=None)
    evidence.update(share_of_nyquist=round(cut.frequency_hz / nyquist, 3))
    if fit > 0:
        evidence["matching_original_rate"] = orig
    metrics.update(cutoff_hz=evidence["cutoff_hz"], cutoff_drop_db=evidence["drop_db"])
    metrics.update(cutoff_transition_hz=evidence["transition_hz"])
    metrics.update(matching_original_rate=evidence["matching_original_rate"])
    note = f"content ends at {cut.frequency_hz:.0f} Hz ({cut.drop_db:.0f} dB fall)"
    if lossy:
        return [], note + (f", at the Nyquist frequency of {orig} Hz" if fit > 0 else ""), 0.0
    if fit > 0 and not by_encoder:
        # Encoders' low-passes are as steep as the steepest resamplers: less certain.
        steep = 0.7 if cut.relative_width < 0.05 else 1.0
        score = strength * fit * steep * (1 - _ramp(cut.relative_width, 0.3, 0.5))
        text = (
            f"No content above {cut.frequency_hz:.0f} Hz (a {cut.drop_db:.0f} dB fall to the "
            f"floor), at the Nyquist frequency of {orig} Hz: consistent with audio recorded or "
            f"stored at {orig} Hz and converted up to this rate (or with a low-pass, such as "
            "an encoder's, at the same frequency)."
        )
        evidence["probable_original_rate"] = orig
        found = [Finding("upsampling", NAME, 0.0, duration, round(score, 3), text, evidence)]
        return found, note + f", as after upsampling from {orig} Hz", 0.0
    if cut.frequency_hz >= WELL_BELOW_NYQUIST * nyquist:
        return [], note + ", close to Nyquist (as a converter's own filter)", 0.0
    score = strength * (1 - 0.6 * _ramp(cut.relative_width, 0.1, 0.3))
    text = (
        f"The spectrum falls {cut.drop_db:.0f} dB within {cut.width_hz:.0f} Hz at "
        f"{cut.frequency_hz:.0f} Hz, {100 * cut.frequency_hz / nyquist:.0f} % of Nyquist, and "
        "stays at the floor: a sharp low-pass such as lossy encoders apply."
    )
    found = [Finding("bandwidth_limit", NAME, 0.0, duration, round(score, 3), text, evidence)]
    # Only an encoder-steep fall (transition under 5–10 % of the frequency) points to coding.
    return found, note + ", well below Nyquist", score * (1 - _ramp(cut.relative_width, 0.05, 0.1))


def _holes_note(holes: Holes | None, tonal: float) -> str:
    if holes is None or int(holes.active.sum()) < HOLE_MIN_CELLS:
        return "too little high-frequency signal to count spectral holes"
    lines = " (between the lines of a tonal spectrum, where valleys are expected)"
    excess = holes.share() / HOLE_NOISE_SHARE
    return f"spectral holes at {excess:.1f}× the rate of noise-like PCM" + lines * (tonal >= 6)


def _reencoding(
    holes: Holes, score: float, start: float, end: float, with_band: bool, sel=slice(None)
) -> Finding:
    share = holes.share(sel)
    text = (
        f"{100 * share:.2f} % of time–frequency cells in {holes.band_hz[0]:.0f}–"
        f"{holes.band_hz[1]:.0f} Hz lie ≥ {HOLE_DEPTH_DB:.0f} dB below their neighbours, "
        f"{share / HOLE_NOISE_SHARE:.0f}× the rate of noise-like PCM"
        + (", together with a sharp low-pass" if with_band else "")
        + ": consistent with earlier lossy coding (MP3/AAC zero whole bands frame by frame) "
        "or with spectral processing such as noise reduction."
    )
    cells = int(holes.active[sel].sum())
    evidence: dict[str, object] = {
        "hole_share": share,
        "noise_share": HOLE_NOISE_SHARE,
        "active_cells": cells,
    }
    evidence["band_hz"] = [round(v) for v in holes.band_hz]
    return Finding("reencoding", NAME, float(start), float(end), round(score, 3), text, evidence)


def run(recording: Recording, options: ExamOptions) -> CheckResult:
    return check_compression(recording.samples, recording.sample_rate, codec=recording.facts.codec)


EXAMINATION = Declaration(
    NAME,
    "compression history and bandwidth",
    {"reencoding": "Re-encoding", "bandwidth_limit": "Bandwidth limit", "upsampling": "Upsampling"},
    run,
)
