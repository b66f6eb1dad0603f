"""Real unedited recordings as negatives: as they are, decoded, through messenger codecs, with
and without real mains hum, and a few truncated.

They are read from ``../shared/data/real`` (never copied into the repository; the benchmark's
work folder is git-ignored). Every version of a recording goes to that recording's split,
fixed by the list below so that each split has FLEURS sentences, meeting excerpts and short
clips. The two JFK files are the same speech from two sources, and the pisets mono and stereo
clips the same recording: each pair shares one base (and split).
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from acoustics import band_snr_db, mains_hum
from edits import EXTENSIONS, MESSENGER_CODECS, decode_mono, encode
from truncate import truncated

CALIBRATION, VALIDATION = "calibration", "validation"
FLEURS = "speech/en/fleurs-en-cuttledoc/fleurs-en-{:03}.ogg"
PYANNOTE = "diarization/pyannote-audio"
# source (relative to the real-data folder) -> (base, split)
RECORDINGS: dict[str, tuple[str, str]] = {
    **{FLEURS.format(i): (f"fleurs-en-{i:03}", CALIBRATION) for i in range(5)},
    **{FLEURS.format(i): (f"fleurs-en-{i:03}", VALIDATION) for i in range(5, 10)},
    f"{PYANNOTE}/tests_data/tst00.wav": ("tst00", CALIBRATION),
    f"{PYANNOTE}/tests_data/dev00.wav": ("dev00", CALIBRATION),
    f"{PYANNOTE}/tests_data/tst01.wav": ("tst01", VALIDATION),
    f"{PYANNOTE}/tests_data/dev01.wav": ("dev01", VALIDATION),
    f"{PYANNOTE}/sample/sample.wav": ("pyannote-sample", VALIDATION),
    "speech/en/faster-whisper/jfk.flac": ("jfk", CALIBRATION),
    "speech/en/whisper.cpp/jfk.wav": ("jfk", CALIBRATION),
    "speech/en/faster-whisper/stereo_diarization.wav": ("stereo-diarization", VALIDATION),
    "speech/en/vosk-api/test.wav": ("vosk-digits", CALIBRATION),
    "speech/en/deepspeech-smoke/LDC93S1.wav": ("ldc93s1", VALIDATION),
    "speech/ru/deepspeech-smoke/ru.wav": ("deepspeech-ru", CALIBRATION),
    "speech/ru/pisets/mono_sound.wav": ("pisets-mono", CALIBRATION),
    "speech/ru/pisets/stereo_sound.wav": ("pisets-mono", CALIBRATION),
    "speech/ru/pisets/test_sound_ru.wav": ("pisets-ru", VALIDATION),
    "speech/ru/pisets/test_sound_en.wav": ("pisets-en", VALIDATION),
}
TRUNCATED = {"fleurs-en-000", "fleurs-en-005", "tst00", "tst01"}
AUDIO = (".wav", ".flac", ".ogg", ".opus", ".mp3", ".m4a")


def find(real_dir: Path) -> list[tuple[Path, str, str]]:
    """Every speech and diarization recording under ``real_dir``: (path, base, split). One
    not in the fixed list gets a split from its name's checksum (and is printed)."""
    found = []
    for folder in ("speech", "diarization"):
        for path in sorted((real_dir / folder).rglob("*")):
            if path.suffix.lower() not in AUDIO:
                continue
            relative = path.relative_to(real_dir).as_posix()
            if relative in RECORDINGS:
                base, split = RECORDINGS[relative]
            else:
                base = path.stem.lower().replace("_", "-")
                split = (CALIBRATION, VALIDATION)[zlib.crc32(base.encode()) % 2]
                print(f"real recording not in the fixed list: {relative} -> {split}")
            found.append((path, base, split))
    return found


def speech_rms(x: np.ndarray, rate: int) -> float:
    """RMS of the louder half of the 20 ms frames: the level of the speech, not the pauses."""
    frame = max(rate // 50, 1)
    count = len(x) // frame
    if count < 2:
        return float(np.sqrt(np.mean(x**2)))
    energy = np.mean(x[: count * frame].reshape(count, frame) ** 2, axis=1)
    return float(np.sqrt(np.mean(energy[energy >= np.median(energy)])))


def _stem(path: Path) -> str:
    """A file name unique among the recordings: the base, and the source folder and
    extension when two sources share a base."""
    return f"{path.parent.name}-{path.stem}-{path.suffix[1:]}".lower().replace("_", "-")


def make_real(job: tuple[int, str, str, str, str, int, list[str]]) -> list[dict[str, Any]]:
    """All versions of one real recording (``job``: number, source, base, split, output
    folder, seed, hum references)."""
    number, source, base, split, out, seed, references = job
    path = Path(source)
    rng = np.random.default_rng([seed, 1000 + number])
    x, rate = decode_mono(path)
    stem = _stem(path)
    common = {
        "base": f"r-{base}",
        "kind": "real",
        "real": True,  # kept beside ``kind`` for readers that look for this flag
        "split": split,
        "source": os.path.relpath(path, Path(__file__).resolve().parents[2]),
        "edited": False,
        "edit_times": [],
        "edit_kind": "clean",
        "seed": seed,
        "sample_rate": rate,
        "truncated": False,
    }
    lines = [
        {
            **common,
            "path": str(path.resolve()),
            "codec": "original",
            "enf": "none",
            "duration": round(len(x) / rate, 4),
            "artefacts": [],
        }
    ]
    nominal = (50, 60)[number % 2]
    hum, info = mains_hum(
        len(x), rate, float(nominal), Path(references[int(rng.integers(len(references)))]), rng
    )
    hum_db = round(float(rng.uniform(-45.0, -35.0)), 1)
    level = speech_rms(x, rate) * 10 ** (hum_db / 20)
    tone = float(info.pop("fundamental_rms")) * level
    hummed = x + hum * level
    peak = float(np.max(np.abs(hummed)))
    if peak > 0.99:
        hummed *= 0.99 / peak
    hum_keys = {
        "enf": nominal,
        "hum_db": hum_db,
        **info,
        "enf_band_snr_db": round(band_snr_db(tone, x, rate, float(nominal)), 1),
    }
    for samples, suffix, keys in ((x, "", {"enf": "none"}), (hummed, f"-hum{nominal}", hum_keys)):
        for codec in ["wav", *MESSENGER_CODECS]:
            relative = Path("real") / codec / f"{stem}{suffix}.{EXTENSIONS[codec]}"
            encode(samples, rate, Path(out) / relative, codec)
            artefacts = ["messenger_bitrate"] if codec in MESSENGER_CODECS else []
            if codec == "aac32_opus24":
                artefacts.insert(0, "codec_chain")
            lines.append(
                {
                    **common,
                    **keys,
                    "path": str(relative),
                    "codec": codec,
                    "duration": round(len(samples) / rate, 4),
                    "artefacts": artefacts,
                }
            )
    if base in TRUNCATED:
        for cut in truncated(x, rate, Path(out), f"real-{stem}"):
            lines.append({**common, "enf": "none", **cut, "artefacts": ["truncated"]})
    return lines
