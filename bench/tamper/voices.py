"""Synthetic speakers: Festival for Russian, espeak-ng for Belarusian and English.

A voice is an engine voice plus speed, pitch and a "tape" factor (the whole utterance played
slightly fast or slow, which moves pitch and formants together) so that one engine voice gives
several distinguishable speakers.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
import wave
from dataclasses import asdict, dataclass
from math import gcd
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import resample_poly

FESTIVAL_RU = "voice_msu_ru_nsh_clunits"
ESPEAK_VARIANTS = ["", "+m1", "+m3", "+m4", "+f1", "+f2", "+f3", "+f4"]
ESPEAK_VOICES = {"en": ["en", "en-us"], "be": ["be"], "ru": ["ru"]}


@dataclass(frozen=True)
class Voice:
    engine: str  # "espeak-ng" or "festival"
    name: str  # espeak-ng voice with variant ("en-us+f2") or a Festival voice function
    speed: float  # espeak-ng words per minute; Festival: Duration_Stretch
    pitch: int  # espeak-ng pitch 0–99 (unused by Festival)
    tape: float  # playback-speed factor applied after synthesis

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@functools.cache
def festival_russian_available() -> bool:
    """Whether Festival and its Russian voice (Debian festvox-ru) are installed and work."""
    if not shutil.which("festival"):
        return False
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "probe.wav"
        script = _festival_script(Path(tmp), FESTIVAL_RU, 1.0, [("Да.", out)])
        try:
            _run(["festival", "-b", str(script)])
        except (RuntimeError, subprocess.SubprocessError, OSError):
            return False
        return out.exists() and out.stat().st_size > 1000


def pick_voices(lang: str, rng: np.random.Generator, count: int) -> list[Voice]:
    """``count`` different speakers for one recording in language ``lang``."""
    voices: list[Voice] = []
    variants = list(rng.permutation(ESPEAK_VARIANTS))
    for index in range(count):
        tape = round(float(rng.uniform(0.93, 1.07)), 3)
        if lang == "ru" and festival_russian_available() and (index == 0 or rng.random() < 0.7):
            stretch = round(float(rng.uniform(0.9, 1.2)), 2)
            voices.append(Voice("festival", FESTIVAL_RU, stretch, 0, tape))
            continue
        base = str(rng.choice(ESPEAK_VOICES[lang]))
        name = base + variants[index % len(variants)]
        speed = float(rng.integers(135, 185))
        pitch = int(rng.integers(25, 75))
        voices.append(Voice("espeak-ng", name, speed, pitch, tape))
    return voices


def synthesize(voice: Voice, texts: list[str], rate: int) -> list[np.ndarray]:
    """Each text spoken by ``voice`` as float64 at ``rate`` Hz, leading/trailing silence cut."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = [folder / f"u{i:03}.wav" for i in range(len(texts))]
        if voice.engine == "festival":
            items = list(zip(texts, paths, strict=True))
            _run(["festival", "-b", str(_festival_script(folder, voice.name, voice.speed, items))])
        else:
            for text, path in zip(texts, paths, strict=True):
                command = ["espeak-ng", "-v", voice.name, "-s", str(int(voice.speed))]
                _run([*command, "-p", str(voice.pitch), "-w", str(path), text])
        return [_to_rate(*_read_wav(path), voice.tape, rate) for path in paths]


def _festival_script(
    folder: Path, voice: str, stretch: float, items: list[tuple[str, Path]]
) -> Path:
    """A Festival batch script that saves each text as a RIFF WAV file."""
    lines = [f"({voice})", f"(Parameter.set 'Duration_Stretch {stretch})"]
    for text, path in items:
        quoted = text.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'(set! u (utt.synth (Utterance Text "{quoted}")))')
        lines.append(f'(utt.save.wave u "{path}" \'riff)')
    script = folder / "say.scm"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return script


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, timeout=300)
    if done.returncode:
        reason = (done.stderr or done.stdout).decode(errors="replace").strip()[-300:]
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {reason}")


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as handle:
        rate, width, channels = handle.getframerate(), handle.getsampwidth(), handle.getnchannels()
        raw = handle.readframes(handle.getnframes())
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit PCM, got {8 * width}-bit")
    data = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    return data.reshape(-1, channels).mean(axis=1), rate


def _to_rate(samples: np.ndarray, source: int, tape: float, target: int) -> np.ndarray:
    """Trim silence, then resample so that it plays ``tape`` times faster at ``target`` Hz."""
    samples = trim_silence(samples, source)
    played = round(source * tape / 50.0) * 50  # a round rate keeps the filter short
    divisor = gcd(played, target)
    return faded(resample_poly(samples, target // divisor, played // divisor), target)


def faded(samples: np.ndarray, rate: int, seconds: float = 0.01) -> np.ndarray:
    """Raised-cosine fade in and out, so that trimming leaves no click at either end."""
    count = min(int(rate * seconds), len(samples) // 2)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, count))
    samples = samples.copy()
    samples[:count] *= ramp
    samples[len(samples) - count :] *= ramp[::-1]
    return samples


def trim_silence(samples: np.ndarray, rate: int, floor_db: float = -45.0) -> np.ndarray:
    """Cut leading and trailing frames quieter than ``floor_db`` below the loudest 10 ms frame."""
    frame = max(rate // 100, 1)
    count = len(samples) // frame
    if count == 0:
        return samples
    energy = (samples[: count * frame].reshape(count, frame) ** 2).mean(axis=1)
    loud = np.flatnonzero(energy > energy.max() * 10 ** (floor_db / 10))
    start, stop = loud[0] * frame, (loud[-1] + 1) * frame
    return samples[start:stop]
