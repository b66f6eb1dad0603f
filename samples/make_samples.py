"""Regenerate the bundled sample recordings (needs espeak-ng, and Festival with its Russian
voice: Debian packages espeak-ng festival festvox-ru; run from the repo root).

    .venv/bin/python samples/make_samples.py

``briefing-en.wav`` — English synthetic speech (espeak-ng, two voices) over room noise with
50 Hz mains hum and its harmonics, 16 kHz mono 16-bit: what a phone or recorder near mains
wiring picks up. ``briefing-ru.mp3`` — Russian synthetic speech (Festival's msu_ru_nsh voice:
espeak-ng's Russian is nearly unintelligible to Whisper), MP3 at 64 kbit/s, no hum (a battery
recorder). The committed files were made by this script; they are ours, CC0.
"""

from __future__ import annotations

import io
import subprocess
import tempfile
import wave
from pathlib import Path

import av
import numpy as np

RATE = 16_000
HERE = Path(__file__).resolve().parent

ENGLISH = [
    ("en-gb", "Listen carefully. From tomorrow the unit works in two shifts."),
    ("en-us", "Understood. Who signs the orders for the second shift?"),
    ("en-gb", "The orders come from the ministry. Nobody outside this room hears about it."),
]
RUSSIAN = [
    ("festival", "Слушайте внимательно. С завтрашнего дня работаем в две смены."),
    ("festival", "Приказы приходят из министерства. Никто за пределами этой комнаты не узнает."),
]


def speak(voice: str, text: str) -> np.ndarray:
    if voice == "festival":
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "speech.wav"
            subprocess.run(
                ["text2wave", "-eval", "(voice_msu_ru_nsh_clunits)", "-o", str(target)],
                input=text.encode("utf-8"),
                capture_output=True,
                check=True,
            )
            wav = target.read_bytes()
    else:
        command = ["espeak-ng", "-v", voice, "-s", "150", "--stdout", text]
        wav = subprocess.run(command, capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(wav)) as reader:
        rate = reader.getframerate()
        data = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2") / 32768.0
    # espeak-ng speaks at 22.05 kHz, Festival at 16 kHz; linear interpolation is enough for
    # speech (the hum is added afterwards, at the final rate).
    times = np.arange(int(len(data) * RATE / rate)) / RATE
    return np.interp(times, np.arange(len(data)) / rate, data)


def conversation(lines: list[tuple[str, str]], pause_s: float = 0.8) -> np.ndarray:
    silence = np.zeros(int(pause_s * RATE))
    parts = [silence]
    for voice, text in lines:
        parts += [speak(voice, text), silence]
    return np.concatenate(parts)


def mains_hum(n: int, rng: np.random.Generator, nominal: float = 50.0) -> np.ndarray:
    """Hum whose frequency wanders like a real grid's (±20 mHz, slow), with two harmonics."""
    drift = np.cumsum(rng.normal(0, 2e-5, n))
    freq = nominal + 0.02 * np.tanh(drift / (np.abs(drift).max() + 1e-12))
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    return 0.010 * np.sin(phase) + 0.004 * np.sin(2 * phase + 0.3) + 0.003 * np.sin(3 * phase + 1)


def write_wav(path: Path, signal: np.ndarray) -> None:
    pcm = np.clip(signal, -1, 1)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        writer.writeframes((pcm * 32767).astype("<i2").tobytes())


def write_mp3(path: Path, signal: np.ndarray) -> None:
    with av.open(str(path), "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=RATE, layout="mono")
        stream.bit_rate = 64_000
        pcm = (np.clip(signal, -1, 1) * 32767).astype(np.int16)
        for start in range(0, len(pcm), 1152):
            frame = av.AudioFrame.from_ndarray(pcm[None, start : start + 1152], "s16", "mono")
            frame.sample_rate = RATE
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def main() -> None:
    rng = np.random.default_rng(2020)
    speech = 0.6 * conversation(ENGLISH)
    noise = 0.003 * rng.standard_normal(len(speech))
    write_wav(HERE / "briefing-en.wav", speech + noise + mains_hum(len(speech), rng))
    russian = 0.6 * conversation(RUSSIAN)
    write_mp3(HERE / "briefing-ru.mp3", russian + 0.002 * rng.standard_normal(len(russian)))


if __name__ == "__main__":
    main()
