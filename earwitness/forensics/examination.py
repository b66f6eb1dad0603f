"""The examination as a typed value: what ``examine`` returns and what a stored report reads
back as. ``report`` is the JSON of ``examination.schema.json``; the plotted series travel beside
it (``series_to_bytes``), so a report can be re-rendered from storage without recomputing.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from earwitness.forensics.findings import CheckResult, Finding, Series

SCHEMA_ID = "earwitness.examination/1"
SERIES_FORMAT = "earwitness.examination-series/1"


@dataclass(frozen=True)
class ExhibitRecord:
    """The report's ``exhibit``: the file examined."""

    sha256: str
    filename: str
    size_bytes: int
    media: dict[str, Any]  # container and stream facts as probed; placeholders when unreadable

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "filename": self.filename,
            "size_bytes": self.size_bytes,
            "media": self.media,
        }


@dataclass(frozen=True)
class ToolRecord:
    """The report's ``tool``: what examined it, with which parameters."""

    name: str
    version: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "parameters": self.parameters}


@dataclass(frozen=True)
class Summary:
    edit_score: float  # the highest edit-point score, 0 if none
    text: str  # the neutral paragraph
    # Calibrated evidence over the whole file, the evaluative conclusion in words (with its
    # ENFSI scale term) and what this examination of this file could not have detected.
    log10_lr: float | None = None
    conclusion: str | None = None
    limitations: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"edit_score": self.edit_score, "text": self.text}
        if self.log10_lr is not None:
            data["log10_lr"] = self.log10_lr
        if self.conclusion is not None:
            data["conclusion"] = self.conclusion
        if self.limitations:
            data["limitations"] = list(self.limitations)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Summary:
        return cls(
            edit_score=data["edit_score"],
            text=data["text"],
            log10_lr=data.get("log10_lr"),
            conclusion=data.get("conclusion"),
            limitations=tuple(data.get("limitations") or ()),
        )


@dataclass(frozen=True)
class Examination:
    """One examination of one recording.

    ``checks`` keep their own findings and series; ``findings`` lists all findings by time
    (then highest score first), as the report does. ``complete`` is False when any check
    failed: such a result is reported but must not be cached as the answer.
    """

    exhibit: ExhibitRecord
    tool: ToolRecord
    created_at: str
    duration_s: float
    checks: tuple[CheckResult, ...]
    findings: tuple[Finding, ...]
    summary: Summary
    schema: str = SCHEMA_ID

    @property
    def complete(self) -> bool:
        return all(check.status != "error" for check in self.checks)

    @property
    def series(self) -> dict[str, dict[str, Series]]:
        """Check name → series key → series, for the checks that measured any."""
        return {check.name: dict(check.series) for check in self.checks if check.series}

    @property
    def report(self) -> dict[str, Any]:
        """The JSON report (plain JSON types, key order fixed by the schema's history)."""
        return clean(
            {
                "schema": self.schema,
                "exhibit": self.exhibit.to_dict(),
                "tool": self.tool.to_dict(),
                "created_at": self.created_at,
                "duration_s": self.duration_s,
                "checks": [check.to_dict() for check in self.checks],
                "findings": [finding.to_dict() for finding in self.findings],
                "summary": self.summary.to_dict(),
            }
        )

    @classmethod
    def from_report(
        cls,
        report: Mapping[str, Any],
        series: Mapping[str, Mapping[str, Series]] | None = None,
    ) -> Examination:
        """Read a report (as ``report`` gives it, or as stored) back into typed values; the
        series, if given (``series_from_bytes``), are attached to their checks."""
        series = series or {}
        findings = tuple(Finding.from_dict(f) for f in report["findings"])
        checks = tuple(
            CheckResult.from_dict(
                entry,
                [f for f in findings if f.check == entry["name"]],
                series.get(entry["name"]),
            )
            for entry in report["checks"]
        )
        exhibit = report["exhibit"]
        tool = report["tool"]
        summary = report["summary"]
        return cls(
            exhibit=ExhibitRecord(
                exhibit["sha256"], exhibit["filename"], exhibit["size_bytes"], exhibit["media"]
            ),
            tool=ToolRecord(tool["name"], tool["version"], dict(tool.get("parameters") or {})),
            created_at=report["created_at"],
            duration_s=report["duration_s"],
            checks=checks,
            findings=findings,
            summary=Summary.from_dict(summary),
            schema=report["schema"],
        )


def clean(value: Any) -> Any:
    """Plain JSON types only: NumPy values become numbers and lists, NaN becomes None, floats
    are rounded to 6 decimals. Idempotent, so a report read back serialises to the same JSON."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return clean(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        number = float(value)
        return None if not np.isfinite(number) else round(number, 6)
    return value


SeriesSet = Mapping[str, Mapping[str, Series]]  # check name → series key → series


def series_to_bytes(series: SeriesSet) -> bytes:
    """Plotted series (an examination's ``.series``) as an ``.npz`` (no pickles): ``t0``/``v0``, …
    and a JSON index naming each one's check, key and captions."""
    index: list[dict[str, str]] = []
    arrays: dict[str, np.ndarray] = {}
    for check, by_key in series.items():
        for key, item in by_key.items():
            number = len(index)
            arrays[f"t{number}"] = np.asarray(item.times, dtype=np.float64)
            arrays[f"v{number}"] = np.asarray(item.values, dtype=np.float64)
            index.append(
                {
                    "check": check,
                    "key": key,
                    "title": item.title,
                    "caption": item.caption,
                    "value_label": item.value_label,
                    "colour": item.colour,
                }
            )
    meta = {"format": SERIES_FORMAT, "series": index}
    arrays["index"] = np.array(json.dumps(meta, ensure_ascii=False, sort_keys=True))
    buffer = io.BytesIO()
    # Written member by member with a fixed date, so the same series give the same bytes (and
    # the same hash in the store); np.savez would stamp the current time.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def series_from_bytes(data: bytes) -> dict[str, dict[str, Series]]:
    """Check name → key → series, from ``series_to_bytes``; for ``Examination.from_report``."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        meta = json.loads(str(archive["index"]))
        if meta.get("format") != SERIES_FORMAT:
            raise ValueError(f"not an examination series file: {meta.get('format')!r}")
        result: dict[str, dict[str, Series]] = {}
        for number, entry in enumerate(meta["series"]):
            result.setdefault(entry["check"], {})[entry["key"]] = Series(
                archive[f"t{number}"],
                archive[f"v{number}"],
                title=entry["title"],
                caption=entry["caption"],
                value_label=entry["value_label"],
                colour=entry["colour"],
            )
    return result
