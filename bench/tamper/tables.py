"""The runner's new rows (issue 14): per split, edits that leave an ENF trace and those that
do not, real unedited recordings and their transcodes, genuine artefacts, truncated files,
calibrated likelihood ratios when the reports carry them, and speed.

Every function reads the runner's per-file results (``entry`` from the manifest, and what the
report said); fields the examination may or may not fill (``log10_lr``, ``verbal``,
``summary.log10_lr``, ``summary.conclusion``) are used when present.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from scoring import THRESHOLD, TOLERANCE_S, auc, distance

Result = dict[str, Any]
SPLITS = (("both splits", None), ("calibration", "calibration"), ("validation", "validation"))
WEAK_LOG10_LR = 1.0  # above this the ENFSI scale says more than "weak support"


def _fmt(value: float, percent: bool = False, digits: int = 3) -> str:
    if value != value:  # NaN
        return "–"
    return f"{100 * value:.1f} %" if percent else f"{value:.{digits}f}"


def synthetic_set(results: list[Result]) -> list[Result]:
    """The synthetic recordings that are not truncated: the old benchmark's population."""
    return [
        r
        for r in results
        if r["entry"].get("kind", "synthetic") == "synthetic" and not r["entry"].get("truncated")
    ]


def _in_split(results: list[Result], split: str | None) -> list[Result]:
    return [r for r in results if split is None or r["entry"].get("split") == split]


def _located(r: Result, index: int) -> bool:
    t = r["entry"]["edit_times"][index]
    return any(distance(p, t) <= TOLERANCE_S for p in r["points"])


def _traceable(entry: dict[str, Any]) -> list[bool | None]:
    marks = entry.get("traceable")
    return list(marks) if isinstance(marks, list) else [None] * len(entry["edit_times"])


def enf_trace_rows(results: list[Result]) -> str:
    """With ENF present: AUC counting only files whose edit points all leave an ENF trace
    (against every clean file with ENF) and the share of traceable points located; the edits
    below the trace apart, as the measured ceiling."""
    lines = [
        "| split | edits | edited files | clean files | AUC | points located (±0.5 s) |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, split in SPLITS:
        members = [
            r for r in _in_split(synthetic_set(results), split) if r["entry"]["enf"] != "none"
        ]
        clean = [r for r in members if not r["entry"]["edited"]]
        for label, wanted in (("leave an ENF trace", True), ("below the trace (ceiling)", False)):
            if wanted:
                files = [
                    r
                    for r in members
                    if r["entry"]["edited"] and all(m is True for m in _traceable(r["entry"]))
                ]
            else:
                files = [
                    r
                    for r in members
                    if r["entry"]["edited"] and any(m is False for m in _traceable(r["entry"]))
                ]
            points = [
                _located(r, i)
                for r in members
                if r["entry"]["edited"]
                for i, mark in enumerate(_traceable(r["entry"]))
                if mark is wanted
            ]
            located = (
                f"{_fmt(sum(points) / len(points), percent=True)} of {len(points)}"
                if points
                else "–"
            )
            area = auc([r["edit_score"] for r in files], [r["edit_score"] for r in clean])
            lines.append(
                f"| {name} | {label} | {len(files)} | {len(clean)} | {_fmt(area)} | {located} |"
            )
    return "\n".join(lines)


def _file_lr(r: Result) -> float | None:
    value = r.get("summary", {}).get("log10_lr")
    return float(value) if isinstance(value, int | float) else None


def negatives_row(name: str, members: list[Result]) -> str:
    """Files, edit points ≥ 0.5 (each one a false alarm), the largest score, and, when the
    reports carry them, the largest file log10 LR and how many exceed weak support."""
    points = [p for r in members for p in r["points"]]
    lrs = [lr for r in members if (lr := _file_lr(r)) is not None]
    checks = Counter(p["check"] for p in points)
    largest = max((r["edit_score"] for r in members), default=float("nan"))
    return (
        f"| {name} | {len(members)} | {len(points)} | {_fmt(largest)} "
        f"| {_fmt(max(lrs), digits=2) if lrs else '–'} "
        f"| {sum(lr > WEAK_LOG10_LR for lr in lrs) if lrs else '–'} "
        f"| {', '.join(f'{c} {n}' for c, n in checks.most_common()) or '–'} |"
    )


def negative_rows(results: list[Result]) -> str:
    """Real unedited recordings (as they are, decoded, messenger transcodes, with and without
    real hum) and the synthetic genuine recordings with real-world artefacts."""
    lines = [
        f"| negatives | files | edit points ≥ {THRESHOLD} | largest edit score "
        f"| largest file log10 LR | files log10 LR > {WEAK_LOG10_LR:g} | points by check |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    real = [
        r for r in results if r["entry"].get("kind") == "real" and not r["entry"].get("truncated")
    ]
    rows: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
        ("", lambda e: True),
        (", as they are + WAV", lambda e: e["codec"] in ("original", "wav")),
        (", messenger transcodes", lambda e: "messenger_bitrate" in e.get("artefacts", [])),
        (", with real hum", lambda e: e["enf"] != "none"),
        (", without hum", lambda e: e["enf"] == "none"),
    ]
    for name, split in SPLITS:
        for label, test in rows:
            members = [r for r in _in_split(real, split) if test(r["entry"])]
            if members and (split is None or not label):
                lines.append(negatives_row(f"real, {name}{label}", members))
    clean = [r for r in synthetic_set(results) if not r["entry"]["edited"]]
    for artefact in (
        "dropouts",
        "room_change",
        "onset_after_silence",
        "messenger_bitrate",
        "codec_chain",
    ):
        members = [r for r in clean if artefact in r["entry"].get("artefacts", [])]
        if members:
            lines.append(negatives_row(f"synthetic clean with {artefact}", members))
    return "\n".join(lines)


def truncation_rows(results: list[Result]) -> str:
    """How many truncated files carry a ``truncation`` finding, by codec and origin."""
    cut = [r for r in results if r["entry"].get("truncated")]
    if not cut:
        return "no truncated files"

    def flagged(r: Result) -> bool:
        return any(
            f.get("kind") == "truncation" or f.get("check") == "truncation"
            for f in r.get("findings", [])
        )

    lines = [
        "| truncated | files | with a truncation finding | missed (first three) |",
        "| --- | ---: | ---: | --- |",
    ]
    groups = [("all", cut)]
    groups += [
        (f"codec {c}", [r for r in cut if r["entry"]["codec"] == c])
        for c in sorted({r["entry"]["codec"] for r in cut})
    ]
    groups += [
        (f"{k}", [r for r in cut if r["entry"].get("kind") == k]) for k in ("synthetic", "real")
    ]
    for name, members in groups:
        if members:
            missed = [r["entry"]["path"] for r in members if not flagged(r)]
            lines.append(
                f"| {name} | {len(members)} | {len(members) - len(missed)} "
                f"| {', '.join(missed[:3]) or '–'} |"
            )
    return "\n".join(lines)


def cllr(log10_target: list[float], log10_nontarget: list[float]) -> float:
    """The log-likelihood-ratio cost of base-10 LRs (0 perfect, 1 uninformative), by the
    project's evaluation library; NaN when a class is empty."""
    if not log10_target or not log10_nontarget:
        return float("nan")
    from earwitness.forensics.evaluation.metrics import cllr as library_cllr

    labels = [1] * len(log10_target) + [0] * len(log10_nontarget)
    return library_cllr([*log10_target, *log10_nontarget], labels)


def lr_rows(results: list[Result]) -> str:
    """File-level Cllr per split, with and without ENF, when the reports carry
    ``summary.log10_lr`` (synthetic files, not truncated; traceable edits only with ENF)."""
    members = [r for r in synthetic_set(results) if _file_lr(r) is not None]
    if not members:
        return "no summary.log10_lr in the reports: no Cllr"
    lines = [
        "| split | ENF | targets | non-targets | Cllr | AUC |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, split in SPLITS:
        for enf, test in (
            ("present (traceable edits)", lambda e: e["enf"] != "none"),
            ("absent", lambda e: e["enf"] == "none"),
        ):
            group = [r for r in _in_split(members, split) if test(r["entry"])]
            targets = [
                _file_lr(r)
                for r in group
                if r["entry"]["edited"]
                and (r["entry"]["enf"] == "none" or all(m is True for m in _traceable(r["entry"])))
            ]
            nontargets = [_file_lr(r) for r in group if not r["entry"]["edited"]]
            t = [x for x in targets if x is not None]
            n = [x for x in nontargets if x is not None]
            lines.append(
                f"| {name} | {enf} | {len(t)} | {len(n)} | {_fmt(cllr(t, n))} | {_fmt(auc(t, n))} |"
            )
    return "\n".join(lines)


def speed_line(results: list[Result]) -> str:
    audio = sum(r["audio_s"] for r in results)
    decode = sum(r["decode_s"] for r in results)
    examine = sum(r["examine_s"] for r in results)
    return (
        f"speed: decode + examine {audio / (decode + examine):.0f}x real time per core, "
        f"examine alone {audio / examine:.0f}x (goal ≥ 100x)"
    )


def new_tables(results: list[Result]) -> str:
    return "\n\n".join(
        [
            "Edits with ENF present, by the ENF trace they leave (ground truth on the pure hum):",
            enf_trace_rows(results),
            "Negatives: every edit point reported on them is false.",
            negative_rows(results),
            "Truncated files:",
            truncation_rows(results),
            "Calibrated file log10 LRs:",
            lr_rows(results),
            speed_line(results),
        ]
    )
