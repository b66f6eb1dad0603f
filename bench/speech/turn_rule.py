"""What the sentence rule of ``earwitness.speech.turns`` costs and gains: per-word DER.

    nice -n 5 .venv/bin/python bench/speech/turn_rule.py [--threads 2] [--retranscribe]

For each real meeting of ``shared/data/real/diarization`` (pyannote's sample, AMI dev00 and
dev01 for calibration, tst00 and tst01 held out) the packaged Whisper model transcribes the
recording once (cached in ``bench/work/speech/turn_rule/``, git-ignored; ``--retranscribe``
redoes it), then ``diarize_with_evidence`` finds turns in VAD regions and in the reference's
own speech regions (oracle), with the count found (auto) and with the reference's count, as
``earwitness transcribe`` and ``--speakers N`` would. The words get their speakers two ways:

* **before**: ``assign_speakers`` (largest overlap) and, with a count, ``keep_speakers``: no
  sentence rule;
* **after**: ``turns.settle_segments``, what ``label_speakers`` runs.

Per-word DER: each word's span is a turn of its speaker, one speaker's words less than 0.5 s
apart joined; pyannote.metrics ``DiarizationErrorRate(collar=0.5, skip_overlap=False)`` (md-eval's
0.25 s either side) within the ``.uem``. It scores where the transcript puts each speaker, which
is what a reader sees; the turns themselves do not change here.

Then the two bundled samples with ``--speakers 2``: every sentence that still holds more than
one speaker after the rule is printed (the journalist's splits: "Who signs the orders | for the
second shift?", "не | узнает.").
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from diarization import oracle_regions, read_rttm, read_uem  # noqa: E402
from run import PYANNOTE, RATE, load  # noqa: E402

from earwitness.speech import turns as tn  # noqa: E402
from earwitness.speech.types import Segment  # noqa: E402

CACHE = ROOT / "bench" / "work" / "speech" / "turn_rule"
JOIN = 0.5  # seconds: one speaker's words closer than this are one turn
MEETINGS = [
    ("sample", PYANNOTE / "sample" / "sample.wav", PYANNOTE / "sample" / "sample.rttm"),
    (
        "dev00",
        PYANNOTE / "tests_data" / "dev00.wav",
        PYANNOTE / "tests_data" / "debug.development.rttm",
    ),
    (
        "dev01",
        PYANNOTE / "tests_data" / "dev01.wav",
        PYANNOTE / "tests_data" / "debug.development.rttm",
    ),
    ("tst00", PYANNOTE / "tests_data" / "tst00.wav", PYANNOTE / "tests_data" / "debug.test.rttm"),
    ("tst01", PYANNOTE / "tests_data" / "tst01.wav", PYANNOTE / "tests_data" / "debug.test.rttm"),
]
SAMPLES = [
    ("briefing-en", ROOT / "samples" / "briefing-en.wav", "en"),
    ("briefing-ru", ROOT / "samples" / "briefing-ru.mp3", "ru"),
]


def transcribed(
    name: str, samples: np.ndarray, language: str, threads: int, again: bool
) -> list[Segment]:
    """The packaged model's segments for ``samples``, from the cache when there."""
    path = CACHE / f"{name}.json"
    if path.exists() and not again:
        return [Segment.from_dict(item) for item in json.loads(path.read_text("utf-8"))]
    from earwitness.speech.asr import Recognizer
    from earwitness.speech.models import resolve_model
    from earwitness.speech.options import DecodeOptions, TranscribeOptions
    from earwitness.speech.transcribe import transcribe

    recognizer = Recognizer(resolve_model(), device="cpu", compute_type="int8", cpu_threads=threads)
    options = TranscribeOptions(decode=DecodeOptions(language=language), diarize=False)
    result = transcribe(samples, recognizer, options, exhibit_sha256="0" * 64)
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps([s.to_dict() for s in result.segments], ensure_ascii=False, indent=1), "utf-8"
    )
    return list(result.segments)


def word_turns(segments: list[Segment]) -> list[tuple[float, float, str]]:
    """Each word's span as a turn of its speaker, one speaker's words under ``JOIN`` apart
    joined."""
    out: list[list] = []
    last: dict[str, int] = {}
    for word in (w for s in segments for w in s.words):
        if word.speaker is None or word.end <= word.start:
            continue
        at = last.get(word.speaker)
        if at is not None and word.start - out[at][1] < JOIN:
            out[at][1] = max(out[at][1], word.end)
        else:
            last[word.speaker] = len(out)
            out.append([word.start, word.end, word.speaker])
    return [(s, e, label) for s, e, label in out]


def before_rule(segments: list[Segment], turns: list[tn.Turn], required: frozenset[str]):
    """The words' speakers with no sentence rule: largest overlap, the count kept."""
    import dataclasses

    from earwitness.speech.diarize import assign_speakers

    labelled = assign_speakers(segments, turns)
    words = [w for s in labelled for w in s.words]
    speakers = [w.speaker for w in words]
    if required:
        speakers = tn.keep_speakers(speakers, words, turns, required)
    out, position = [], 0
    for segment in labelled:
        mine = speakers[position : position + len(segment.words)]
        position += len(segment.words)
        new = tuple(
            dataclasses.replace(w, speaker=s) for w, s in zip(segment.words, mine, strict=True)
        )
        out.append(dataclasses.replace(segment, words=new))
    return tn.split_at_speaker_changes(out)


def after_rule(segments: list[Segment], found, required: frozenset[str]):
    from earwitness.speech.diarize import assign_speakers

    return tn.settle_segments(
        assign_speakers(segments, found.turns), found.turns, found.margins, required=required
    )


def der(reference, hypothesis_turns, uri: str, span: tuple[float, float]) -> float:
    from pyannote.core import Annotation, Timeline
    from pyannote.core import Segment as Span
    from pyannote.metrics.diarization import DiarizationErrorRate

    hypothesis = Annotation(uri=uri)
    for index, (start, end, label) in enumerate(hypothesis_turns):
        hypothesis[Span(start, end), index] = label
    metric = DiarizationErrorRate(collar=0.5, skip_overlap=False)
    return float(metric(reference, hypothesis, uem=Timeline([Span(*span)], uri=uri)))


def mixed_sentences(segments: list[Segment]) -> list[str]:
    """Sentences that hold words of more than one speaker, marked at each change."""
    words = [w for s in segments for w in s.words]
    out = []
    for span in tn.sentences(words):
        if len({words[i].speaker for i in span}) > 1:
            text = ""
            for i in span:
                if i > span.start and words[i].speaker != words[i - 1].speaker:
                    text += f" |{words[i].speaker}|"
                text += words[i].word
            out.append(f"[{words[span.start].speaker}]{text}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--retranscribe", action="store_true")
    parser.add_argument("--only", nargs="*", help="recordings to score (default: all)")
    parser.add_argument("--show", action="store_true", help="print mixed sentences everywhere")
    args = parser.parse_args()
    from pyannote.core import Annotation
    from pyannote.core import Segment as Span

    from earwitness.speech.diarize import diarize_with_evidence
    from earwitness.speech.speaker_encoder import SpeakerEncoder
    from earwitness.speech.vad import speech_regions

    encoder = SpeakerEncoder()
    rows = []
    for uri, wav, rttm in MEETINGS:
        if args.only and uri not in args.only:
            continue
        samples = load(wav)
        segments = transcribed(uri, samples, "en", args.threads, args.retranscribe)
        reference_turns = read_rttm(rttm, uri)
        reference = Annotation(uri=uri)
        for index, (start, end, label) in enumerate(reference_turns):
            reference[Span(start, end), index] = label
        span = read_uem(rttm.with_suffix(".uem"), uri) or (0.0, len(samples) / RATE)
        count = len({label for _, _, label in reference_turns})
        cells = []
        for regions_name, regions in (
            ("VAD", speech_regions(samples)),
            ("oracle", oracle_regions(reference_turns)),
        ):
            for speakers in (None, count):
                found = diarize_with_evidence(
                    samples, regions, num_speakers=speakers, encoder=encoder
                )
                required = (
                    frozenset(label for _, _, label in found.turns) if speakers else frozenset()
                )
                old = before_rule(segments, found.turns, required)
                new, report = after_rule(segments, found, required)
                a = der(reference, word_turns(old), uri, span)
                b = der(reference, word_turns(new), uri, span)
                cells.append((regions_name, speakers, a, b, report))
                if args.show:
                    label = f"{uri} {regions_name} {speakers or 'auto'}"
                    print(f"# {label}: {a:.3f} -> {b:.3f} {report.facts()}")
                    for line in mixed_sentences(old):
                        print("   before:", line)
                    for line in mixed_sentences(new):
                        print("   after: ", line)
        rows.append((uri, cells))
        print(
            uri,
            " ".join(f"{r}/{s or 'auto'} {a:.3f}->{b:.3f}" for r, s, a, b, _ in cells),
            flush=True,
        )
    print()
    print("| recording | VAD regions | VAD, --speakers N | oracle regions | oracle, --speakers N |")
    print("| --- | --- | --- | --- | --- |")
    worst = -math.inf
    for uri, cells in rows:
        print(f"| {uri} | " + " | ".join(f"{a:.3f} -> {b:.3f}" for _, _, a, b, _ in cells) + " |")
        worst = max([worst, *(b - a for _, _, a, b, _ in cells)])
    if rows:
        print(f"\nlargest increase: {worst:+.3f}")
    for name, path, language in SAMPLES:
        if args.only and name not in args.only:
            continue
        samples = load(path)
        segments = transcribed(name, samples, language, args.threads, args.retranscribe)
        found = diarize_with_evidence(
            samples, speech_regions(samples), num_speakers=2, encoder=encoder
        )
        required = frozenset(label for _, _, label in found.turns)
        new, report = after_rule(segments, found, required)
        old = before_rule(segments, found.turns, required)
        print(f"\n{name} --speakers 2: {report.facts()}")
        for line in mixed_sentences(old):
            print("  before:", line)
        for line in mixed_sentences(new) or ["(no sentence split between speakers)"]:
            print("  after: ", line)
        for segment in new:
            print(f"    {segment.start:6.2f} {segment.speaker}: {segment.text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
