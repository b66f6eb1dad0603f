"""Reference embeddings from resemblyzer itself, to check our NumPy GE2E encoder against.

    .venv/bin/python bench/speech/reference_resemblyzer.py [--force]

Why a separate environment: resemblyzer needs torch, librosa and a source-only webrtcvad, none
of which belong in our default install. On first run this script creates ``.venv-reference/``
(git-ignored) with ``torch==2.13.0+cpu`` (the ``+cpu`` local version can only match a CPU
build, so pip can never fall back to the multi-gigabyte CUDA wheel from PyPI; on a machine
without that wheel in its find-links set ``EARWITNESS_TORCH_INDEX`` to a CPU index such as
https://download.pytorch.org/whl/cpu), ``resemblyzer==0.1.4`` and its dependencies, then checks
that the torch it got has no CUDA. It then re-runs itself inside that environment and writes
``.venv-reference/resemblyzer-reference.npz`` (plus a ``.json`` with versions) holding, per clip:
the raw samples, resemblyzer's ``normalize_volume`` output, its mel spectrogram, the partial
embeddings and the utterance embedding of ``VoiceEncoder().embed_utterance``; and librosa's mel
filterbank. resemblyzer's ``preprocess_wav`` would also trim silences with webrtcvad, which our
pipeline leaves to Silero VAD, so both sides are fed the same untrimmed, volume-normalised wav.
The results are reused unless ``--force`` is given or the clip list changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".venv-reference"
OUTPUT = VENV / "resemblyzer-reference.npz"
DATA = REPO.parent / "shared" / "data" / "real"
REQUIREMENTS = ["torch==2.13.0+cpu", "resemblyzer==0.1.4", "setuptools<81"]

# (name, file under DATA, start s, end s): whole and halves of one speaker, single turns of two
# speakers from pyannote's sample, a clip shorter than one 1.6 s partial, a float32 file.
CLIPS = [
    ("jfk", "speech/en/whisper.cpp/jfk.wav", 0.0, 11.0),
    ("jfk_first", "speech/en/whisper.cpp/jfk.wav", 0.0, 5.5),
    ("jfk_second", "speech/en/whisper.cpp/jfk.wav", 5.5, 11.0),
    ("sample_s90", "diarization/pyannote-audio/sample/sample.wav", 10.57, 14.70),
    ("sample_s91", "diarization/pyannote-audio/sample/sample.wav", 21.78, 27.85),
    ("sample_short", "diarization/pyannote-audio/sample/sample.wav", 8.40, 9.40),
    ("dev00", "diarization/pyannote-audio/tests_data/dev00.wav", 2.0, 9.0),
]


def read_clip(relative: str, start: float, end: float):
    """Samples of one clip as float32 in [-1, 1], read the same way on both sides."""
    import numpy as np
    from scipy.io import wavfile

    rate, data = wavfile.read(DATA / relative)
    if rate != 16000:
        raise SystemExit(f"{relative}: expected 16 kHz, got {rate}")
    if data.dtype == np.int16:
        data = data.astype(np.float32) / 32768.0
    samples = np.asarray(data, dtype=np.float32)
    return samples[round(start * rate) : round(end * rate)]


def clips_digest() -> str:
    return hashlib.sha256(json.dumps(CLIPS).encode()).hexdigest()


def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> None:
    """Create .venv-reference/ with a CPU-only torch and resemblyzer; check what was installed."""
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text() == json.dumps(REQUIREMENTS):
        return
    if not venv_python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(venv_python()), "-m", "pip", "install", "--quiet"]
    index = os.environ.get("EARWITNESS_TORCH_INDEX")
    subprocess.run(
        [*pip, *(["--extra-index-url", index] if index else []), *REQUIREMENTS], check=True
    )
    listing = subprocess.run(
        [str(venv_python()), "-m", "pip", "list", "--format", "freeze"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    cuda_packages = [line for line in listing.splitlines() if line.lower().startswith("nvidia")]
    probe = "import torch; print(torch.__version__, torch.version.cuda)"
    torch_info = subprocess.run(
        [str(venv_python()), "-c", probe], check=True, capture_output=True, text=True
    ).stdout.split()
    if cuda_packages or torch_info[1] != "None" or not torch_info[0].endswith("+cpu"):
        raise SystemExit(f"refusing a CUDA torch: {torch_info} {cuda_packages}")
    stamp.write_text(json.dumps(REQUIREMENTS))


def compute() -> None:
    """Inside .venv-reference: run resemblyzer itself on every clip and save what it produced."""
    import librosa
    import numpy as np
    import scipy.ndimage

    if "scipy.ndimage.morphology" not in sys.modules:
        try:  # resemblyzer imports this long-deprecated alias, gone from recent SciPy
            import scipy.ndimage.morphology
        except ImportError:
            sys.modules["scipy.ndimage.morphology"] = scipy.ndimage
    import resemblyzer
    import torch
    from resemblyzer import VoiceEncoder, normalize_volume, wav_to_mel_spectrogram
    from resemblyzer.hparams import audio_norm_target_dBFS

    torch.set_num_threads(1)  # deterministic summation order, like ours
    encoder = VoiceEncoder(device="cpu", verbose=False)
    arrays: dict[str, np.ndarray] = {
        "mel_basis": librosa.filters.mel(sr=16000, n_fft=400, n_mels=40),
    }
    timings = {}
    for name, relative, start, end in CLIPS:
        raw = read_clip(relative, start, end)
        wav = normalize_volume(raw, audio_norm_target_dBFS, increase_only=True)
        began = time.perf_counter()
        embed, partials, _ = encoder.embed_utterance(wav, return_partials=True)
        timings[name] = time.perf_counter() - began
        arrays[f"{name}/raw"] = raw
        arrays[f"{name}/normalized"] = np.asarray(wav, dtype=np.float32)
        arrays[f"{name}/mel"] = wav_to_mel_spectrogram(wav)
        arrays[f"{name}/partials"] = partials
        arrays[f"{name}/embed"] = embed
    np.savez(OUTPUT, **arrays)
    versions = {
        "clips": CLIPS,
        "clips_sha256": clips_digest(),
        "resemblyzer": "0.1.4",
        "torch": torch.__version__,
        "librosa": librosa.__version__,
        "numpy": np.__version__,
        "resemblyzer_path": str(Path(resemblyzer.__file__).parent),
        "embed_seconds": timings,
    }
    OUTPUT.with_suffix(".json").write_text(json.dumps(versions, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="recompute even if results exist")
    parser.add_argument("--compute", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compute:
        compute()
        return
    began = time.perf_counter()
    ensure_venv()
    installed = time.perf_counter()
    meta = OUTPUT.with_suffix(".json")
    fresh = (
        OUTPUT.exists()
        and meta.exists()
        and json.loads(meta.read_text()).get("clips_sha256") == clips_digest()
    )
    if args.force or not fresh:
        subprocess.run([str(venv_python()), str(Path(__file__).resolve()), "--compute"], check=True)
    done = time.perf_counter()
    print(
        f"{OUTPUT} (install {installed - began:.1f} s, reference {done - installed:.1f} s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
