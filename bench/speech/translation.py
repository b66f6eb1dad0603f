"""What the beam of Whisper's translate task costs and buys: English quality against speed.

    .venv/bin/python bench/speech/translation.py [--clips 40] [--beams 6,4,2,1]

``../shared`` holds no Russian speech with reference English, but the tamper benchmark's
sentences (``bench/tamper/texts.py``) are written in parallel: each Russian sentence has its
English. Festival's Russian voice (Debian ``festvox-ru``) speaks ``--clips`` clips of three to
six of them, each with its own pace and playback speed, joined by pauses into one long
recording as a meeting would be (faint noise throughout). The full pipeline
(``speech.transcribe`` with ``translate_to="en"``, the packaged Whisper base model on CPU) runs
once per translate beam, the transcription's beam left at its default, and each clip's English
(the translated segments that fall in it) is scored against its reference sentences:

- corpus chrF (sacrebleu, character n-grams: robust to the word order and inflection a short
  text can vary in) and BLEU;
- the difference from the first beam listed, with the range holding 90 % of the differences
  when the clips are drawn again with replacement (paired: the same clips for both beams);
- the speech stage's wall time, and its ratio to the first beam's, measured in the same run
  after an untimed warm-up (the first call loads the voice-activity and speaker models).

Twenty sentences, one synthetic voice: this measures whether a smaller beam loses English
that the model found with a wider one, not how good the translation of real speech is.
Needs the ``bench`` extra (sacrebleu) and Festival; writes the clips into
``bench/work/speech/translation/`` on first use.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "tamper"))

from texts import ENGLISH, RUSSIAN  # noqa: E402
from voices import FESTIVAL_RU, Voice, festival_russian_available, synthesize  # noqa: E402

RATE = 16000
WORK = ROOT / "bench" / "work" / "speech" / "translation"


@dataclass(frozen=True)
class Clip:
    start_s: float
    end_s: float
    sentences: tuple[int, ...]  # indices into texts.RUSSIAN / texts.ENGLISH

    @property
    def reference(self) -> str:
        return " ".join(ENGLISH[i] for i in self.sentences)


def build(clips: int, seed: int) -> tuple[np.ndarray, list[Clip]]:
    """The long recording and where each clip lies in it (cached by ``clips`` and ``seed``)."""
    audio, manifest = WORK / f"ru-{clips}-{seed}.npy", WORK / f"ru-{clips}-{seed}.json"
    if audio.exists() and manifest.exists():
        rows = json.loads(manifest.read_text())
        return np.load(audio), [Clip(r[0], r[1], tuple(r[2])) for r in rows]
    if not festival_russian_available():
        raise SystemExit("needs Festival with its Russian voice (Debian festival festvox-ru)")
    rng = np.random.default_rng(seed)
    parts: list[np.ndarray] = [np.zeros(RATE)]
    placed: list[Clip] = []
    length = RATE
    for _ in range(clips):
        chosen = tuple(int(i) for i in rng.choice(len(RUSSIAN), int(rng.integers(3, 7))))
        voice = Voice(
            "festival",
            FESTIVAL_RU,
            round(float(rng.uniform(0.9, 1.2)), 2),
            0,
            round(float(rng.uniform(0.93, 1.07)), 3),
        )
        spoken = synthesize(voice, [RUSSIAN[i] for i in chosen], RATE)
        start = length
        for utterance in spoken:
            pause = np.zeros(int(rng.uniform(0.3, 0.9) * RATE))
            parts += [0.3 * utterance / (np.abs(utterance).max() + 1e-9), pause]
            length += len(utterance) + len(pause)
        placed.append(Clip(start / RATE, length / RATE, chosen))
        gap = np.zeros(int(rng.uniform(1.5, 3.0) * RATE))
        parts.append(gap)
        length += len(gap)
    samples = np.concatenate(parts)
    samples = (samples + 0.002 * rng.standard_normal(len(samples))).astype(np.float32)
    WORK.mkdir(parents=True, exist_ok=True)
    np.save(audio, samples)
    manifest.write_text(json.dumps([[c.start_s, c.end_s, list(c.sentences)] for c in placed]))
    return samples, placed


def english_per_clip(segments: list[tuple[float, float, str]], clips: list[Clip]) -> list[str]:
    """Each clip's English: the translated segments whose middle lies in it (clips are
    separated by 1.5-3 s of silence, so a segment rarely straddles two)."""
    texts: list[list[str]] = [[] for _ in clips]
    starts = np.array([c.start_s for c in clips])
    for start, end, text in segments:
        middle = (start + end) / 2
        index = int(np.searchsorted(starts, middle, side="right")) - 1
        if index >= 0:
            texts[index].append(text.strip())
    return [" ".join(t) for t in texts]


def scores(hypotheses: list[str], references: list[str]) -> tuple[float, float]:
    import sacrebleu

    chrf = sacrebleu.corpus_chrf(hypotheses, [references]).score
    bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
    return float(chrf), float(bleu)


def paired_interval(
    first: list[str], other: list[str], references: list[str], draws: int = 500, seed: int = 0
) -> tuple[float, float]:
    """90 % range of chrF(other) − chrF(first) over clips drawn again with replacement."""
    import sacrebleu

    rng = np.random.default_rng(seed)
    differences = []
    for _ in range(draws):
        pick = rng.integers(0, len(references), len(references))
        refs = [[references[i] for i in pick]]
        a = sacrebleu.corpus_chrf([first[i] for i in pick], refs).score
        b = sacrebleu.corpus_chrf([other[i] for i in pick], refs).score
        differences.append(b - a)
    low, high = np.percentile(differences, [5, 95])
    return float(low), float(high)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=40)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--beams", default="6,4,2,1", help="translate beams; the first is the base")
    parser.add_argument("--examples", type=int, default=0, help="print this many clips' English")
    args = parser.parse_args(argv)
    beams = [int(b) for b in args.beams.split(",")]

    from earwitness.speech.asr import DecodeOptions, Recognizer
    from earwitness.speech.models import resolve_model
    from earwitness.speech.transcribe import TranscribeOptions, transcribe

    samples, clips = build(args.clips, args.seed)
    references = [c.reference for c in clips]
    recognizer = Recognizer(resolve_model(None))
    print(
        f"{len(clips)} clips, {sum(len(c.sentences) for c in clips)} sentences, "
        f"{len(samples) / RATE / 60:.1f} min; Whisper {recognizer.model.name}, "
        f"{recognizer.device} {recognizer.compute_type}"
    )
    # Untimed: the first call also loads the voice-activity and speaker models.
    warm_up = TranscribeOptions(DecodeOptions(translate_beam_size=beams[0]), translate_to="en")
    transcribe(samples[: 20 * RATE], recognizer, warm_up, exhibit_sha256="0" * 64)
    results: dict[int, tuple[list[str], float, str]] = {}
    for beam in beams:
        options = TranscribeOptions(DecodeOptions(translate_beam_size=beam), translate_to="en")
        started = time.perf_counter()
        made = transcribe(samples, recognizer, options, exhibit_sha256="0" * 64)
        wall = time.perf_counter() - started
        english = [(s.start, s.end, s.text) for s in made.translation or ()]
        russian = " ".join(s.text for s in made.segments)
        results[beam] = (english_per_clip(english, clips), wall, russian)

    base = beams[0]
    print(
        f"\n| translate beam | chrF | BLEU | chrF − beam {base} (90 % over clips) | speech "
        f"stage | time / beam {base} |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for beam in beams:
        hypotheses, wall, russian = results[beam]
        chrf, bleu = scores(hypotheses, references)
        if beam == base:
            shift = "—"
        else:
            low, high = paired_interval(results[base][0], hypotheses, references)
            base_chrf = scores(results[base][0], references)[0]
            shift = f"{chrf - base_chrf:+.1f} ({low:+.1f} to {high:+.1f})"
        same = "" if russian == results[base][2] else " (the Russian differs!)"
        print(
            f"| {beam} | {chrf:.1f} | {bleu:.1f} | {shift} | {wall:.1f} s | "
            f"{wall / results[base][1]:.2f}{same} |"
        )
    for index in range(min(args.examples, len(clips))):
        print(f"\nclip {index}: {references[index]}")
        for beam in beams:
            print(f"  beam {beam}: {results[beam][0][index]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
