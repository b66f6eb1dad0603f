"""What the validation split shows, for ``fit.py``: the goals of issue 14 with their values,
the limits measured for reports (the ENF turn seen half the time by hum level, the untraceable
class, low bit rates), and the markdown tables for ``bench/RESULTS.md``."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
from tamper_truth import edit_points, is_real, near_true_edit

from earwitness.forensics.evaluation.calibration import REPORTED, Calibration
from earwitness.forensics.evaluation.calibrators import LogisticCalibration


def located_traceable(rows: list[dict[str, Any]]) -> tuple[int, int, int, int]:
    """(traceable located, traceable, untraceable located, untraceable) over edited files
    with ENF: an edit point is located when a reported point lies within TOLERANCE_S."""
    counts = [0, 0, 0, 0]
    for row in rows:
        entry = row["entry"]
        if not entry["edited"] or entry.get("enf") in (None, "none"):
            continue
        reported = [
            f for f in row["findings"] if f["kind"] == "edit_point" and f["score"] >= REPORTED
        ]
        for point in edit_points(entry):
            hit = any(near_true_edit({"edit_times": [point["time"]]}, f) for f in reported)
            slot = 0 if point["traceable"] else 2
            counts[slot] += int(hit)
            counts[slot + 1] += 1
    return counts[0], counts[1], counts[2], counts[3]


def traceable_file(row: dict[str, Any]) -> bool:
    return all(point["traceable"] for point in edit_points(row["entry"]))


def enf_turn_bands(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per band of ENF SNR: the phase turn located about half the time (a logistic fit of
    located against log turn), from edit points with no level step of 1 dB or more."""
    bands = []
    edges = [-100.0, 5.0, 10.0, 20.0]
    for low, high in zip(edges, [*edges[1:], 1000.0], strict=True):
        turns, hits = [], []
        for row in rows:
            enf = next((c for c in row["checks"] if c["name"] == "enf"), None)
            snr = (enf or {}).get("metrics", {}).get("snr_db")
            if not row["entry"]["edited"] or snr is None or not (low <= snr < high):
                continue
            reported = [
                f for f in row["findings"] if f["kind"] == "edit_point" and f["score"] >= REPORTED
            ]
            for point in edit_points(row["entry"]):
                if point.get("turn_deg") is None or abs(point.get("step_db") or 0) >= 1:
                    continue
                turns.append(max(abs(point["turn_deg"]), 0.5))
                hits.append(
                    int(any(near_true_edit({"edit_times": [point["time"]]}, f) for f in reported))
                )
        turn = None
        if len(set(hits)) == 2 and len(hits) >= 8:
            model = LogisticCalibration.fit(np.log(turns), np.asarray(hits), regularisation=1e-2)
            slope, intercept = model.coefficients[0], model.intercept
            if slope > 0:
                turn = round(float(np.exp(-intercept / slope)), 1)
                turn = min(max(turn, 1.0), 180.0)
        bands.append({"snr_db_from": low, "snr_db_to": high, "turn_deg": turn, "n": len(hits)})
    # A stronger hum never makes a turn harder to see: where a band measured a larger turn
    # than a weaker band (too few edits to say better), the weaker band's figure stands.
    smallest = None
    for band in bands:
        if band["turn_deg"] is not None:
            if smallest is not None and band["turn_deg"] > smallest:
                band["turn_deg"] = smallest
            smallest = band["turn_deg"]
    return bands


def located_without_hum(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Edit points located (a reported point within TOLERANCE_S) in edited files without
    ENF, in all and by kind of edit (whole-cycle deletions counted as deletions): what a
    report on a recording without hum can say the other checks find."""
    kinds: dict[str, list[int]] = {}
    for row in rows:
        entry = row["entry"]
        if not entry["edited"] or entry.get("enf") not in (None, "none"):
            continue
        reported = [
            f for f in row["findings"] if f["kind"] == "edit_point" and f["score"] >= REPORTED
        ]
        kind = str(entry.get("edit_kind", "")).removesuffix("_whole_cycles")
        for point in edit_points(entry):
            hit = any(near_true_edit({"edit_times": [point["time"]]}, f) for f in reported)
            counts = kinds.setdefault(kind, [0, 0])
            counts[0] += int(hit)
            counts[1] += 1
    if not kinds:
        return {}
    return {
        "located": sum(located for located, _ in kinds.values()),
        "count": sum(count for _, count in kinds.values()),
        "kinds": {kind: kinds[kind] for kind in sorted(kinds)},
    }


def low_bit_rate_share(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Located share of edit points in files without ENF: coded at ≤ 32 kbit/s against PCM."""
    shares: dict[str, list[int]] = {"low": [], "pcm": []}
    for row in rows:
        entry = row["entry"]
        if not entry["edited"] or entry.get("enf") not in (None, "none"):
            continue
        codec = str(entry.get("codec", ""))  # e.g. "opus16", "aac32_opus24": kbit/s in the name
        rates = [int(number) for number in re.findall(r"\d+", codec)]
        group = "pcm" if codec == "wav" else "low" if rates and max(rates) <= 32 else None
        if group is None:
            continue
        reported = [
            f for f in row["findings"] if f["kind"] == "edit_point" and f["score"] >= REPORTED
        ]
        for point in edit_points(entry):
            shares[group].append(
                int(any(near_true_edit({"edit_times": [point["time"]]}, f) for f in reported))
            )
    if not shares["low"] or not shares["pcm"]:
        return {}
    return {
        "located_low": round(float(np.mean(shares["low"])), 3),
        "located_pcm": round(float(np.mean(shares["pcm"])), 3),
        "n_low": len(shares["low"]),
        "n_pcm": len(shares["pcm"]),
    }


def duration_of(row: dict[str, Any]) -> float:
    return float(row.get("audio_s") or row["entry"].get("duration") or 60.0)


def apply_files(fitted: Calibration, rows: list[dict[str, Any]]) -> np.ndarray:
    """Each row's whole-file log10 LR, exactly as the examination computes it."""
    values = []
    for row in rows:
        value = fitted.file_log10_lr(row["checks"], row["findings"], duration_of(row))
        values.append(0.0 if value is None else value)
    return np.asarray(values)


def goals_of(
    systems: list[dict[str, Any]], validate: list[dict[str, Any]], fitted: Calibration
) -> list[dict[str, Any]]:
    by_key = {s["key"]: s for s in systems}
    goals: list[dict[str, Any]] = []

    def goal(text: str, value: float | None, met: bool, shown: str) -> None:
        goals.append({"goal": text, "value": shown if value is not None else "n/a", "met": met})

    for key, text, limit in (
        ("file-enf-traceable", "Cllr ≤ 0.3 with ENF (edits leaving a trace)", 0.3),
        ("file-no-enf", "Cllr ≤ 0.6 without ENF", 0.6),
    ):
        value = by_key.get(key, {}).get("cllr")
        goal(text, value, value is not None and value <= limit, f"{value}")
    for key, text, limit in (
        ("file-enf-traceable", "AUC ≥ 0.99 with ENF (edits leaving a trace)", 0.99),
        ("file-no-enf", "AUC ≥ 0.85 without ENF", 0.85),
    ):
        value = by_key.get(key, {}).get("auc")
        goal(text, value, value is not None and value >= limit, f"{value}")
    hit, total, u_hit, u_total = located_traceable(validate)
    share = hit / total if total else None
    goal(
        "≥ 95 % of edit points leaving an ENF trace located (±0.5 s)",
        share,
        share is not None and share >= 0.95,
        f"{hit}/{total} ({share:.1%})" if share is not None else "n/a",
    )
    for strength in (6.0, 10.0):
        hummed = [
            row for row in validate if (row["entry"].get("enf_band_snr_db") or -99) >= strength
        ]
        hit_s, total_s, _, _ = located_traceable(hummed)
        goals.append(
            {
                "goal": f"… of which in files whose hum stands ≥ {strength:g} dB in its band",
                "value": f"{hit_s}/{total_s}" + (f" ({hit_s / total_s:.1%})" if total_s else ""),
                "met": None,
            }
        )
    goals.append(
        {
            "goal": "edits leaving no ENF trace (reported apart: the measured ceiling)",
            "value": f"{u_hit}/{u_total} located",
            "met": None,
        }
    )
    real = [row for row in validate if is_real(row["entry"]) and not row["entry"]["edited"]]
    strong = sum(
        1
        for row in real
        for f in row["findings"]
        if f["kind"] == "edit_point" and f["score"] >= REPORTED
    )
    goal(
        "real unedited recordings and transcodes (validation split): no edit point ≥ 0.5",
        strong,
        strong == 0,
        f"{strong} in {len(real)} files",
    )
    real_llrs = apply_files(fitted, real) if real else np.zeros(0)
    above = int(np.sum(real_llrs >= 1.0))  # LR 10 is already "moderate support"
    goal(
        "… and no conclusion stronger than weak support (log10 LR < 1)",
        above,
        above == 0,
        f"{above} of {len(real)}; highest {float(real_llrs.max()) if len(real_llrs) else 0:+.2f}",
    )
    truncated = [row for row in validate if row["entry"].get("truncated")]
    flagged = sum(any(f["kind"] == "truncation" for f in row["findings"]) for row in truncated)
    goal(
        "every truncated file carries a truncation finding",
        flagged,
        flagged == len(truncated),
        f"{flagged}/{len(truncated)}",
    )
    return goals


def markdown(
    systems: list[dict[str, Any]], goals: list[dict[str, Any]], limits: dict[str, Any]
) -> str:
    lines = [
        "| system (validation split) | bases | targets | non-targets | Cllr (90 % over bases) "
        "| Cllr_min | AUC (90 % over bases) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def spread(s: dict[str, Any], name: str) -> str:
        interval = s.get(f"{name}_interval")
        shown = f"{s[name]:.3f}"
        return f"{shown} ({interval[0]:.2f}–{interval[1]:.2f})" if interval else shown

    for s in systems:
        lines.append(
            f"| {s['title']} | {s.get('bases', '')} | {s['targets']} | {s['nontargets']} | "
            f"{spread(s, 'cllr')} | {s['cllr_min']:.3f} | {spread(s, 'auc')} |"
        )
    lines += ["", "| goal | value | met |", "| --- | --- | --- |"]
    for g in goals:
        met = "—" if g["met"] is None else "yes" if g["met"] else "**no**"
        lines.append(f"| {g['goal']} | {g['value']} | {met} |")
    lines += ["", f"limits: {json.dumps(limits, ensure_ascii=False)}"]
    return "\n".join(lines)
