"""What every examination returns: a check result with neutral findings (shape of the schema).

Scores are comparable across files and checks: 0 = no indication, 1 = certain. ``kind`` is one
of the values ``examination.schema.json`` allows for a finding.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FindingKind = Literal[
    "edit_point",
    "reencoding",
    "bandwidth_limit",
    "upsampling",
    "clipping",
    "digital_silence",
    "dc_offset",
    "metadata_inconsistency",
    "other",
]
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CheckResult:
    """One examination: whether it could apply, what it measured, what it found."""

    name: str
    status: CheckStatus
    summary: str
    metrics: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The ``checks[]`` entry of the schema (findings are listed separately there)."""
        return {
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "metrics": self.metrics,
        }
