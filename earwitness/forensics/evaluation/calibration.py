"""The shipped calibration: from the checks' scores to likelihood ratios a court can weigh.

Each check scores what it measures on its own scale (0 = no indication, 1 = certain). A score
is not evidence strength: the same 0.9 may be common on genuine recordings of one kind and
rare on others. The calibration, fitted by ``bench/calibration/fit.py`` on the tamper
benchmark's calibration split and validated on its held-out split, turns them into
log10 likelihood ratios for "edited (here)" against "unedited":

- per edit point, a logistic calibration of that check's score (its logit), fitted on the
  points the check reported near true edits (targets) and elsewhere (non-targets); for an
  ENF join also of how narrowly its place is known (``point_features``);
- per file, a logistic fusion of the highest edit-point score of every check and the number of
  other observations, one model for files with mains hum and one without;
- every value clipped to the empirical lower and upper bounds (ELUB) of its calibration data,
  so no report claims more than the data can support.

A step of the mains hum that turns its fundamental by half a cycle with the level unchanged is
what a recorder does when it drops or doubles 10 ms of its time base: the ENF-WHU references,
real mains with nobody's edits in them, show about one per hour. Its odd harmonics turn by half
a cycle too, which a cut of some other length does not leave (``half_cycle_like``). A cut can
give the same turns, but only when it happens to remove a whole number of cycles and a half.
Such a step therefore
does not enter the file model as ENF evidence; it weighs by the two rates instead: how often
calibration's edited files show one, and how often a genuine recording of this length would
(``HalfCycle``).

The file is data, not code, and it is hostile until verified: ``shipped_calibration`` checks
its SHA-256 against the one pinned here before anything is read from it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from earwitness.errors import EarwitnessError
from earwitness.forensics.evaluation.calibrators import LogisticCalibration, bound

FORMAT = "earwitness.calibration/2"
FILENAME = "calibration-v2.json"
# bench/calibration/fit.py rewrites this line when it writes a new calibration.
PINNED_SHA256 = "e4b349e9c75fcb89a83aad0857e5d929e4a5c88c18abcf53d13fc1fcf9244d36"

# The checks that place edit points, by the names their results carry.
EDIT_CHECKS: tuple[str, ...] = ("enf", "discontinuities", "duplicated_material")
# Edit points weigh by their check's calibration, the ENF check's joins by their own.
ENF_JOIN = "enf_join"
POINT_SYSTEMS: tuple[str, ...] = (*EDIT_CHECKS, ENF_JOIN)
JOIN_LEVEL_DB = 3.0  # an ENF step whose hum level changes this much is a join (enf.search)
SCORE_FLOOR = 0.01  # a check that reported nothing counts as this score
SCORE_CEILING = 0.9999
HALF_CYCLE_DEG = 150.0  # a fundamental turned at least this much: half a cycle dropped or doubled
HALF_CYCLE_LEVEL_DB = 1.0  # … with the hum's level unchanged within this
HALF_CYCLE_ODD_DEG = 90.0  # an odd harmonic turned less than this: not half a cycle
REPORTED = 0.5  # an edit point scored this much or more is reported
FILE_FEATURES = len(EDIT_CHECKS) + 1  # ``file_features``
NARROWEST_S = 0.05  # an ENF join placed more narrowly than this counts as this (one sample)
WIDEST_JOIN_S = 4.0  # … and more widely than this (``enf.locate`` searches ±2 s) as this


class CalibrationError(EarwitnessError):
    """The shipped calibration is missing, altered or unreadable."""

    exit_code = 1


def score_logit(score: float) -> float:
    """The calibration's feature for one score: its logit, with the ends held finite."""
    clipped = min(max(float(score), SCORE_FLOOR), SCORE_CEILING)
    return math.log(clipped / (1.0 - clipped))


@dataclass(frozen=True)
class BoundedModel:
    """A logistic calibration and the ELUB bounds its output is clipped to."""

    model: LogisticCalibration
    lower: float
    upper: float

    def log10_lr(self, features: Sequence[float]) -> float:
        raw = self.model.log10_lr(np.asarray([features], dtype=np.float64))
        return float(bound(raw, self.lower, self.upper)[0])

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model.to_dict(), "lower": self.lower, "upper": self.upper}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BoundedModel:
        return cls(
            LogisticCalibration.from_dict(data["model"]),
            float(data["lower"]),
            float(data["upper"]),
        )


def enf_present(checks: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the ENF check ran and found mains hum (as the report's ``checks[]`` say)."""
    return any(
        c.get("name") == "enf"
        and c.get("status") == "ok"
        and bool((c.get("metrics") or {}).get("present"))
        for c in checks
    )


def half_cycle_like(finding: Mapping[str, Any]) -> bool:
    """Whether ``finding`` (a report's finding) is an ENF step shaped like a recorder's slip:
    the fundamental turned by about half a cycle, the hum's level unchanged, and no odd
    harmonic left within ``HALF_CYCLE_ODD_DEG`` of where it was.

    A slip shifts the time base by half a mains cycle, which turns every odd harmonic by
    180° as well: the 19 slips of ENF-WHU's references turned the third harmonic by 162–180°.
    A cut that removes some other part of a cycle turns harmonic h by h times the
    fundamental's turn: 160° turns the fifth harmonic by 80°. Of the 35 steps in the tamper
    benchmark that turned the fundamental 150° or more at a true edit, 21 left an odd
    harmonic within 90° of where it was."""
    if finding.get("kind") != "edit_point" or finding.get("check") != "enf":
        return False
    evidence = finding.get("evidence") or {}
    jump, level = evidence.get("phase_jump_rad"), evidence.get("level_change_db")
    if not isinstance(jump, int | float) or not isinstance(level, int | float):
        return False
    if abs(math.degrees(jump)) < HALF_CYCLE_DEG or abs(level) >= HALF_CYCLE_LEVEL_DB:
        return False
    turns = evidence.get("harmonic_turns_deg")
    for harmonic, turn in turns.items() if isinstance(turns, Mapping) else ():
        odd = str(harmonic).isdigit() and int(harmonic) > 1 and int(harmonic) % 2 == 1
        if odd and isinstance(turn, int | float) and abs(turn) < HALF_CYCLE_ODD_DEG:
            return False
    return True


def point_system(finding: Mapping[str, Any]) -> str:
    """The calibration an edit point (a report's finding) weighs by: its check's, except an
    ENF step where the hum's level changes by ``JOIN_LEVEL_DB`` or more, a join, which has
    its own (``ENF_JOIN``).

    The point's LR says "edited here", and a join's place is less sure than a turn's: where
    the hum starts or stops, the side without it looks alike everywhere. In the tamper
    benchmark 17 of 87 strong ENF joins lay more than 0.5 s from the edit, against 2 of 158
    turns; one calibration for both gave the joins a turn's weight, and the ENF check's
    points on the validation split a Cllr above 1."""
    check = str(finding.get("check"))
    level = (finding.get("evidence") or {}).get("level_change_db")
    if check == "enf" and isinstance(level, int | float) and abs(level) >= JOIN_LEVEL_DB:
        return ENF_JOIN
    return check


def point_features(finding: Mapping[str, Any]) -> list[float]:
    """The features an edit point's calibration weighs (by its ``point_system``): the logit
    of its score; for an ENF join also −ln of the width in seconds of where it may lie (its
    possible places where the finding names them, ``enf.points``, else its span).

    A join's score says how sure the hum's change is, not where it lies: over the tamper
    benchmark its score did not tell a well-placed join from one a second off (AUC 0.57 on
    the validation split). Its width did: joins placed within 0.6 s lay at the edit 53 times
    in 54, those left open over a second 33 times in 58. A width that is no number (a
    hostile or damaged report) counts as the widest the check reports, 4 s."""
    features = [score_logit(float(finding["score"]))]
    if point_system(finding) == ENF_JOIN:
        evidence = finding.get("evidence") or {}
        low = evidence.get("possible_from_s", finding.get("start_s"))
        high = evidence.get("possible_to_s", finding.get("end_s"))
        numbers = all(isinstance(v, int | float) and math.isfinite(v) for v in (low, high))
        width = float(high) - float(low) if numbers else WIDEST_JOIN_S  # type: ignore[arg-type]
        features.append(-math.log(min(max(width, NARROWEST_S), WIDEST_JOIN_S)))
    return features


def point_feature_count(system: str) -> int:
    """How many features ``point_features`` gives a point of ``system``."""
    return 2 if system == ENF_JOIN else 1


def file_features(findings: Sequence[Mapping[str, Any]]) -> list[float]:
    """The file model's features, from the report's ``findings[]``: the logit of each edit
    check's highest edit-point score (``SCORE_FLOOR`` when it reported none), then
    log(1 + the number of other observations scored ≥ 0.5) — so encoder tags, dropouts or
    transcoding weigh exactly as much as the calibration data say, which may be nothing."""
    highest = dict.fromkeys(EDIT_CHECKS, SCORE_FLOOR)
    observations = 0
    for finding in findings:
        if half_cycle_like(finding):
            continue  # weighed apart, by HalfCycle
        if finding.get("kind") == "edit_point" and finding.get("check") in highest:
            name = str(finding["check"])
            highest[name] = max(highest[name], float(finding["score"]))
        elif finding.get("kind") != "edit_point" and float(finding.get("score", 0)) >= 0.5:
            observations += 1
    return [score_logit(highest[name]) for name in EDIT_CHECKS] + [math.log1p(observations)]


def file_system(checks: Sequence[Mapping[str, Any]]) -> str:
    """Which file model applies: ``file-enf`` with mains hum, else ``file-no-enf``."""
    return "file-enf" if enf_present(checks) else "file-no-enf"


@dataclass(frozen=True)
class HalfCycle:
    """How much a half-cycle step of the hum weighs, from two measured rates: the share of the
    calibration's edited recordings with hum that show one (a cut that happened to skip n + ½
    cycles), and how many genuine slips real mains recordings show per hour."""

    edited_share: float
    slips_per_hour: float

    def log10_lr(self, duration_s: float) -> float:
        """log10 P(≥ 1 such step | edited) / P(≥ 1 such step | unedited), for a recording of
        ``duration_s``: a slip is as likely in an edited recording as in a genuine one, so
        under "edited" either may have made it."""
        genuine = -math.expm1(-self.slips_per_hour * max(duration_s, 1.0) / 3600)
        edited = self.edited_share + (1 - self.edited_share) * genuine
        return math.log10(edited / genuine)

    def to_dict(self) -> dict[str, float]:
        return {"edited_share": self.edited_share, "slips_per_hour": self.slips_per_hour}


@dataclass(frozen=True)
class Calibration:
    """A verified calibration file, read. ``validation`` is shown in reports as it is."""

    version: str
    sha256: str
    data: dict[str, Any]
    method: str
    points: dict[str, BoundedModel]  # point system (``point_system``) → model of its scores
    files: dict[str, BoundedModel]  # file-enf / file-no-enf
    limits: dict[str, Any]
    validation: dict[str, Any]
    half_cycle: HalfCycle | None = None

    def record(self) -> dict[str, Any]:
        """What ``tool.parameters`` records: enough to find and check this calibration."""
        return {
            "version": self.version,
            "sha256": self.sha256,
            "data": self.data.get("summary", ""),
        }

    def point_log10_lr(self, system: str, features: Sequence[float]) -> float | None:
        """log10 LR of an edit point with ``features`` (``point_features``) that weighs by
        ``system`` (a check's name or ``ENF_JOIN``: ``point_system``); None if uncalibrated."""
        model = self.points.get(system)
        return None if model is None else model.log10_lr(features)

    def finding_log10_lr(self, finding: Mapping[str, Any], duration_s: float) -> float | None:
        """log10 LR of one edit point (a report's finding) of a recording ``duration_s`` long:
        a half-cycle step weighs by ``HalfCycle``, any other by its ``point_system`` (by its
        check's calibration, on its score alone, where that system has none of its own)."""
        if half_cycle_like(finding) and self.half_cycle is not None:
            return self._clip(self.half_cycle.log10_lr(duration_s))
        system = point_system(finding)
        features = point_features(finding)
        if system not in self.points:
            system, features = str(finding.get("check")), features[:1]
        return self.point_log10_lr(system, features)

    def file_log10_lr(
        self,
        checks: Sequence[Mapping[str, Any]],
        findings: Sequence[Mapping[str, Any]],
        duration_s: float | None = None,
    ) -> float | None:
        """log10 LR for "this file was edited" over the whole file; None if uncalibrated.
        Half-cycle steps (reported ones) add their own weight when ``duration_s`` is given."""
        model = self.files.get(file_system(checks))
        if model is None:
            return None
        value = model.log10_lr(file_features(findings))
        slips = any(half_cycle_like(f) and float(f["score"]) >= REPORTED for f in findings)
        if slips and self.half_cycle is not None and duration_s is not None:
            value = self._clip(value + self.half_cycle.log10_lr(duration_s))
        return value

    def _clip(self, value: float) -> float:
        """Within the widest bounds any file model's data support."""
        if not self.files:
            return value
        lower = min(model.lower for model in self.files.values())
        upper = max(model.upper for model in self.files.values())
        return min(max(value, lower), upper)


def parse(raw: bytes, sha256: str) -> Calibration:
    """A calibration from the bytes of its file (already verified against ``sha256``)."""
    try:
        data = json.loads(raw.decode("utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT!r}")
        return Calibration(
            version=str(data["version"]),
            sha256=sha256,
            data=dict(data["data"]),
            method=str(data["method"]),
            points=_models(data["points"], point_feature_count),
            files=_models(data["files"], lambda _: FILE_FEATURES),
            limits=dict(data.get("limits") or {}),
            validation=dict(data.get("validation") or {}),
            half_cycle=(
                HalfCycle(
                    float(data["half_cycle"]["edited_share"]),
                    float(data["half_cycle"]["slips_per_hour"]),
                )
                if data.get("half_cycle")
                else None
            ),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CalibrationError(f"calibration {FILENAME}: unreadable ({exc})") from exc


def _models(data: Mapping[str, Any], features: Callable[[str], int]) -> dict[str, BoundedModel]:
    """The models of ``data`` (system → model), each taking as many features as its system
    gives (``features``): one that takes another number is refused, not applied."""
    models = {str(k): BoundedModel.from_dict(v) for k, v in data.items()}
    for system, model in models.items():
        taken, expected = len(model.model.coefficients), features(system)
        if taken != expected:
            raise ValueError(f"model {system!r} weighs {taken} feature(s), not {expected}")
    return models


def load_verified(raw: bytes, pinned: str = PINNED_SHA256) -> Calibration:
    """Parse ``raw`` only if its SHA-256 is ``pinned``."""
    digest = hashlib.sha256(raw).hexdigest()
    if digest != pinned:
        raise CalibrationError(
            f"calibration {FILENAME}: SHA-256 {digest[:16]}… is not the pinned "
            f"{pinned[:16]}…; the installation is damaged or altered (reinstall earwitness)"
        )
    return parse(raw, digest)


@cache
def shipped_calibration() -> Calibration:
    """The calibration installed with this version, verified against ``PINNED_SHA256``."""
    try:
        raw = resources.files(__package__).joinpath(FILENAME).read_bytes()
    except OSError as exc:
        raise CalibrationError(f"calibration {FILENAME}: cannot be read ({exc})") from exc
    return load_verified(raw)
