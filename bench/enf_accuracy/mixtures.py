"""Test material: real mains references (ENF-WHU) mixed under real speech at a known level.

The level is defined once, here, and the README repeats it: ``level_db`` is the RMS of the
hum component over the RMS of the speech component, both over the exact stretch that is mixed
(speech pauses included), in dB. The hum component is the whole reference signal (its weak
harmonics and own noise included), DC removed, resampled from 400 Hz to the mixture rate.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from math import gcd
from pathlib import Path

import numpy as np
from scipy import signal

from earwitness.media.decode import decode_audio

REFERENCE_RATE = 400
SPEECH_RMS_DBFS = -26.0  # speech level in the written mixtures (as in bench/tamper)
GLITCH_MARGIN_S = 8.0  # half the trackers' 16 s window

# Real speech under ../shared/data/real (see its README). Byte-identical duplicates
# (whisper.cpp/jfk.wav = faster-whisper/jfk.flac, pisets stereo = mono) are left out.
CLEAN_SPEECH = [
    "speech/en/faster-whisper/jfk.flac",
    "speech/en/faster-whisper/stereo_diarization.wav",
    "speech/en/vosk-api/test.wav",
    "speech/en/deepspeech-smoke/LDC93S1.wav",
    *(f"speech/en/fleurs-en-cuttledoc/fleurs-en-{i:03}.ogg" for i in range(10)),
    "speech/ru/deepspeech-smoke/ru.wav",
    "speech/ru/pisets/test_sound_ru.wav",
    "speech/ru/pisets/test_sound_en.wav",
    "speech/ru/pisets/mono_sound.wav",
    "diarization/pyannote-audio/sample/sample.wav",
]
# Meeting excerpts whose own low-frequency noise is about as strong at 50 Hz as a −30 dB hum:
# a harder set, opted into with ``--speech all``.
NOISY_SPEECH = [
    f"diarization/pyannote-audio/tests_data/{name}.wav"
    for name in ("dev00", "dev01", "tst00", "tst01")
]


def _to_rate(x: np.ndarray, source: int, target: int) -> np.ndarray:
    if source == target:
        return x.astype(np.float64)
    common = gcd(source, target)
    return signal.resample_poly(x.astype(np.float64), target // common, source // common)


def speech_track(real: Path, clips: list[str], rate: int) -> np.ndarray:
    """The clips, each mono, DC-free and scaled to unit RMS (so no clip dominates), joined."""
    parts = []
    for name in clips:
        decoded = decode_audio(real / name)
        x = _to_rate(decoded.samples, decoded.sample_rate, rate)
        x -= x.mean()
        parts.append(x / (np.sqrt(np.mean(x**2)) + 1e-12))
    return np.concatenate(parts)


def read_reference(path: Path) -> np.ndarray:
    """An ENF-WHU reference (16-bit mono, 400 Hz) as float, DC removed."""
    with wave.open(str(path)) as reader:
        if reader.getframerate() != REFERENCE_RATE or reader.getnchannels() != 1:
            raise ValueError(f"{path}: expected 400 Hz mono")
        raw = np.frombuffer(reader.readframes(reader.getnframes()), "<i2") / 32768.0
    return raw - raw.mean()


def pick_references(folder: Path, minutes: float) -> list[Path]:
    """Whole references spread evenly over the set (different days and hours) until their
    total length reaches ``minutes``."""
    files = sorted(folder.glob("*_ref.wav"))
    if not files:
        raise FileNotFoundError(f"no *_ref.wav in {folder}")
    lengths = []
    for path in files:
        with wave.open(str(path)) as reader:
            lengths.append(reader.getnframes() / reader.getframerate())
    count = min(max(int(np.ceil(minutes * 60 / np.mean(lengths))), 1), len(files))
    stride = max(len(files) // count, 1)
    order = [i for start in range(stride) for i in range(start, len(files), stride)]
    chosen, total = [], 0.0
    for index in order:
        if total >= minutes * 60:
            break
        chosen.append(files[index])
        total += lengths[index]
    return chosen


@dataclass(frozen=True)
class ReferenceNoise:
    """How clean a reference is: power in 1–200 Hz outside ±1 Hz of the hum harmonics, and
    in the 300–3400 Hz speech band, in dB relative to the 50 Hz fundamental."""

    non_harmonic_db: float
    third_harmonic_db: float
    speech_band: str


def reference_noise(reference: np.ndarray, nominal: float = 50.0) -> ReferenceNoise:
    freqs, power = signal.welch(reference, REFERENCE_RATE, nperseg=16 * REFERENCE_RATE)

    def band(low: float, high: float) -> float:
        return float(power[(freqs >= low) & (freqs < high)].sum())

    fundamental = band(nominal - 1, nominal + 1)
    harmonics = sum(band(h * nominal - 1, h * nominal + 1) for h in (1, 2, 3))
    rest = band(1, REFERENCE_RATE / 2) - harmonics
    return ReferenceNoise(
        non_harmonic_db=10 * np.log10(max(rest, 1e-30) / fundamental),
        third_harmonic_db=10 * np.log10(band(3 * nominal - 1, 3 * nominal + 1) / fundamental),
        speech_band="none (sampled at 400 Hz: nothing above 200 Hz)",
    )


def phase_truth(
    reference: np.ndarray, nominal: float = 50.0
) -> tuple[tuple[np.ndarray, np.ndarray], int]:
    """A tool-independent ENF truth ((times s, Hz), glitches): one point per whole second, the
    slope of a
    least-squares line through the unwrapped phase of the analytic signal of the clean
    reference's fundamental (zero-phase band-pass ±5 Hz) over that second ±0.5 s.

    Most references hold the mains about 60 dB above their own noise, so this is exact to well
    under a millihertz. The first and last 5 s (filter edges) are left out. So (NaN) is any
    second more than 50 mHz from the median of its 9 s neighbourhood, with ``GLITCH_MARGIN_S``
    either side: the grid cannot move that fast, so that is a glitch of the reference recorder
    (a phase slip, a lost sample), and every windowed tracker is thrown off around it."""
    sos = signal.butter(4, [nominal - 5, nominal + 5], "bandpass", fs=REFERENCE_RATE, output="sos")
    phase = np.unwrap(np.angle(signal.hilbert(signal.sosfiltfilt(sos, reference))))
    seconds = np.arange(5, len(reference) // REFERENCE_RATE - 5)
    offsets = np.arange(REFERENCE_RATE) - (REFERENCE_RATE - 1) / 2
    windows = phase[seconds[:, None] * REFERENCE_RATE + np.round(offsets - 0.5).astype(int)]
    slope = (windows - windows.mean(axis=1, keepdims=True)) @ offsets / np.sum(offsets**2)
    freq = slope * REFERENCE_RATE / (2 * np.pi)
    glitch = np.abs(freq - signal.medfilt(freq, 9)) > 0.05
    margin = int(GLITCH_MARGIN_S)
    spread = np.convolve(glitch, np.ones(2 * margin + 1), mode="same") > 0
    times = seconds.astype(float)
    return (times, np.where(spread, np.nan, freq)), int(np.sum(np.diff(glitch.astype(int)) == 1))


def hum_at(reference: np.ndarray, rate: int) -> np.ndarray:
    """The reference at the mixture rate, scaled to unit RMS.

    Upsampling leaves faint images of the 50 Hz tone at 400 ± 50 Hz (about −72 dB) whose
    frequency moves against the grid's; in the hum-alone file nothing masks them, and a
    tracker weighting harmonics by SNR would follow them. A zero-phase low-pass just below
    the reference's 200 Hz Nyquist frequency removes them without touching the hum.
    """
    x = _to_rate(reference, REFERENCE_RATE, rate)
    sos = signal.butter(10, 0.49 * REFERENCE_RATE, fs=rate, output="sos")
    x = signal.sosfiltfilt(sos, x)
    return x / np.sqrt(np.mean(x**2))


def looped(speech: np.ndarray, length: int, offset: int) -> np.ndarray:
    """``length`` samples of the speech track read in a loop from ``offset``."""
    index = (offset + np.arange(length)) % len(speech)
    return speech[index]


def mixture(hum: np.ndarray, speech: np.ndarray, level_db: float) -> np.ndarray:
    """Speech at −26 dBFS RMS plus the hum ``level_db`` below (or above) it, in ±1."""
    speech_rms = np.sqrt(np.mean(speech**2))
    scale = 10 ** (SPEECH_RMS_DBFS / 20) / speech_rms
    hum_rms = np.sqrt(np.mean(hum**2))
    out = scale * (speech + hum * (10 ** (level_db / 20) * speech_rms / hum_rms))
    return np.clip(out, -1.0, 32767 / 32768)


def write_wav(path: Path, x: np.ndarray, rate: int) -> np.ndarray:
    """Write 16-bit PCM; return the samples as written (float, what both tools will see)."""
    pcm = np.round(np.clip(x, -1.0, 32767 / 32768) * 32768).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm.tobytes())
    return pcm.astype(np.float32) / 32768.0
