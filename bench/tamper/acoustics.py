"""What a recorder captures besides the speech: the room, background noise and mains hum.

Mains hum follows a real grid: the phase of the 50 Hz tone in an ENF-WHU reference recording
(real mains, 400 Hz sample rate) is taken with a band-pass filter and the analytic signal, its
wander around 2π·50·t is interpolated to the target sample rate, and the hum is re-synthesised
from it. A 60 Hz hum uses the same wander around 60 Hz, so its instantaneous frequency is
60 + (f_WHU(t) − 50): a real grid's fluctuation moved to the other nominal frequency (the 60 Hz
grids of North America fluctuate somewhat less than the Chinese 50 Hz grid, so this is harsh
for no one and realistic enough for edits: what matters is that the phase is continuous and
the frequency wanders the way a grid does).
"""

from __future__ import annotations

import functools
import wave
from pathlib import Path

import numpy as np
from scipy.signal import butter, fftconvolve, hilbert, sosfiltfilt, welch

ENF_RATE = 400
ENF_NOMINAL = 50.0
# Relative amplitudes of the harmonics 1..6 of mains hum (odd ones stronger, as from
# transformers and rectifiers); each recording scales them at random.
HARMONICS = np.array([1.0, 0.25, 0.45, 0.08, 0.2, 0.05])


def room_impulse_response(rate: int, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room: direct sound, a few early reflections, then exponentially decaying
    noise reaching −60 dB after ``rt60`` seconds, slightly darker as it decays."""
    length = int(rate * min(rt60 * 1.2, 1.2))
    t = np.arange(length) / rate
    tail = rng.standard_normal(length) * np.exp(-6.91 * t / rt60)
    # Air and walls absorb high frequencies: smooth the later tail more than the early part.
    smooth = np.convolve(tail, np.ones(4) / 4, mode="same")
    mix = np.clip(t / max(rt60, 1e-3), 0.0, 1.0)
    response = (1 - mix) * tail + mix * smooth
    onset = int(rate * 0.004)  # nothing arrives before the direct sound
    response[:onset] = 0.0
    direct_to_reverb_db = rng.uniform(-2.0, 8.0)
    response *= 10 ** (-direct_to_reverb_db / 20) / np.sqrt(np.sum(response**2))
    response[0] = 1.0
    for _ in range(int(rng.integers(3, 7))):  # early reflections within 5–40 ms
        at = int(rate * rng.uniform(0.005, 0.04))
        response[at] += rng.uniform(-0.5, 0.5)
    return response / np.sqrt(np.sum(response**2))


def reverberate(dry: np.ndarray, response: np.ndarray) -> np.ndarray:
    return fftconvolve(dry, response)[: len(dry)]


def coloured_noise(
    count: int, rate: int, colour: str, rng: np.random.Generator, wobble_db: float = 1.5
) -> np.ndarray:
    """Pink (1/f) or brown (1/f²) noise of unit RMS, its level drifting slowly by about
    ±``wobble_db`` dB the way a room's background does (traffic, ventilation)."""
    spectrum = np.fft.rfft(rng.standard_normal(count))
    freqs = np.fft.rfftfreq(count, 1.0 / rate)
    power = 1.0 if colour == "pink" else 2.0
    shape = 1.0 / np.maximum(freqs, 20.0) ** (power / 2)  # flat below 20 Hz: no DC drift
    noise = np.fft.irfft(spectrum * shape, n=count)
    noise /= np.sqrt(np.mean(noise**2))
    knots = np.linspace(0, count, max(int(count / rate / 8), 2) + 1)
    gain_db = np.interp(np.arange(count), knots, rng.uniform(-wobble_db, wobble_db, len(knots)))
    return noise * 10 ** (gain_db / 20)


@functools.cache
def _reference_wander(path: Path) -> np.ndarray:
    """The phase of a reference recording's 50 Hz tone minus 2π·50·t, at 400 Hz (radians)."""
    with wave.open(str(path), "rb") as handle:
        if handle.getframerate() != ENF_RATE:
            raise ValueError(f"{path}: expected {ENF_RATE} Hz")
        raw = handle.readframes(handle.getnframes())
    mains = np.frombuffer(raw, dtype="<i2").astype(np.float64)
    band = butter(4, [ENF_NOMINAL - 1.0, ENF_NOMINAL + 1.0], "bandpass", fs=ENF_RATE, output="sos")
    phase = np.unwrap(np.angle(hilbert(sosfiltfilt(band, mains))))
    wander = phase - 2 * np.pi * ENF_NOMINAL * np.arange(len(mains)) / ENF_RATE
    edge = 4 * ENF_RATE  # drop the filter's start-up and end effects
    return wander[edge:-edge]


def band_snr_db(
    tone_rms: float, rest: np.ndarray, rate: int, nominal: float, width: float = 1.0
) -> float:
    """A tone's power against the power of ``rest`` within ``width`` Hz around ``nominal``."""
    freqs, density = welch(rest, rate, nperseg=min(len(rest), 8 * rate))
    near = np.abs(freqs - nominal) <= width / 2
    return float(10 * np.log10(tone_rms**2 / (np.mean(density[near]) * width)))


def enf_references(folder: Path) -> list[Path]:
    return sorted(folder.glob("*_ref.wav"))


def mains_hum(
    count: int,
    rate: int,
    nominal: float,
    reference: Path,
    rng: np.random.Generator,
) -> tuple[np.ndarray, dict[str, float | str]]:
    """Hum of unit RMS at ``nominal`` Hz (50 or 60) that wanders like the grid in ``reference``
    from a random offset; with harmonics. Returns the hum and where its wander came from."""
    wander = _reference_wander(reference)
    seconds = count / rate
    available = len(wander) / ENF_RATE - seconds - 1.0
    if available <= 0:
        raise ValueError(f"{reference}: shorter than {seconds:.0f} s")
    offset = float(rng.uniform(0.0, available))
    grid = offset + np.arange(count) / rate
    here = np.interp(grid, np.arange(len(wander)) / ENF_RATE, wander)
    here -= here[0]
    phase = 2 * np.pi * nominal * np.arange(count) / rate + here + rng.uniform(0, 2 * np.pi)
    amplitudes = HARMONICS * rng.uniform(0.5, 1.5, len(HARMONICS))
    hum = np.zeros(count)
    for order, amplitude in enumerate(amplitudes, start=1):
        if order * nominal < 0.45 * rate:
            hum += amplitude * np.sin(order * phase + rng.uniform(0, 2 * np.pi))
    norm = np.sqrt(np.mean(hum**2))
    hum /= norm
    deviation = np.diff(here) * rate / (2 * np.pi)
    info: dict[str, float | str] = {
        "fundamental_rms": float(amplitudes[0] / np.sqrt(2) / norm),
        "enf_source": reference.name,
        "enf_offset_s": round(offset, 3),
        "enf_deviation_hz_min": round(float(deviation.min()), 4),
        "enf_deviation_hz_max": round(float(deviation.max()), 4),
    }
    return hum, info
