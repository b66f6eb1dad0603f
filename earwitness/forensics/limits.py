"""What an examination of this file could not have detected, said for the file at hand.

"No edit found" must never read as "unedited". Each sentence here names a kind of edit the
methods would miss in *this* recording — given its length, its mains hum (or none), its codec
and bit rate, what is missing from it — with the figures measured in validation where the
calibration carries them (``Calibration.limits``, written by ``bench/calibration/fit.py``).
Pure: the checks' results and the exhibit's facts in, sentences out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from earwitness.forensics.findings import CheckResult, Finding
from earwitness.forensics.splices import speed_unseen

LOSSY_CODECS = frozenset({"mp3", "aac", "opus", "vorbis", "amr_nb", "amr_wb", "wmav2", "gsm"})
LOW_BIT_RATE = 32_000  # messenger voice notes: 16–32 kbit/s


def _enf_sentence(enf: CheckResult | None, limits: Mapping[str, Any]) -> str:
    if enf is None or not enf.metrics.get("present"):
        return (
            "No mains hum (ENF) was found, so the most sensitive test for cuts could not be "
            "applied; the other checks see an edit only where the background, the waveform or "
            "a repeated stretch betrays it."
        )
    snr = enf.metrics.get("snr_db")
    turn = smallest_turn_deg(limits, snr)
    level = f"at this file's hum level ({snr:.1f} dB above its surroundings)" if snr else ""
    if turn is None:
        seen = "Edits that leave the mains hum's phase and level continuous leave no ENF trace"
    else:
        seen = (
            f"In validation, {level} edits were mostly missed by the ENF test when they "
            f"turned the hum's phase by less than about {turn:.0f}° and stepped its level by "
            "less than 1 dB"
        )
    return (
        seen + "; a deletion of a whole number of mains cycles (at 50 Hz e.g. exactly 3.000 s) "
        "turns the phase by nothing at all and cannot be seen by it."
    )


def smallest_turn_deg(limits: Mapping[str, Any], snr_db: float | None) -> float | None:
    """The ENF phase turn that validation found located about half the time at hum level
    ``snr_db`` (the nearest band measured), or None when the calibration does not say."""
    bands = limits.get("enf_turn_deg_by_snr") or []
    if snr_db is None or not bands:
        return None
    chosen = None
    for band in bands:  # sorted by lower edge; the last band whose edge the SNR reaches
        if snr_db >= float(band["snr_db_from"]) and band.get("turn_deg") is not None:
            chosen = float(band["turn_deg"])
    if chosen is None and bands[0].get("turn_deg") is not None:
        chosen = float(bands[0]["turn_deg"])
    return chosen


# The benchmark's kinds of edit, as a reader knows them (an insertion has two ends).
EDIT_KIND_WORDS = {
    "splice": "joins of two recordings",
    "insertion": "ends of inserted material",
    "deletion": "deletions",
}


def _located_without_hum(measured: Mapping[str, Any]) -> str | None:
    """What validation located in recordings without hum, by kind of edit: the figure a
    reader of a report on such a recording needs, not the ceiling of hummed ones."""
    kinds = measured.get("kinds")
    if not measured.get("count") or not isinstance(kinds, Mapping):
        return None
    parts = [
        f"{counts[0]} of {counts[1]} {words}"
        for kind, words in EDIT_KIND_WORDS.items()
        if isinstance(counts := kinds.get(kind), list) and len(counts) == 2
    ]
    return (
        f"In validation, on recordings without mains hum, {measured['located']} of "
        f"{measured['count']} edit points were located within 0.5 s"
        + (f" ({', '.join(parts)})" if parts else "")
        + ": a deletion without hum is found only where the background or the waveform "
        "steps at the cut."
    )


def _codec_sentence(media: Mapping[str, Any], limits: Mapping[str, Any]) -> str | None:
    codec = str(media.get("codec") or "")
    if codec not in LOSSY_CODECS:
        return None
    bit_rate = media.get("bit_rate")
    rate = f" at {round(bit_rate / 1000)} kbit/s" if isinstance(bit_rate, int | float) else ""
    measured = limits.get("low_bit_rate") or {}
    low = isinstance(bit_rate, int | float) and bit_rate <= LOW_BIT_RATE
    if (
        low
        and measured.get("located_low") is not None
        and measured["located_low"] < measured["located_pcm"]
    ):
        return (
            f"The file is coded lossily ({codec}{rate}). At {LOW_BIT_RATE // 1000} kbit/s and "
            f"below, codec noise masks small steps in the background: in validation "
            f"{measured['located_low']:.0%} of edits without an ENF trace were located in "
            f"such files, against {measured['located_pcm']:.0%} in uncompressed ones."
        )
    return (
        f"The file is coded lossily ({codec}{rate}); codec noise can mask small steps in "
        "the background and single-sample discontinuities"
        + (", the more so at low bit rates." if not low else "; this bit rate is low.")
    )


def file_limitations(
    duration_s: float,
    checks: Sequence[CheckResult],
    findings: Sequence[Finding],
    media: Mapping[str, Any],
    limits: Mapping[str, Any],
) -> list[str]:
    """The limitations of this examination of this file, one sentence each."""
    by_name = {check.name: check for check in checks}
    sentences = [_enf_sentence(by_name.get("enf"), limits)]
    sentences.append(
        "A deletion made inside a stationary background (part of a pause, with nothing "
        "changing across the cut) leaves no step in the noise floor or the spectrum; where the "
        "mains hum does not betray it either, it cannot be detected by these methods."
    )
    enf = by_name.get("enf")
    hummed = enf is not None and bool(enf.metrics.get("present"))
    ceiling = limits.get("untraceable") or {}
    located = _located_without_hum(limits.get("without_hum") or {})
    if not hummed and located:
        sentences.append(located)
    elif ceiling.get("count"):
        sentences.append(
            f"In validation, {ceiling['located']} of {ceiling['count']} edits that left no "
            "ENF trace were located: that is the measured ceiling for such edits."
        )
    hidden = [finding for finding in findings if speed_unseen(finding)]
    if hidden:
        places = ", ".join(f"{(f.start_s + f.end_s) / 2:.1f} s" for f in hidden[:5])
        sentences.append(
            f"Near {places}{' and elsewhere' if len(hidden) > 5 else ''} the background "
            "changes under speech, where no pause shows whether it changed at once, as at a "
            "join, or over a second or so, as when the speaker moves or a door opens: such a "
            "step is reported below 0.5 and weighs only as much as the validation data say."
        )
    codec = _codec_sentence(media, limits)
    if codec:
        sentences.append(codec)
    if duration_s < 60:
        sentences.append(
            f"The recording is short ({duration_s:.0f} s): ENF and noise-floor statistics "
            "rest on little data."
        )
    for finding in findings:
        if finding.kind == "truncation":
            missing = finding.evidence.get("missing_s")
            amount = f"about {float(missing):.1f} s" if isinstance(missing, int | float) else ""
            sentences.append(
                f"The file is truncated ({amount or 'part'} declared but absent): what is "
                "missing cannot be examined."
            )
            break
    failed = [check.name for check in checks if check.status == "error"]
    if failed:
        sentences.append(
            "These checks failed and say nothing about the recording: " + ", ".join(failed) + "."
        )
    sentences.append(
        "The likelihood ratios are calibrated on the benchmark described under Method and "
        "validation (synthetic conversations and real recordings, with their messenger "
        "transcodes); for recordings unlike them they are an approximation, and none is "
        "reported beyond what that validation data can support."
    )
    return sentences
