"""Diarization error rate for ``bench/speech/run.py`` (and the turn rule's bench): pyannote's
RTTM and UEM files read, oracle speech regions, and the DER table.

DER uses pyannote.metrics ``DiarizationErrorRate(collar=0.5, skip_overlap=False)``: a collar of
0.25 s either side of every reference boundary is not scored, and overlapped speech is scored.
The evaluated region is the ``.uem`` where one exists, else the whole file.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from earwitness.speech.vad import SAMPLE_RATE, SpeechMap


def read_rttm(path: Path, uri: str) -> list[tuple[float, float, str]]:
    turns = []
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "SPEAKER" and fields[1] == uri:
            start = float(fields[3])
            turns.append((start, start + float(fields[4]), fields[7]))
    return turns


def read_uem(path: Path, uri: str) -> tuple[float, float] | None:
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == uri:
            return float(fields[2]), float(fields[3])
    return None


def oracle_regions(turns: list[tuple[float, float, str]]) -> list[tuple[float, float]]:
    """The union of the reference turns (overlaps merged; an unbounded window keeps each whole)."""
    return list(SpeechMap.build([(start, end) for start, end, _ in turns], math.inf).regions)


def diarization_table(
    load: Callable[[Path], np.ndarray], pyannote: Path
) -> list[dict[str, object]]:
    """DER of ``speech.diarize`` on pyannote-audio's labelled recordings (``pyannote``, read
    with ``load`` at 16 kHz), from VAD and from oracle speech regions, with the number of
    speakers found and given; one row per recording, regions and speaker count."""
    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    from earwitness.speech.diarize import diarize
    from earwitness.speech.speaker_encoder import SpeakerEncoder
    from earwitness.speech.vad import speech_regions

    def annotation(turns: list[tuple[float, float, str]], uri: str) -> Annotation:
        out = Annotation(uri=uri)
        for index, (start, end, label) in enumerate(turns):
            out[Segment(start, end), index] = label
        return out

    cases = [("sample", pyannote / "sample" / "sample.wav", pyannote / "sample" / "sample.rttm")]
    for uri, split in (("dev00", "development"), ("dev01", "development")):
        cases.append(
            (
                uri,
                pyannote / "tests_data" / f"{uri}.wav",
                pyannote / "tests_data" / f"debug.{split}.rttm",
            )
        )
    for uri in ("tst00", "tst01"):
        cases.append(
            (
                uri,
                pyannote / "tests_data" / f"{uri}.wav",
                pyannote / "tests_data" / "debug.test.rttm",
            )
        )
    encoder = SpeakerEncoder()
    rows: list[dict[str, object]] = []
    for uri, wav, rttm in cases:
        samples = load(wav)
        duration = len(samples) / SAMPLE_RATE
        reference_turns = read_rttm(rttm, uri)
        reference = annotation(reference_turns, uri)
        span = read_uem(rttm.with_suffix(".uem"), uri) or (0.0, duration)
        uem = Timeline([Segment(*span)], uri=uri)
        speakers = len({label for _, _, label in reference_turns})
        vad = speech_regions(samples)
        for regions_name, regions in (("VAD", vad), ("oracle", oracle_regions(reference_turns))):
            for count in (None, speakers):
                started = time.perf_counter()
                turns = diarize(samples, regions, num_speakers=count, encoder=encoder)
                took = time.perf_counter() - started
                metric = DiarizationErrorRate(collar=0.5, skip_overlap=False)
                hypothesis = annotation(turns, uri)
                parts = metric(reference, hypothesis, uem=uem, detailed=True)
                total = parts["total"]
                rows.append(
                    {
                        "recording": uri,
                        "ref_speakers": speakers,
                        "regions": regions_name,
                        "speakers_arg": "auto" if count is None else str(count),
                        "found": len({label for _, _, label in turns}),
                        "der": parts["diarization error rate"],
                        "miss": parts["missed detection"] / total,
                        "false_alarm": parts["false alarm"] / total,
                        "confusion": parts["confusion"] / total,
                        "seconds": took,
                    }
                )
                row = rows[-1]
                print(
                    f"  DER {uri} {regions_name} speakers={row['speakers_arg']}: "
                    f"{row['der']:.3f} ({row['found']} found)",
                    flush=True,
                )
    return rows
