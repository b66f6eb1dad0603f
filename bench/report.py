"""How long `earwitness report` takes on a 12-minute recording, stage by stage.

    .venv/bin/python bench/report.py [--minutes 12] [--language mixed|ru]

Builds a recording the length of the founding case's leak from speech clips (looped, with
pauses of 0.4-3 s and two long silences), room noise and a faint 50 Hz hum, writes it as a
16 kHz MP3, and runs the report's
stages on it in a fresh case: ingest, decode once, examination and transcription side by side,
dossier, with ``--translate en``. ``--language mixed`` (the default, as measured since
November) takes the real clips of ../shared/data/real/speech, English and Russian: the language
found in the first window is English, so nothing is translated. ``--language ru`` takes the
Russian speech only: Festival's Russian voice (bench/speech/generate_ru.py writes the clips
into bench/work/speech/ru-festival on first use; needs Debian's festival and festvox-ru) and
the two real Russian speakers of ../shared, so the English is translated, as for the founding
case's leak. It prints each stage's wall time and the ratio of the total to the slowest single
stage: the stages share one decode and overlap, so the goal is a ratio of at most 1.2. Then it
runs the same two stages one after the other on the same samples, in the same process, as the
baseline the overlap is measured against.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from earwitness.forensics.examine import examine  # noqa: E402
from earwitness.jobs.recording import exhibit_facts  # noqa: E402
from earwitness.jobs.report import ReportOptions, report_exhibit  # noqa: E402
from earwitness.media.decode import decode_audio, resample  # noqa: E402
from earwitness.speech.asr import DecodeOptions, Recognizer, workers_for  # noqa: E402
from earwitness.speech.models import resolve_model  # noqa: E402
from earwitness.speech.transcribe import TranscribeOptions, transcribe  # noqa: E402
from earwitness.vault.case import Case  # noqa: E402
from earwitness.vault.intake import ingest_paths  # noqa: E402
from tests.conftest import encode_samples  # noqa: E402

SPEECH = ROOT.parent / "shared" / "data" / "real" / "speech"
RATE = 16000


class TwoPasses:
    """The recogniser as it was before one encoder pass served both tasks: it offers only
    ``recognise``, so the pipeline transcribes, then decodes the translation anew."""

    def __init__(self, recognizer: Recognizer) -> None:
        self.model, self.device = recognizer.model, recognizer.device
        self.compute_type = recognizer.compute_type
        self.recognise = recognizer.recognise


def speech_clips(language: str) -> list[Path]:
    if language == "mixed":
        clips = sorted(SPEECH.rglob("*.wav")) + sorted(SPEECH.rglob("*.ogg"))
    else:
        festival = ROOT / "bench" / "work" / "speech" / "ru-festival"
        if not festival.is_dir():
            script = ROOT / "bench" / "speech" / "generate_ru.py"
            subprocess.run([sys.executable, str(script)], check=True)
        clips = sorted(festival.glob("*.wav")) + sorted((SPEECH / "ru").rglob("*.wav"))
        clips = [c for c in clips if "_en" not in c.name]
    return [c for c in clips if "stereo" not in c.name and "mono_sound" not in c.name]


def build_recording(minutes: float, seed: int = 12, language: str = "mixed") -> np.ndarray:
    rng = np.random.default_rng(seed)
    clips = speech_clips(language)
    voices = []
    for clip in clips:
        decoded = decode_audio(clip)
        voices.append(resample(decoded.samples, decoded.sample_rate, RATE))
    total = int(minutes * 60 * RATE)
    parts, length = [], 0
    while length < total:
        voice = voices[int(rng.integers(len(voices)))]
        pause = np.zeros(int(rng.uniform(0.4, 3.0) * RATE))
        if rng.random() < 0.01:
            pause = np.zeros(30 * RATE)  # a long silence, as when a room empties
        parts += [0.3 * voice / (np.abs(voice).max() + 1e-9), pause]
        length += len(voice) + len(pause)
    speech = np.concatenate(parts)[:total]
    t = np.arange(total) / RATE
    hum = 0.004 * np.sin(2 * np.pi * 50.0 * t + 0.3 * np.sin(2 * np.pi * t / 300))
    return (speech + hum + 0.002 * rng.standard_normal(total)).astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=12.0)
    parser.add_argument("--language", choices=("mixed", "ru"), default="mixed")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        os.environ.setdefault("XDG_CONFIG_HOME", str(work / "config"))
        samples = build_recording(args.minutes, language=args.language)
        path = encode_samples(work / "leak.mp3", samples, RATE, "libmp3lame", "mp3", 64_000)
        case, _ = Case.init(work / "case")
        started = time.perf_counter()
        [outcome] = ingest_paths(case, [path])
        ingest_s = time.perf_counter() - started
        options = ReportOptions(speech=TranscribeOptions(translate_to="en"))
        result = report_exhibit(case, outcome.sha256, work / "dossiers", options)
        stages = {"ingest": ingest_s, **result.seconds}
        slowest = max(("examine", "transcribe"), key=lambda s: stages[s])
        print(
            f"recording: {result.duration_s / 60:.1f} min MP3 ({args.language}), "
            f"{os.cpu_count()} CPU(s)"
        )
        for stage, seconds in stages.items():
            print(f"  {stage:<11} {seconds:7.1f} s")
        # examine and transcribe overlap: their wall times are not additive.
        wall = ingest_s + stages["decode"] + max(stages["examine"], stages["transcribe"])
        wall += stages["dossier"]
        print(f"  total wall  {wall:7.1f} s ({result.duration_s / wall:.1f}x real time)")
        print(
            f"ratio total / slowest single stage ({slowest}) = {wall / stages[slowest]:.2f} "
            "(goal <= 1.2)"
        )
        decoded = decode_audio(path)
        facts = exhibit_facts(case, outcome.sha256)
        started = time.perf_counter()
        examine(decoded.samples, decoded.sample_rate, facts)
        alone_exam = time.perf_counter() - started
        samples16k = resample(decoded.samples, decoded.sample_rate, RATE)
        recognizer = Recognizer(resolve_model(), workers=workers_for("en"))
        speech_options = TranscribeOptions(DecodeOptions(), translate_to="en")
        timed = {}
        for label, engine in (
            ("one encoder pass", recognizer),
            ("two passes", TwoPasses(recognizer)),
        ):
            started = time.perf_counter()
            made = transcribe(samples16k, engine, speech_options, exhibit_sha256=outcome.sha256)
            timed[label] = time.perf_counter() - started
            print(
                f"speech alone, {label}: {timed[label]:.1f} s (language {made.language}, "
                f"English by {made.translation_method or 'nobody: not translated'})"
            )
        print(
            f"two passes / one encoder pass = {timed['two passes'] / timed['one encoder pass']:.2f}"
        )
        alone_speech = timed["one encoder pass"]
        overlapped = max(stages["examine"], stages["transcribe"])
        print(
            f"baseline, one after the other in this process: examine {alone_exam:.1f} s + "
            f"transcribe {alone_speech:.1f} s = {alone_exam + alone_speech:.1f} s; "
            f"side by side took {overlapped:.1f} s "
            f"(ratio {overlapped / (alone_exam + alone_speech):.2f})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
