"""Accuracy and speed of ``earwitness transcribe`` against plain faster-whisper, and DER.

    .venv/bin/python bench/speech/run.py [--threads 2] [--rounds 3] [--no-der] [--no-long]

Needs the ``bench`` extra (``.venv/bin/pip install -e '.[bench]'``: jiwer, pyannote.metrics),
``../shared/data/real/`` and Festival with ``festvox-ru`` (the Russian clips are generated on
first run by ``generate_ru.py`` into ``bench/work/speech/``).

Two recognisers, each loaded once, on the same model directory (``resolve_model()``: Whisper
base, CTranslate2), CPU, int8, the same number of threads:

* **ours**: ``Recognizer`` + ``transcribe(..., TranscribeOptions(decode=DecodeOptions(language=L),
  diarize=False))`` — Silero VAD, speech laid end to end in windows of at most ``vad.FILL_S``
  (26 s) of speech, batched decoding with word timestamps, a second look at stretches a batch
  left without text, hallucination guards; exactly what ``earwitness transcribe`` runs apart
  from decoding the file and diarization.
* **plain**: ``WhisperModel(dir, device="cpu", compute_type="int8", cpu_threads=N)
  .transcribe(audio, beam_size=5, language=L)`` with its generator consumed (faster-whisper's
  defaults: sequential 30 s windows, no VAD, temperature fallback, conditioning on previous text).

Each runs on the C heap it runs with (``--heap as-run``, the default; see ``make_engines``):
ours as ``earwitness transcribe`` sets it, plain as glibc leaves it at most. Until 2026-12-06
both ran on the 1 MiB mmap threshold ``Recognizer`` fixes (``--heap same``), which slows
plain's beam search more than ours.

Both are given the same 16 kHz float32 samples (decoding is not timed); the timer covers only
the call and consuming its segments. The engines take turns file by file, who goes first
alternating, and the median of the rounds is reported. Speed is given as × real time = audio
seconds / compute seconds (higher is faster); "ours/plain" is the ratio of the two. Process CPU
seconds are reported too ("CPU-time plain/ours"): on a shared machine they move less with other
jobs' load than wall time does.

WER is corpus-level (jiwer: all substitutions, deletions and insertions of a set over all its
reference words), the mean over the rounds with its range where rounds differ (plain's
temperature fallback samples, so its text can change from round to round; ours is
deterministic), after ``normalise``: lowercase, ё→е, numbers written as plain digits
(``numerals.normalise_numbers`` for the set's language: "twenty-first", "21st", "1,000",
"две тысячи двадцатом" → 21, 21, 1000, 2020), apostrophes removed, every other punctuation or
symbol character replaced by a space, spaces collapsed. Whisper writes numbers in digits one
time and in words the next; the transcripts keep what it wrote, the score counts words.

DER uses pyannote.metrics ``DiarizationErrorRate(collar=0.5, skip_overlap=False)``: a collar of
0.25 s either side of every reference boundary is not scored, and overlapped speech is scored
(so a one-speaker-at-a-time diarizer is charged for every second voice). The evaluated region
is the ``.uem`` where one exists, else the whole file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import unicodedata
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from diarization import diarization_table  # noqa: E402
from numerals import normalise_numbers  # noqa: E402  (bench/speech/numerals.py, beside this)

from earwitness.media.decode import decode_audio, resample  # noqa: E402

RATE = 16000
REAL = (ROOT / ".." / "shared" / "data" / "real").resolve()
WORK = ROOT / "bench" / "work" / "speech"
SPEECH = REAL / "speech"
PYANNOTE = REAL / "diarization" / "pyannote-audio"


# -- text -------------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def normalise(text: str, language: str) -> str:
    """Lowercase, ё→е, numbers as digits, apostrophes dropped, other punctuation/symbols → space,
    spaces collapsed. Numbers go first: they need their commas, points and hyphens."""
    text = unicodedata.normalize("NFC", text).lower().replace("ё", "е")
    text = normalise_numbers(text, language)
    text = re.sub(r"['’ʼ`]", "", text)
    chars = [" " if unicodedata.category(c)[0] in "PS" else c for c in text]
    return _SPACES.sub(" ", "".join(chars)).strip()


def wer(references: list[str], hypotheses: list[str], language: str) -> tuple[float, int]:
    """Corpus WER of normalised texts and the number of reference words."""
    import jiwer

    refs = [normalise(r, language) for r in references]
    hyps = [normalise(h, language) for h in hypotheses]
    kept = [(r, h) for r, h in zip(refs, hyps, strict=True) if r]
    words = sum(len(r.split()) for r, _ in kept)
    out = jiwer.process_words([r for r, _ in kept], [h for _, h in kept])
    errors = out.substitutions + out.deletions + out.insertions
    return errors / words, words


# -- data -------------------------------------------------------------------------------------


@dataclass
class Item:
    name: str
    samples: np.ndarray  # 16 kHz mono float32
    reference: str

    @property
    def seconds(self) -> float:
        return len(self.samples) / RATE


@dataclass
class Dataset:
    name: str
    language: str
    note: str
    items: list[Item] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(item.seconds for item in self.items)


def load(path: Path, channel: int | None = None) -> np.ndarray:
    decoded = decode_audio(path, mono=channel is None)
    samples = decoded.samples if channel is None else decoded.samples[channel]
    return resample(np.ascontiguousarray(samples), decoded.sample_rate, RATE)


def transcript(path: Path) -> str:
    text = path.read_text(encoding="utf-8").strip()
    if path.name == "LDC93S1.txt":  # "0 46797 She had ...": sample range, then the text
        text = text.split(maxsplit=2)[2]
    return text


def english_real() -> Dataset:
    """Real English clips with transcripts. vosk-api/test.wav is left out (its transcript is
    marked approximate and is a digit string, which Whisper writes as numerals); jfk.flac is
    the same speech as jfk.wav. stereo_diarization.wav has one talker per channel, speaking
    at the same time: each channel is an item of its own."""
    data = Dataset("en-real", "en", "real recordings (JFK, TIMIT, FLEURS, pisets, 2-channel)")
    en = SPEECH / "en"
    for wav in [
        en / "whisper.cpp" / "jfk.wav",
        en / "deepspeech-smoke" / "LDC93S1.wav",
        *sorted((en / "fleurs-en-cuttledoc").glob("fleurs-en-*.ogg")),
        SPEECH / "ru" / "pisets" / "test_sound_en.wav",
    ]:
        data.items.append(Item(wav.name, load(wav), transcript(wav.with_suffix(".txt"))))
    stereo = en / "faster-whisper" / "stereo_diarization.wav"
    lines = dict(
        line.split(": ", 1) for line in stereo.with_suffix(".txt").read_text().splitlines() if line
    )
    for channel, side in enumerate(("LEFT", "RIGHT")):
        data.items.append(Item(f"{stereo.name}:{side}", load(stereo, channel), lines[side]))
    return data


def russian_real() -> Dataset:
    data = Dataset("ru-real", "ru", "real recordings (DeepSpeech smoke test, pisets)")
    for wav in [
        SPEECH / "ru" / "deepspeech-smoke" / "ru.wav",
        SPEECH / "ru" / "pisets" / "test_sound_ru.wav",
    ]:
        data.items.append(Item(wav.name, load(wav), transcript(wav.with_suffix(".txt"))))
    return data


def generated(folder: str, language: str, note: str) -> Dataset:
    data = Dataset(folder, language, note)
    for wav in sorted((WORK / folder).glob("*.wav")):
        data.items.append(Item(wav.name, load(wav), transcript(wav.with_suffix(".txt"))))
    return data


def ensure_generated(espeak: bool) -> None:
    needed = [WORK / "ru-festival"] + ([WORK / "be-espeak", WORK / "uk-espeak"] if espeak else [])
    if all(folder.is_dir() and any(folder.glob("*.wav")) for folder in needed):
        return
    command = [sys.executable, str(Path(__file__).with_name("generate_ru.py"))]
    subprocess.run([*command, *(["--espeak"] if espeak else [])], check=True)


# -- long recordings ---------------------------------------------------------------------------


def room(seconds: float, rng: np.random.Generator, level_db: float = -60.0) -> np.ndarray:
    """Faint low-passed noise, the room tone of a real recording."""
    white = rng.standard_normal(round(seconds * RATE) + 64)
    smooth = np.convolve(white, np.ones(8) / 8, mode="same")[64:]
    return (smooth / (smooth.std() + 1e-12) * 10 ** (level_db / 20)).astype(np.float32)


def at_level(samples: np.ndarray, rms_db: float) -> np.ndarray:
    """``samples`` scaled to an RMS of ``rms_db`` dBFS. Some FLEURS clips are stored near
    -65 dBFS, below any room tone; a recorder's gain puts voices at similar levels."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) or 1.0
    return (samples * (10 ** (rms_db / 20) / rms)).astype(np.float32)


def long_recording(
    name: str, language: str, sources: list[Item], passes: int, seed: int, note: str
) -> Dataset:
    """``sources`` played ``passes`` times in shuffled order, each at -30 to -22 dBFS RMS, with
    0.5–4 s pauses between utterances, two silences of about 30 s (a leak's long gaps) and room
    tone at -60 dBFS over everything. Cached as WAV."""
    wav, txt = WORK / f"{name}.wav", WORK / f"{name}.txt"
    if wav.exists() and txt.exists():
        samples = load(wav)
    else:
        rng = np.random.default_rng(seed)
        order = [item for _ in range(passes) for item in rng.permutation(len(sources))]
        breaks = {len(order) // 3, 2 * len(order) // 3}
        pieces: list[np.ndarray] = [room(1.0, rng)]
        texts = []
        for position, index in enumerate(order):
            if position:
                gap = float(rng.uniform(28.0, 32.0) if position in breaks else rng.uniform(0.5, 4))
                pieces.append(room(gap, rng))
            pieces.append(at_level(sources[index].samples, float(rng.uniform(-30.0, -22.0))))
            texts.append(sources[index].reference)
        pieces.append(room(1.5, rng))
        samples = np.concatenate(pieces)
        samples = samples + room(len(samples) / RATE, rng)[: len(samples)]
        WORK.mkdir(parents=True, exist_ok=True)
        peak = float(np.max(np.abs(samples))) or 1.0
        pcm = np.round(samples * min(1.0, 0.9 / peak) * 32767).astype("<i2")
        with wave.open(str(wav), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(RATE)
            handle.writeframes(pcm.tobytes())
        txt.write_text("\n".join(texts) + "\n", encoding="utf-8")
        samples = load(wav)
    reference = " ".join(txt.read_text(encoding="utf-8").split("\n"))
    return Dataset(name, language, note, [Item(wav.name, samples, reference)])


# -- engines ----------------------------------------------------------------------------------


Engine = Callable[[np.ndarray, str], str]


# glibc raises its mmap threshold to the size of each mapped block freed, up to this: the most
# a program that leaves the heap alone (plain faster-whisper) gets from it.
GLIBC_MMAP_CEILING = 32 << 20


def make_engines(threads: int, heap: str = "as-run") -> tuple[dict[str, Engine], dict[str, object]]:
    """``heap``: "same" leaves both engines on the heap ``Recognizer`` fixes for the process
    (``media/heap.py``: a 1 MiB mmap threshold), "as-run" gives each the threshold it runs
    with: ours what ``earwitness transcribe`` sets for a recording of the item's length
    (``jobs.recording.mmap_threshold_for``), plain glibc's ceiling (its own threshold climbs
    to at most that; once a program fixes the threshold the climbing stops, so one process
    cannot give plain glibc's exact behaviour, and the ceiling is the most it could get)."""
    from faster_whisper import WhisperModel

    from earwitness.jobs.recording import mmap_threshold_for
    from earwitness.media.heap import set_mmap_threshold
    from earwitness.speech import asr, vad
    from earwitness.speech.asr import DecodeOptions, Recognizer
    from earwitness.speech.models import resolve_model
    from earwitness.speech.transcribe import TranscribeOptions, transcribe

    model = resolve_model()
    recognizer = Recognizer(model, device="cpu", compute_type="int8", cpu_threads=threads)
    plain = WhisperModel(
        str(model.directory), device="cpu", compute_type="int8", cpu_threads=threads
    )
    defaults = DecodeOptions()

    def ours(samples: np.ndarray, language: str) -> str:
        if heap == "as-run":
            set_mmap_threshold(mmap_threshold_for({"duration_s": len(samples) / RATE}))
        options = TranscribeOptions(decode=DecodeOptions(language=language), diarize=False)
        result = transcribe(samples, recognizer, options, exhibit_sha256="0" * 64)
        return " ".join(segment.text for segment in result.segments)

    def baseline(samples: np.ndarray, language: str) -> str:
        if heap == "as-run":
            set_mmap_threshold(GLIBC_MMAP_CEILING)
        segments, _ = plain.transcribe(samples, beam_size=5, language=language)
        return " ".join(segment.text for segment in segments)

    facts = {
        "model": model.name,
        "model_sha256": model.sha256,
        "model_directory": str(model.directory),
        "ours_decode": defaults.parameters(),
        "ours_window_fill_s": getattr(vad, "FILL_S", vad.WINDOW_S),
        "ours_repair_min_gap_s": getattr(asr, "REPAIR_MIN_GAP", None),
        "heap": heap,
    }
    return {"ours": ours, "plain": baseline}, facts


@dataclass
class Measured:
    # engine -> per round, the text of every item (plain's temperature fallback samples, so
    # its text can differ from round to round)
    texts: dict[str, list[list[str]]] = field(default_factory=dict)
    seconds: dict[str, list[float]] = field(default_factory=dict)  # engine -> time per round
    cpu: dict[str, list[float]] = field(default_factory=dict)  # process CPU seconds per round


def measure(data: Dataset, engines: dict[str, Engine], rounds: int) -> Measured:
    """Every item through every engine, ``rounds`` times. The engines take turns item by item
    (who goes first alternates with the item and the round), so that load from other jobs on
    a shared machine falls on both alike."""
    result = Measured()
    names = list(engines)
    for round_number in range(rounds):
        seconds = dict.fromkeys(names, 0.0)
        cpu = dict.fromkeys(names, 0.0)
        texts: dict[str, list[str]] = {name: [] for name in names}
        for index, item in enumerate(data.items):
            order = names if (round_number + index) % 2 == 0 else names[::-1]
            for name in order:
                started, cpu_started = time.perf_counter(), time.process_time()
                texts[name].append(engines[name](item.samples, data.language))
                seconds[name] += time.perf_counter() - started
                cpu[name] += time.process_time() - cpu_started
        for name in names:
            result.seconds.setdefault(name, []).append(seconds[name])
            result.cpu.setdefault(name, []).append(cpu[name])
            result.texts.setdefault(name, []).append(texts[name])
        times = ", ".join(f"{n} {seconds[n]:.1f} s ({cpu[n]:.1f} s CPU)" for n in names)
        print(f"  {data.name} round {round_number + 1}: {times}", flush=True)
    return result


# -- report -----------------------------------------------------------------------------------


def machine() -> dict[str, object]:
    model_name = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model_name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import ctranslate2
    import faster_whisper

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model_name,
        "python": platform.python_version(),
        "faster_whisper": faster_whisper.__version__,
        "ctranslate2": ctranslate2.__version__,
    }


def wer_cell(row: dict[str, object], engine: str) -> str:
    """Mean WER over the rounds, and its range where the rounds differ."""
    rounds: list[float] = row[f"wer_rounds_{engine}"]  # type: ignore[assignment]
    low, high = min(rounds), max(rounds)
    spread = f" ({low:.3f}–{high:.3f})" if high - low >= 0.0005 else ""
    return f"{row[f'wer_{engine}']:.3f}{spread}"


def markdown(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for both engines")
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds (median reported)")
    parser.add_argument("--no-der", action="store_true", help="skip diarization error rates")
    parser.add_argument("--no-long", action="store_true", help="skip the long recordings")
    parser.add_argument("--no-espeak", action="store_true", help="skip be/uk espeak-ng clips")
    parser.add_argument("--only", nargs="*", help="run only these sets (names as printed)")
    parser.add_argument("--out", type=Path, default=WORK / "results.json")
    parser.add_argument(
        "--heap",
        choices=("as-run", "same"),
        default="as-run",
        help="each engine on the heap it runs with, or both on our bounded one (make_engines)",
    )
    args = parser.parse_args(argv)
    if not REAL.is_dir():
        raise SystemExit(f"{REAL} is missing: the benchmark reads its recordings from there")
    ensure_generated(espeak=not args.no_espeak)

    en, ru = english_real(), russian_real()
    festival = generated("ru-festival", "ru", "Festival msu_ru_nsh_clunits (synthetic)")
    sets = [en, ru, festival]
    if not args.no_espeak:
        sets.append(generated("be-espeak", "be", "espeak-ng be (synthetic, robotic)"))
        sets.append(generated("uk-espeak", "uk", "espeak-ng uk (synthetic, robotic)"))
    if not args.no_long:
        sets.append(
            long_recording(
                "long-en", "en", en.items, 5, 1, "en-real x5 shuffled, pauses, 2 x 30 s silence"
            )
        )
        sources = festival.items + ru.items
        note = "ru-festival + ru-real x2 shuffled, pauses, 2 x 30 s silence"
        sets.append(long_recording("long-ru", "ru", sources, 2, 2, note))
    if args.only:
        sets = [data for data in sets if data.name in args.only]

    engines, facts = make_engines(args.threads, args.heap)
    print(f"model {facts['model']} ({facts['model_directory']}), threads {args.threads}")
    for engine in engines.values():  # warm-up: first calls allocate buffers, load the VAD
        engine(sets[0].items[0].samples[: RATE * 5], sets[0].language)
    results = []
    for data in sets:
        print(f"{data.name}: {len(data.items)} files, {data.seconds:.1f} s", flush=True)
        measured = measure(data, engines, args.rounds)
        references = [item.reference for item in data.items]
        row: dict[str, object] = {
            "set": data.name,
            "language": data.language,
            "note": data.note,
            "files": len(data.items),
            "audio_s": data.seconds,
        }
        for name in engines:
            per_round = [wer(references, texts, data.language) for texts in measured.texts[name]]
            words = per_round[0][1]
            errors = [error for error, _ in per_round]
            median = statistics.median(measured.seconds[name])
            row.update({"words": words, f"wer_{name}": statistics.mean(errors)})
            row.update({f"wer_rounds_{name}": errors, f"s_{name}": measured.seconds[name]})
            row[f"cpu_{name}"] = measured.cpu[name]
            row[f"xrt_{name}"] = data.seconds / median
        row["ratio"] = row["xrt_ours"] / row["xrt_plain"]  # type: ignore[operator]
        cpu_plain, cpu_ours = (statistics.median(measured.cpu[n]) for n in ("plain", "ours"))
        row["cpu_ratio"] = cpu_plain / cpu_ours
        row["texts"] = {
            item.name: {
                "reference": item.reference,
                **{n: [texts[i] for texts in t] for n, t in measured.texts.items()},
            }
            for i, item in enumerate(data.items)
        }
        results.append(row)

    der_rows = [] if args.no_der else diarization_table(load, PYANNOTE)
    info = {"machine": machine(), "threads": args.threads, "rounds": args.rounds, **facts}
    WORK.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"info": info, "asr": results, "der": der_rows}, ensure_ascii=False, indent=1)
        + "\n",
        encoding="utf-8",
    )

    print()
    print(f"machine: {info['machine']}; threads {args.threads}; rounds {args.rounds} (median)")
    headers = ["set", "files", "audio", "words", "WER ours", "WER plain"]
    headers += ["× real time ours", "× real time plain", "ours/plain", "CPU-time plain/ours"]
    table = []
    for row in results:
        table.append(
            [
                str(row["set"]),
                str(row["files"]),
                f"{row['audio_s']:.0f} s",
                str(row["words"]),
                wer_cell(row, "ours"),
                wer_cell(row, "plain"),
                f"{row['xrt_ours']:.1f}",
                f"{row['xrt_plain']:.1f}",
                f"{row['ratio']:.2f}",
                f"{row['cpu_ratio']:.2f}",
            ]
        )
    print(markdown(headers, table))
    if der_rows:
        print()
        headers = ["recording", "ref. speakers", "regions", "--speakers", "found", "DER"]
        headers += ["miss", "false alarm", "confusion"]
        table = [
            [
                str(r["recording"]),
                str(r["ref_speakers"]),
                str(r["regions"]),
                str(r["speakers_arg"]),
                str(r["found"]),
                f"{r['der']:.3f}",
                f"{r['miss']:.3f}",
                f"{r['false_alarm']:.3f}",
                f"{r['confusion']:.3f}",
            ]
            for r in der_rows
        ]
        print(markdown(headers, table))
    print(f"\ndetails (texts, times per round): {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
