"""What every examination returns: a check result with neutral findings (shape of the schema),
and the curves it measured for the report to plot.

Scores are comparable across files and checks: 0 = no indication, 1 = certain. ``kind`` is one
of the values ``examination.schema.json`` allows for a finding (``FINDING_KINDS``; a test keeps
the two equal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, get_args

import numpy as np

INDICATION = 0.5  # a finding scored at least this much is called an indication in the summary

FindingKind = Literal[
    "edit_point",
    "reencoding",
    "bandwidth_limit",
    "upsampling",
    "clipping",
    "digital_silence",
    "dc_offset",
    "metadata_inconsistency",
    "truncation",
    "dropout",
    "other",
]
FINDING_KINDS: tuple[str, ...] = get_args(FindingKind)
CheckStatus = Literal["ok", "not_applicable", "error"]


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    check: str
    start_s: float
    end_s: float
    score: float
    description: str
    evidence: dict[str, Any] = field(default_factory=dict)
    # Calibrated evidence for "edited here" against "unedited" (edit points only), and its
    # verbal equivalent on the ENFSI scale; None until the calibration has been applied.
    log10_lr: float | None = None
    verbal: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for optional in ("log10_lr", "verbal"):
            if data[optional] is None:
                del data[optional]  # the schema's optional fields are absent, never null
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            kind=data["kind"],
            check=data["check"],
            start_s=data["start_s"],
            end_s=data["end_s"],
            score=data["score"],
            description=data["description"],
            evidence=dict(data.get("evidence") or {}),
            log10_lr=data.get("log10_lr"),
            verbal=data.get("verbal"),
        )


@dataclass(frozen=True, eq=False)
class Series:
    """A curve a check measured over the recording (``values`` at ``times``, in seconds), with
    the words the report prints beside its plot. Arrays may be large; they are not compared."""

    times: np.ndarray
    values: np.ndarray
    title: str
    caption: str
    value_label: str  # the plot's vertical axis, with its unit
    colour: str = "#1565c0"


@dataclass(frozen=True)
class CheckResult:
    """One examination: whether it could apply, what it measured, what it found, and the
    curves (``series``, by key) the report plots; series are not part of the JSON report."""

    name: str
    status: CheckStatus
    summary: str
    metrics: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    series: Mapping[str, Series] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The ``checks[]`` entry of the schema (findings are listed separately there)."""
        return {
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "metrics": self.metrics,
        }

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        findings: list[Finding] | None = None,
        series: Mapping[str, Series] | None = None,
    ) -> CheckResult:
        """A ``checks[]`` entry read back, with the findings and series that belong to it."""
        return cls(
            name=data["name"],
            status=data["status"],
            summary=data["summary"],
            metrics=dict(data.get("metrics") or {}),
            findings=list(findings or []),
            series=dict(series or {}),
        )
