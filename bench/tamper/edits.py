"""Edits made the way a careful editor makes them, and encoding with PyAV.

Edits work on the whole captured signal (speech, room, noise and hum together), cut mostly in
pauses, with or without a short crossfade. Every edit returns the new signal and the times, in
the edited file's timeline, where the cut lies (the middle of the crossfade).
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import av
import numpy as np
from scipy.signal import resample_poly

EDGE_S = 2.0  # no edit point closer than this to either end of a file
PAUSE_SHARE = 0.8  # share of cuts a careful editor places in pauses
CROSSFADES_MS = [0, 0, 5, 10, 20]
WHOLE_CYCLE_FADES_MS = [0, 0, 5, 10]
CODECS = {"wav": "wav", "mp3": "mp3", "aac": "m4a", "opus": "opus"}
# Bit rates messengers use when they forward a voice note or a recording, and one chain of
# two of them (a file forwarded from one messenger to another): name -> file extension.
MESSENGER_CODECS = {
    "opus16": "opus",
    "opus24": "opus",
    "aac32": "m4a",
    "mp3_64": "mp3",
    "aac32_opus24": "opus",
}
ENCODERS: dict[str, tuple[str, int]] = {
    "mp3": ("libmp3lame", 128_000),
    "aac": ("aac", 128_000),
    "opus": ("libopus", 48_000),
    "opus16": ("libopus", 16_000),
    "opus24": ("libopus", 24_000),
    "aac32": ("aac", 32_000),
    "mp3_64": ("libmp3lame", 64_000),
}
CHAINS = {"aac32_opus24": ("aac32", "opus24")}
EXTENSIONS = {**CODECS, **MESSENGER_CODECS}


@dataclass
class Edit:
    kind: str
    samples: np.ndarray
    edit_times: list[float]
    in_pause: bool
    crossfade_ms: int
    detail: dict[str, float | int | str]


def join(a: np.ndarray, b: np.ndarray, fade: int) -> np.ndarray:
    """``a`` then ``b``, overlapped by ``fade`` samples with an equal-power crossfade.
    Works on samples × channels as well (the mix and its pure hum are edited together)."""
    if fade <= 0 or fade > min(len(a), len(b)):
        return np.concatenate([a, b])
    ramp = np.sin(np.linspace(0.0, np.pi / 2, fade)).reshape(-1, *[1] * (a.ndim - 1))
    middle = a[-fade:] * ramp[::-1] + b[:fade] * ramp
    return np.concatenate([a[:-fade], middle, b[fade:]])


def _point(
    pauses: list[tuple[float, float]],
    rng: np.random.Generator,
    in_pause: bool,
    lo: float,
    hi: float,
) -> float | None:
    """A random time in [lo, hi]; inside one of ``pauses`` when ``in_pause``."""
    if not in_pause:
        return float(rng.uniform(lo, hi)) if hi > lo else None
    spans = _clip(pauses, lo, hi)
    if not spans:
        return None
    a, b = spans[int(rng.integers(len(spans)))]
    return float(rng.uniform(a, b))


def _clip(pauses: list[tuple[float, float]], lo: float, hi: float) -> list[tuple[float, float]]:
    return [(max(a, lo), min(b, hi)) for a, b in pauses if min(b, hi) > max(a, lo)]


def _pair(
    pauses: list[tuple[float, float]],
    rng: np.random.Generator,
    in_pause: bool,
    shortest: float,
    longest: float,
    lo: float,
    hi: float,
) -> tuple[float, float] | None:
    """Times lo ≤ t1 < t2 ≤ hi with shortest ≤ t2 − t1 ≤ longest, both in pauses when
    ``in_pause``."""
    if not in_pause:
        length = float(rng.uniform(shortest, longest))
        if hi - lo < length:
            return None
        start = float(rng.uniform(lo, hi - length))
        return start, start + length
    spans = _clip(pauses, lo, hi)
    options = [
        (a1, b1, a2, b2)
        for i, (a1, b1) in enumerate(spans)
        for a2, b2 in spans[i:]
        if a2 - b1 <= longest and b2 - a1 >= shortest
    ]
    for _ in range(200):
        if not options:
            return None
        a1, b1, a2, b2 = options[int(rng.integers(len(options)))]
        t1, t2 = rng.uniform(a1, b1), rng.uniform(a2, b2)
        if shortest <= t2 - t1 <= longest:
            return float(t1), float(t2)
    return None


def _choose_in_pause(rng: np.random.Generator) -> bool:
    return bool(rng.random() < PAUSE_SHARE)


def deletion(
    x: np.ndarray, rate: int, pauses: list[tuple[float, float]], rng: np.random.Generator
) -> Edit:
    """Remove 0.5–3 s: a stretch of pause, or a word or phrase with the pauses around it."""
    in_pause, end = _choose_in_pause(rng), len(x) / rate - EDGE_S
    span = _pair(pauses, rng, in_pause, 0.5, 3.0, EDGE_S, end)
    if span is None:
        in_pause, span = False, _pair(pauses, rng, False, 0.5, 3.0, EDGE_S, end)
    assert span is not None
    fade_ms = int(rng.choice(CROSSFADES_MS))
    fade = rate * fade_ms // 1000
    t1, t2 = int(span[0] * rate), int(span[1] * rate)
    out = join(x[:t1], x[t2:], fade)
    detail = {"removed_from_s": round(t1 / rate, 4), "removed_s": round((t2 - t1) / rate, 4)}
    return Edit("deletion", out, [(t1 - fade / 2) / rate], in_pause, fade_ms, detail)


def insertion(
    x: np.ndarray, rate: int, pauses: list[tuple[float, float]], rng: np.random.Generator
) -> Edit:
    """Copy-move: a phrase from elsewhere in the same recording inserted at a pause."""
    duration = len(x) / rate
    for _ in range(50):
        in_pause = _choose_in_pause(rng)
        span = _pair(pauses, rng, in_pause, 0.7, 4.0, 0.5, duration - 0.5)
        if span is None:
            continue
        at = _point(pauses, rng, in_pause, EDGE_S, duration - EDGE_S)
        if at is not None and not span[0] - 0.5 <= at <= span[1] + 0.5:
            break
    else:
        raise RuntimeError("no place for a copy-move insertion")
    fade_ms = int(rng.choice(CROSSFADES_MS))
    fade = rate * fade_ms // 1000
    s1, s2, p = int(span[0] * rate), int(span[1] * rate), int(at * rate)
    head = join(x[:p], x[s1:s2], fade)
    out = join(head, x[p:], fade)
    first = (p - fade / 2) / rate
    second = (len(head) - fade / 2) / rate
    detail = {"copied_from_s": round(s1 / rate, 4), "copied_s": round((s2 - s1) / rate, 4)}
    return Edit("insertion", out, [first, second], in_pause, fade_ms, detail)


def splice(
    x: np.ndarray,
    rate: int,
    pauses: list[tuple[float, float]],
    other: np.ndarray,
    other_rate: int,
    other_pauses: list[tuple[float, float]],
    other_id: str,
    rng: np.random.Generator,
) -> Edit:
    """The first part of this recording, then the rest from another one (another room, noise
    and hum), joined in pauses: the file keeps about its original length."""
    if other_rate != rate:
        divisor = gcd(rate, other_rate)
        other = resample_poly(other, rate // divisor, other_rate // divisor)
    duration, other_duration = len(x) / rate, len(other) / rate
    in_pause = _choose_in_pause(rng)
    cut = _point(pauses, rng, in_pause, 0.3 * duration, 0.7 * duration)
    latest = other_duration - 0.3 * duration
    start = _point(other_pauses, rng, in_pause, 1.0, latest)
    if cut is None or start is None:
        in_pause = False
        cut = float(rng.uniform(0.3 * duration, 0.7 * duration))
        start = float(rng.uniform(1.0, latest))
    fade_ms = int(rng.choice(CROSSFADES_MS))
    fade = rate * fade_ms // 1000
    c, s = int(cut * rate), int(start * rate)
    rest = other[s : s + len(x) - c]
    out = join(x[:c], rest, fade)
    detail = {"spliced_with": other_id, "other_from_s": round(s / rate, 4)}
    return Edit("splice", out, [(c - fade / 2) / rate], in_pause, fade_ms, detail)


def deletion_whole_cycles(
    x: np.ndarray,
    rate: int,
    pause: tuple[float, float],
    nominal: float | None,
    rng: np.random.Generator,
) -> Edit:
    """Remove a whole number of mains cycles from a long pause (stationary background): the
    hum's phase runs on across the cut, so the ENF trace shows nothing. The length is N
    nominal cycles, then moved by the fraction of a cycle the grid drifted over it (measured
    on the pure hum in channel 1, as an editor who lines the cut up on the hum would), so the
    hum's phase meets itself; without hum, N cycles of 50 Hz."""
    from enf_truth import fit_phasor

    frequency = nominal or 50.0
    lo, hi = pause
    longest = min(3.0, hi - lo - 0.2)
    seconds = float(rng.uniform(min(0.5, longest), longest))
    cycles = max(round(seconds * frequency), 1)
    fade_ms = int(rng.choice(WHOLE_CYCLE_FADES_MS))
    fade = rate * fade_ms // 1000
    # The crossfade overlaps the last ``fade`` samples before the cut with the first after
    # it, so the timeline loses t2 − t1 + fade samples: that is what must be whole cycles.
    t1 = int(rate * float(rng.uniform(lo + 0.1, hi - 0.1 - cycles / frequency)))
    t2 = t1 + round(cycles * rate / frequency) - fade
    if nominal and x.ndim == 2 and np.any(x[:, 1]):
        hum = x[:, 1]
        before = fit_phasor(hum, rate, nominal, t1 - fade - rate, t1 - fade)
        after = fit_phasor(hum, rate, nominal, t2, t2 + rate)
        drift = np.angle(np.exp(1j * (after.phase(t2 / rate) - before.phase((t1 - fade) / rate))))
        t2 -= round(drift / (2 * np.pi * frequency) * rate)
    out = join(x[:t1], x[t2:], fade)
    detail = {
        "removed_from_s": round((t1 - fade) / rate, 4),
        "removed_s": round((t2 - t1 + fade) / rate, 6),
        "cycles": cycles,
    }
    return Edit("deletion_whole_cycles", out, [(t1 - fade / 2) / rate], True, fade_ms, detail)


def _write_wav(pcm: np.ndarray, rate: int, path: Path) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())


def decode_mono(path: Path) -> tuple[np.ndarray, int]:
    """All samples of ``path`` as float mono (mean of the channels), and the sample rate."""
    chunks, rate = [], 0
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono")
        for frame in container.decode(stream):
            rate = frame.sample_rate
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    return (np.concatenate(chunks).astype(np.float64) if chunks else np.zeros(0)), rate


def encode(
    samples: np.ndarray, rate: int, path: Path, codec: str, *, faststart: bool = False
) -> None:
    """Write mono ``samples`` (float, −1..1) as 16-bit WAV or with one of ``ENCODERS``
    (Opus resamples 44.1 kHz to 48 kHz first); a chain in ``CHAINS`` encodes with the first,
    decodes, and encodes the result with the second. ``faststart`` puts an M4A's index
    before its data, as messengers and phones do (so a cut-off file still plays)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if codec in CHAINS:
        first, second = CHAINS[codec]
        between = path.with_name(path.stem + ".chain." + EXTENSIONS[first])
        encode(samples, rate, between, first)
        decoded, decoded_rate = decode_mono(between)
        between.unlink()
        encode(decoded, decoded_rate, path, second)
        return
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    if codec == "wav":
        _write_wav(pcm, rate, path)
        return
    encoder, bit_rate = ENCODERS[codec]
    if encoder == "libopus" and rate not in (8000, 12000, 16000, 24000, 48000):
        divisor = gcd(48000, rate)
        samples, rate = resample_poly(samples, 48000 // divisor, rate // divisor), 48000
        pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    options = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream(encoder, rate=rate, layout="mono")
        stream.bit_rate = bit_rate
        block = 4096
        for start in range(0, len(pcm), block):
            chunk = pcm[start : start + block]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
