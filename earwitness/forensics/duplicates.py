"""Copy-move: the same stretch of recording appearing twice.

A recording never repeats itself sample for sample: even a speaker who says the same words
twice says them into a different moment of background noise. So material that recurs *with its
background* was copied. This is how an editor lengthens a pause, repeats a "yes", or moves a
phrase to where it changes the meaning, and it leaves no discontinuity of its own that a noise
or ENF check could see when the cuts are made in pauses.

Method:

1. Landmarks, as audio fingerprinting does (robust to lossy coding): peaks of the log
   spectrogram at 8 kHz, each paired with a few later peaks nearby; a pair's frequencies and
   time gap form a hash.
2. Hashes that occur at two places vote for the time offset between them; an offset with many
   votes over at least half a second is a candidate repeat.
3. Each candidate is checked on the waveform: the exact lag by cross-correlation (to an
   eighth of a sample, as a copy rarely falls on the 8 kHz grid), then the correlation of
   the two stretches block by block. The repeat is grown block by block while the
   correlation holds, which finds its edges to a few milliseconds, and it counts as copied
   only if the quietest blocks (background between words, where a genuine repetition would
   hold different noise) correlate too, or, where the repeat holds no pause, if the two
   stretches differ by less than their background noise (``copied_noise``): two takes of
   the same words, even a synthesiser's, differ by both noises.
4. A pause lengthened with a copy of another pause holds no words, so no landmarks:
   ``room_tone`` fingerprints the background on its own, and its candidates are checked the
   same way, and must also match at their lag only, not 1-4 ms beside it (as a buzz would).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

from earwitness.forensics import room_tone
from earwitness.forensics.copied_noise import blocks_under_floor
from earwitness.forensics.declaration import Declaration
from earwitness.forensics.dsp import at_rate_blocks, frames, length_at_rate, sosfiltfilt
from earwitness.forensics.findings import CheckResult, Finding
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import Recording
from earwitness.media import blocks

NAME = "duplicated_material"
RATE = 8000
N_FFT, HOP = 512, 128  # 64 ms windows every 16 ms
FAN_OUT = 4  # later peaks paired with each anchor
TARGET_FRAMES = 40  # how far ahead (0.64 s) and how far in frequency a pair may reach
TARGET_BINS = 48
MIN_OFFSET_S = 1.0  # a repeat closer than this is an echo or a held sound, not a copy
MIN_VOTES = 12
BLOCK_S = 0.02
BLOCK = int(BLOCK_S * RATE)
MIN_SPAN_S = 0.5
# A short word copied alone ("yes", "no") casts its votes within about 0.2 s; the waveform
# check, not the votes' spread, decides whether it is a copy.
MIN_VOTE_SPAN_S = 0.15
HOLD = 0.6  # block correlation above which the repeat goes on
SHARP = 0.3  # a copied background correlates this much more at its lag than 1-4 ms beside it
IDENTICAL = 0.9  # a repeat this alike on the waveform is measured against its background too
# Pauses are fingerprinted up to this far above the local floor: room tone copied from a
# louder place into a quieter pause stands above that pause's floor (b069 of the tamper
# benchmark: 10 dB), and 6 dB left it out.
PAUSE_DB = 12.0


def _to_rate(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """The samples at RATE (float64, NaN read as 0); in a temporary file when longer than a
    block."""
    length = length_at_rate(len(samples), sample_rate, RATE)
    parts = at_rate_blocks(samples, sample_rate, RATE, finite=True)
    if length <= blocks.BLOCK:
        return np.concatenate([block for _, block in parts])
    return blocks.spill(parts, length)


def _log_magnitudes(x: np.ndarray, low: int, high: int) -> np.ndarray:
    """Log STFT magnitudes (+1e-9) of bins ``low``-``high`` (bins x frames), as
    ``scipy.signal.stft`` with a Hann window, no boundary extension and the end padded, gives
    them; computed a few thousand frames at a time, into a temporary file when long."""
    count = max(-(-(len(x) - N_FFT) // HOP), 0) + 1
    window = signal.get_window("hann", N_FFT)
    window = window / window.sum()
    shape = (high - low, count)
    small = shape[0] * count <= blocks.BLOCK
    out = np.empty(shape) if small else blocks.scratch(shape)
    per_batch = 4096
    for first in range(0, count, per_batch):
        last = min(first + per_batch, count)
        start = first * HOP
        segment = np.zeros((last - 1 - first) * HOP + N_FFT)
        read = blocks.read(x, start, start + len(segment))
        segment[: len(read)] = read
        for part, batch in frames(segment, np.arange(last - first) * HOP, N_FFT):
            spectrum = np.abs(np.fft.rfft(batch * window)[:, low:high]).T
            out[:, first + part.start : first + part.stop] = np.log(spectrum + 1e-9)
        blocks.release(out[:, first:last])
    return out


def landmarks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hashes and anchor frames of spectrogram peak pairs."""
    power = _log_magnitudes(x, 4, 200)  # 62 Hz - 3.1 kHz: speech, not hum
    bands, count = power.shape
    floor = np.array([np.median(blocks.read(row, 0, count)) for row in power])[:, None]
    # Peaks a block of frames at a time; the 9-frame neighbourhood reaches 4 frames past it.
    found_bins, found_frames = [], []
    span = max(blocks.BLOCK // bands, 64)
    for start in range(0, count, span):
        lo, hi = max(start - 4, 0), min(start + span + 4, count)
        part = np.array(power[:, lo:hi])
        blocks.release(power[:, lo:hi])
        peaks = (part == ndimage.maximum_filter(part, size=(15, 9))) & (part > floor + 2.0)
        bins, frames = np.nonzero(peaks[:, start - lo : min(start + span, count) - lo])
        found_bins.append(bins)
        found_frames.append(frames + start)
    bins, frames = np.concatenate(found_bins), np.concatenate(found_frames)
    order = np.argsort(frames, kind="stable")
    bins, frames = bins[order], frames[order]
    hashes, anchors = [], []
    for k in range(1, 1 + 6 * FAN_OUT):  # candidates among the next peaks in time
        if k >= len(frames):
            break
        dt = frames[k:] - frames[:-k]
        df = bins[k:] - bins[:-k]
        ok = (dt > 0) & (dt <= TARGET_FRAMES) & (np.abs(df) <= TARGET_BINS)
        hashes.append((bins[:-k][ok] << 16) | ((df[ok] + 128) << 8) | dt[ok])
        anchors.append(frames[:-k][ok])
    if not hashes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(hashes).astype(np.int64), np.concatenate(anchors).astype(np.int64)


def candidate_repeats(hashes: np.ndarray, anchors: np.ndarray) -> list[tuple[int, int, int]]:
    """``(first frame, last frame, offset)`` of stretches whose landmarks recur ``offset``
    frames later."""
    order = np.argsort(hashes, kind="stable")
    hashes, anchors = hashes[order], anchors[order]
    starts = np.flatnonzero(np.r_[True, hashes[1:] != hashes[:-1]])
    sizes = np.diff(np.r_[starts, len(hashes)])
    min_offset = int(MIN_OFFSET_S * RATE / HOP)
    votes_at, votes_off = [], []
    for start, size in zip(starts[sizes > 1], sizes[sizes > 1], strict=True):
        if size > 12:  # a hash everywhere (a tone, a hum harmonic) says nothing about copies
            continue
        times = np.sort(anchors[start : start + size])
        gap = times[None, :] - times[:, None]
        i, j = np.nonzero(gap >= min_offset)
        votes_at.append(times[i])
        votes_off.append(gap[i, j])
    if not votes_at:
        return []
    at, offset = np.concatenate(votes_at), np.concatenate(votes_off)
    result = []
    for value, count in zip(*np.unique(offset, return_counts=True), strict=True):
        if count < MIN_VOTES // 2:
            continue
        near = np.abs(offset - value) <= 1  # lossy coding moves peaks by a frame
        times = np.sort(at[near])
        # Votes for one copy lie together in time; split where they stop.
        for group in np.split(times, np.flatnonzero(np.diff(times) > RATE / HOP) + 1):
            if len(group) >= MIN_VOTES and group[-1] - group[0] >= MIN_VOTE_SPAN_S * RATE / HOP:
                result.append((int(group[0]), int(group[-1]), int(value)))
    return _distinct(result)


def _distinct(spans: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The longest of the spans that overlap at nearly the same offset (within 3 frames).
    Kept spans are filed by offset, so each span is compared only with those near its own."""
    kept: list[tuple[int, int, int]] = []
    by_offset: dict[int, list[tuple[int, int]]] = {}
    for first, last, offset in sorted(spans, key=lambda s: s[0] - s[1]):
        if any(
            first <= k_last and k_first <= last
            for near in range(offset - 3, offset + 4)
            for k_first, k_last in by_offset.get(near, ())
        ):
            continue
        kept.append((first, last, offset))
        by_offset.setdefault(offset, []).append((first, last))
    return kept


def _block_correlation(
    a: np.ndarray, b: np.ndarray, block: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Correlation and the energies of ``a`` and ``b``, block by block."""
    count = min(len(a), len(b)) // block
    a = a[: count * block].reshape(count, block)
    b = b[: count * block].reshape(count, block)
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    energy_a, energy_b = (a**2).sum(axis=1), (b**2).sum(axis=1)
    corr = (a * b).sum(axis=1) / np.sqrt(energy_a * energy_b + 1e-20)
    return corr, energy_a, energy_b


def _block_energy(x: np.ndarray) -> np.ndarray:
    """Energy of each whole BLOCK of ``x``, read a few thousand blocks at a time."""
    count = len(x) // BLOCK
    energy = np.empty(count)
    rows = max(blocks.BLOCK // BLOCK, 1)
    for first in range(0, count, rows):
        last = min(first + rows, count)
        part = blocks.read(x, first * BLOCK, last * BLOCK).reshape(-1, BLOCK)
        energy[first:last] = (part**2).sum(axis=1)
    return energy


def local_floor(x: np.ndarray) -> np.ndarray:
    """Per block: the background level around it (10th percentile of block energy over 8 s).

    Near-digital silence (a lossy coder's flushed last frame, a fade, a run of zeros) is not
    background: counted, it would put the floor far below the noise, and no block near it
    would be quiet. The edges are mirrored, not repeated, for the same reason.
    """
    energy = _block_energy(x)
    if not len(energy):
        return energy + 1e-20
    typical = float(np.median(energy))
    energy = np.where(energy < typical * 1e-6, typical, energy)
    size = max(int(8.0 / BLOCK_S), 1)
    return ndimage.percentile_filter(energy, 10, size=size, mode="reflect") + 1e-20


def verify(
    x: np.ndarray, first: int, last: int, offset: int, floor: np.ndarray
) -> dict[str, float] | None:
    """The repeat of landmark frames ``first``-``last`` ``offset`` frames later, on the
    waveform: exact lag, edges, and how well its background matches."""
    return verify_samples(x, first * HOP, last * HOP + N_FFT, offset * HOP, floor)


def verify_samples(
    x: np.ndarray, a0: int, a1: int, lag0: int, floor: np.ndarray
) -> dict[str, float] | None:
    """The repeat of samples ``a0``-``a1`` about ``lag0`` samples later, on the waveform."""
    search = 2 * HOP
    if a0 + lag0 - search < 0 or a1 + lag0 + search > len(x):
        return None
    piece = x[a0:a1]
    region = x[a0 + lag0 - search : a1 + lag0 + search]
    xcorr = signal.correlate(region, piece, mode="valid", method="fft")
    lag = lag0 - search + int(np.argmax(xcorr))
    # A copy made at the file's own rate lies a fraction of a sample off at 8 kHz; noise near
    # 3 kHz half a sample off correlates at only about 0.2, so the fraction is found too.
    fraction = max(FRACTIONS, key=lambda f: float(np.dot(piece, _later(x, a0, a1, lag + f))))
    shift = lag + fraction
    # A chance vote at the same lag a little way off stretches the voted span past the copy:
    # keep it from its first to its last block that matches, then grow block by block while
    # the two copies still agree.
    corr, _, _ = _block_correlation(piece, _later(x, a0, a1, shift), BLOCK)
    matching = np.flatnonzero(corr >= HOLD)
    if not len(matching):
        return None
    start, end = a0 + int(matching[0]) * BLOCK, a0 + (int(matching[-1]) + 1) * BLOCK
    while start - BLOCK >= 0 and start - BLOCK + lag >= 0:
        corr, _, _ = _block_correlation(
            x[start - BLOCK : start], _later(x, start - BLOCK, start, shift), BLOCK
        )
        if corr[0] < HOLD:
            break
        start -= BLOCK
    while end + BLOCK + lag <= len(x) and end + BLOCK <= start + lag:
        corr, _, _ = _block_correlation(
            x[end : end + BLOCK], _later(x, end, end + BLOCK, shift), BLOCK
        )
        if corr[0] < HOLD:
            break
        end += BLOCK
    corr, energy_a, energy_b = _block_correlation(x[start:end], _later(x, start, end, shift), BLOCK)
    if len(corr) * BLOCK_S < MIN_SPAN_S:
        return None
    # Background: blocks within 3 dB of the local noise floor in both copies. Louder blocks
    # may hold the decaying tail of a word, which a repeated utterance would repeat too.
    index_a = np.minimum(start // BLOCK + np.arange(len(corr)), len(floor) - 1)
    index_b = np.minimum((start + lag) // BLOCK + np.arange(len(corr)), len(floor) - 1)
    quiet = (energy_a <= 2 * floor[index_a]) & (energy_b <= 2 * floor[index_b])
    quiet_correlation = float(np.median(corr[quiet])) if quiet.any() else 0.0
    return {
        "start_s": start / RATE,
        "end_s": end / RATE,
        "lag_s": shift / RATE,
        "correlation": float(np.median(corr)),
        "quiet_blocks": int(quiet.sum()),
        "quiet_correlation": quiet_correlation,
        "sharpness": quiet_correlation - _beside(x, start, end, shift, quiet),
    }


FRACTIONS = np.arange(-0.5, 0.5, 0.125)
TAPS = np.arange(-15, 17)  # windowed-sinc interpolation, 32 taps


def _later(x: np.ndarray, a: int, b: int, shift: float) -> np.ndarray:
    """``x`` at times ``a + shift`` ... ``b - 1 + shift`` (``shift`` in samples, fractional
    allowed), zero beyond the ends."""
    whole = int(np.floor(shift))
    fraction = shift - whole
    margin = (0, 0) if fraction == 0 else (-TAPS[0], TAPS[-1])
    lo, hi = a + whole - margin[0], b + whole + margin[1]
    window = np.zeros(max(hi - lo, 0))
    inside_lo, inside_hi = max(lo, 0), min(hi, len(x))
    if inside_hi > inside_lo:
        window[inside_lo - lo : inside_hi - lo] = x[inside_lo:inside_hi]
    if fraction == 0:
        return window
    kernel = np.sinc(TAPS - fraction) * np.hanning(len(TAPS) + 2)[1:-1]
    return np.correlate(window, kernel, mode="valid")


def _beside(x: np.ndarray, start: int, end: int, shift: float, quiet: np.ndarray) -> float:
    """The background's highest correlation 1-4 ms beside the lag. Copied noise matches at
    one lag only; a tone or a buzz (periodic) matches a few milliseconds off as well."""
    highest = 0.0
    if not quiet.any():
        return highest
    for offset in (-32, -24, -16, -8, 8, 16, 24, 32):
        corr, _, _ = _block_correlation(x[start:end], _later(x, start, end, shift + offset), BLOCK)
        mask = quiet[: len(corr)]
        if mask.any():
            highest = max(highest, abs(float(np.median(corr[mask]))))
    return highest


def _sharp(x: np.ndarray, found: dict[str, float]) -> bool:
    """Whether the whole repeat matches at its lag only, not 1-4 ms beside it as a tone or a
    buzz would (``_beside`` over every block, for a repeat with no block near the floor)."""
    start, end = round(found["start_s"] * RATE), round(found["end_s"] * RATE)
    every = np.ones((end - start) // BLOCK, dtype=bool)
    return found["correlation"] - _beside(x, start, end, found["lag_s"] * RATE, every) >= SHARP


def _noise_repeats(
    samples: np.ndarray, sample_rate: int, found: dict[str, float], floor: np.ndarray
) -> float:
    """Near 1 when the two stretches differ by less than their background over most of the
    repeat (``copied_noise``): the noise under the words recurs, so the words were copied.

    In the tamper benchmark (WAV) the copies differed that little over 79-100 % of their
    blocks; a synthetic voice saying a sentence again, over fresh noise, over at most 5 %."""
    under = blocks_under_floor(
        samples, sample_rate, found["start_s"], found["end_s"], found["lag_s"], floor
    )
    count = max(round((found["end_s"] - found["start_s"]) / BLOCK_S), 1)
    found["under_floor_blocks"] = under
    share = under / count
    return float(np.clip((share - 0.2) / 0.3, 0.0, 1.0) * np.clip((under - 4) / 6, 0.0, 1.0))


def _score(found: dict[str, float]) -> float:
    """Near 1 when the background recurs too, over at least a fifth of a second of it.

    Background noise that correlates at 0.9 over ten 20 ms blocks cannot recur by chance; a
    handful of blocks may still hold a repeated word's reverberant tail, so fewer count less.
    On the tamper set's clean files no repeat held more than one background block above 0.6.
    """
    match = np.clip((found["quiet_correlation"] - 0.6) / 0.3, 0.0, 1.0)
    amount = np.clip((found["quiet_blocks"] - 4) / 6, 0.0, 1.0)
    return float(match * amount)


def quiet_blocks(x: np.ndarray, floor: np.ndarray, within_db: float = 3.0) -> np.ndarray:
    """Per BLOCK: whether it is background (within ``within_db`` of the local floor)."""
    energy = _block_energy(x)
    return energy <= 10 ** (within_db / 10) * floor[: len(energy)]


def _same_repeat(a0: int, a1: int, lag: int, found: dict[str, float]) -> bool:
    """Whether a background candidate is a repeat the landmarks found already."""
    start, end = found["start_s"] * RATE, found["end_s"] * RATE
    return abs(found["lag_s"] * RATE - lag) <= 2 * HOP and a0 < end and start < a1


def check_duplicates(samples: np.ndarray, sample_rate: int) -> CheckResult:
    if len(samples) < 3 * sample_rate:
        return CheckResult(NAME, "not_applicable", "Recording shorter than 3 s.")
    if sample_rate < RATE:
        # Below 8 kHz the band the background is compared in (400-3400 Hz) is not recorded;
        # what resampling puts there is the same everywhere and would look copied.
        return CheckResult(
            NAME,
            "not_applicable",
            f"Sampled at {sample_rate} Hz; the comparison of backgrounds needs 400-3400 Hz, "
            f"which only a rate of {RATE} Hz or more records.",
        )
    x = _to_rate(samples, sample_rate)
    hashes, anchors = landmarks(x)
    candidates = candidate_repeats(hashes, anchors)
    # Verified above the mains hum's harmonics: hum repeats every cycle and would make any
    # two stretches of background look alike.
    verified_on = sosfiltfilt(signal.butter(4, [400, 3400], "bandpass", fs=RATE, output="sos"), x)
    floor = local_floor(verified_on)
    repeats: list[tuple[dict[str, float], float]] = []
    for first, last, offset in candidates[:50]:
        found = verify(verified_on, first, last, offset, floor)
        if found is not None:
            score = _score(found)
            if score < 1 and found["correlation"] >= IDENTICAL:
                score = max(score, _noise_repeats(samples, sample_rate, found, floor))
            repeats.append((found, score))
    # Noise alone moves 20 ms blocks up to about 6 dB over the floor, and every frame of a
    # pause is a vote; quiet words may reach PAUSE_DB, but their fingerprints do not recur.
    pause_blocks = quiet_blocks(verified_on, floor, within_db=PAUSE_DB)
    pauses = room_tone.candidate_copies(verified_on, pause_blocks, BLOCK)
    for a0, a1, lag in pauses[:50]:
        if any(_same_repeat(a0, a1, lag, found) for found, _ in repeats):
            continue
        found = verify_samples(verified_on, a0, a1, lag, floor)
        if found is None:
            continue
        score = _score(found) if found["sharpness"] >= SHARP else 0.0
        if score < 1 and found["correlation"] >= IDENTICAL and _sharp(verified_on, found):
            # Room tone from a louder place pasted into a quieter pause: no block is near the
            # floor at both places, but the two differ by less than the quieter background.
            score = max(score, _noise_repeats(samples, sample_rate, found, floor))
        if score > 0 or found["sharpness"] >= SHARP:
            found["background_only"] = True
            repeats.append((found, score))
    findings = []
    for found, score in repeats:
        if score <= 0:
            continue
        a, b, shift = found["start_s"], found["end_s"], found["lag_s"]
        measured = (
            f"correlation {found['quiet_correlation']:.2f} over "
            f"{found['quiet_blocks'] * BLOCK_S:.2f} s of background"
            if _score(found) >= score
            else "the two differ by less than a quarter of the background noise's energy over "
            f"{found['under_floor_blocks'] * BLOCK_S:.2f} s, where two takes would differ by "
            "twice it"
        )
        if found.get("background_only"):
            what = (
                f"The background noise of the pause {a:.2f}-{b:.2f} s recurs sample for sample "
                f"at {a + shift:.2f}-{b + shift:.2f} s ({measured})"
            )
        else:
            what = (
                f"The stretch {a:.2f}-{b:.2f} s recurs at {a + shift:.2f}-{b + shift:.2f} s "
                f"together with its background noise ({measured})"
            )
        text = (
            f"{what}; a recording does not repeat its background, so one of the two is "
            "consistent with a copy, whose boundaries are edit points."
        )
        for at in (a, b, a + shift, b + shift):
            findings.append(
                Finding(
                    "edit_point", NAME, max(at - 0.02, 0), at + 0.02, round(score, 4), text, found
                )
            )
    strong = sum(score >= 0.5 for _, score in repeats)
    return CheckResult(
        NAME,
        "ok",
        f"Searched for material that recurs with its background: {len(candidates)} candidate "
        f"repeat(s) of the sound and {len(pauses)} of background alone, {strong} with the "
        "background repeated too.",
        {
            "candidates": len(candidates),
            "background_candidates": len(pauses),
            "verified": len(repeats),
            "copies": strong,
        },
        sorted(findings, key=lambda f: f.start_s),
    )


def run(recording: Recording, options: ExamOptions) -> CheckResult:
    return check_duplicates(recording.samples, recording.sample_rate)


EXAMINATION = Declaration(
    NAME, "material repeated with its background (copy-move)", {"edit_point": "Edit point"}, run
)
