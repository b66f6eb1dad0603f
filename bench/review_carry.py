"""Carrying a 2-hour review to a transcript made again: its cost against opening the review.

    .venv/bin/python bench/review_carry.py [--segments 1400] [--edits 300] [--runs 3]

What it measures. A fresh case holds one recording with ``review_save.py``'s generated
transcript of ``--segments`` segments (5 s each here, words timed, two speakers, English), and
``--edits`` review edits on it, recorded as the workbench records them: corrections of the
words and of the English, speakers set, splits, annotations and quotes, spread over the
recording. The
recording is then "transcribed again": the same words, every tenth pair of segments cut as one,
the speaker labels swapped, new English. Then, in the same run:

- the baseline: rebuilding the older review from the case (``jobs.review.reviewed_state``:
  every edit read back verified and replayed), which opening its review page costs;
- the plan alone (``review.carry.plan_carry`` on the stored transcripts and edits: a dry run
  minus reading the case);
- the carry as ``earwitness carry-review`` makes it: read, plan again under the write lock,
  record every carried edit (a signed custody event each) and the summary.

Printed: the median of ``--runs`` runs of each (a fresh case per run of the carry), and the
ratios of the plan and the carry to the baseline. No time is judged: the figure is a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from review_save import make_transcript  # noqa: E402  (the workbench benches' transcript)


def made_again(older):
    """The same words: every tenth pair of segments one, labels swapped, new English."""
    from earwitness.speech.types import Segment

    swap = {"S1": "S2", "S2": "S1"}
    segments, english, k = [], [], 0
    while k < len(older.segments):
        group = older.segments[k : k + 2] if k % 20 == 0 else older.segments[k : k + 1]
        words = tuple(replace(w, speaker=swap[w.speaker or "S1"]) for s in group for w in s.words)
        sid = len(segments)
        segments.append(
            Segment(sid, group[0].start, group[-1].end, "".join(w.word for w in words), words,
                    swap[group[0].speaker or "S1"])
        )  # fmt: skip
        english.append(Segment(sid, group[0].start, group[-1].end, f" new line {sid}"))
        k += len(group)
    return replace(older, segments=tuple(segments), translation=tuple(english))


def review_edits(transcript, count: int, rng: random.Random):
    from earwitness.review.edits import (
        AddAnnotation,
        AddQuote,
        CorrectText,
        SetSpeaker,
        SplitSegment,
    )

    edits = []
    for sid in rng.sample(range(len(transcript.segments)), count):
        segment = transcript.segments[sid]
        kind = rng.randrange(6)
        if kind == 0:
            edits.append(CorrectText(sid, segment.text + " сказал"))
        elif kind == 1:
            edits.append(CorrectText(sid, f"corrected {sid}", "translation"))
        elif kind == 2:
            edits.append(SetSpeaker(sid, "S3"))
        elif kind == 3:
            edits.append(SplitSegment(sid, 4))
        elif kind == 4:
            edits.append(AddAnnotation(segment.start, segment.end, "check", ("names",)))
        else:
            edits.append(AddQuote("press", segment.start, segment.end))
    return edits


def store(case, sha256: str, transcript):
    from earwitness.formats.transcript_json import render_json
    from earwitness.jobs.transcribe import TRANSCRIPT
    from earwitness.vault.artefacts import store_artefact

    return store_artefact(
        case, sha256, TRANSCRIPT.name, render_json(transcript), filename=TRANSCRIPT.filename,
        media_type=TRANSCRIPT.media_type, params={"generated": transcript.model_name},
        model_sha256=transcript.model_sha256, action="transcribe",
    )  # fmt: skip


def write_wav(path: Path, seconds: float) -> None:
    samples = (np.random.default_rng(1).normal(0, 0.05, int(seconds * 8000)) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(samples.tobytes())


def one_run(root: Path, segments: int, count: int) -> tuple[float, float, float, int, int]:
    from earwitness.jobs.carry_review import carry_review
    from earwitness.jobs.review import read_transcript, record_edit, reviewed_state
    from earwitness.jobs.review import review_edits as stored
    from earwitness.review.carry import plan_carry
    from earwitness.vault.case import Case
    from earwitness.vault.intake import ingest_paths

    rng = random.Random(7)
    case, _ = Case.init(root / "case")
    write_wav(root / "call.wav", 10.0)
    (outcome,) = ingest_paths(case, [root / "call.wav"])
    sha256 = str(outcome.sha256)
    older = make_transcript(sha256, segments, seconds_each=5.0)
    base = store(case, sha256, older)
    for edit in review_edits(older, count, rng):
        record_edit(case, sha256, base, edit, rng.choice(["anna", "boris"]))
    clock = time.perf_counter()
    reviewed_state(case, sha256)
    baseline = time.perf_counter() - clock
    newer = store(case, sha256, made_again(older))
    older_edits = stored(case, sha256, base.object_sha256)
    older_asr, newer_asr = read_transcript(case, base), read_transcript(case, newer)
    clock = time.perf_counter()
    plan_carry(older_asr, older_edits, newer_asr)
    planned = time.perf_counter() - clock
    clock = time.perf_counter()
    made = carry_review(case, sha256, "clara")
    carried = time.perf_counter() - clock
    return baseline, planned, carried, len(made.plan.edits), len(made.plan.left)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--segments", type=int, default=1400)
    parser.add_argument("--edits", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    results = []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            os.environ["XDG_CONFIG_HOME"] = str(root / "config")
            os.environ["EARWITNESS_ACTOR"] = "bench@lab"
            os.environ.pop("EARWITNESS_CASE", None)
            results.append(one_run(root, args.segments, args.edits))
            print(f"run {run + 1}: " + json.dumps([round(x, 3) for x in results[-1][:3]]))
    baseline, planned, carried = (statistics.median(r[k] for r in results) for k in range(3))
    edits, left = results[-1][3:]
    print(
        f"review carry: {args.segments} segments ({args.segments * 5 / 3600:.1f} h), "
        f"{args.edits} edits on the older transcript; {edits} carried, {left} left behind"
    )
    print(f"  baseline, the older review rebuilt from the case: {baseline:.2f} s")
    print(f"  plan alone: {planned:.2f} s ({planned / baseline:.2f}× the baseline)")
    print(f"  carry-review (read, plan, record {edits} signed edits): {carried:.2f} s "
          f"({carried / baseline:.2f}× the baseline)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
