"""The "Method and validation" part of an evaluative report: the shipped calibration (its
version, hash, data and split), its metrics per validated system (targets, non-targets,
Cllr, Cllr_min, AUC), its goals, and a Tippett and an ECE plot per system.

The calibration is loaded lazily and never fails a report: when it cannot be loaded, the
report says "calibration unavailable: <reason>".
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any, Protocol

from earwitness.forensics.examination import Examination
from earwitness.reports.dossier_header import text_value

esc = html.escape
NOT_CALIBRATED = "not calibrated (examined by an earlier version)"


class CalibrationLike(Protocol):
    """What the reports read of the shipped calibration
    (``forensics.evaluation.calibration.Calibration``)."""

    @property
    def version(self) -> str: ...

    @property
    def sha256(self) -> str: ...

    @property
    def data(self) -> dict[str, Any]: ...

    @property
    def method(self) -> str: ...

    @property
    def validation(self) -> dict[str, Any]: ...


def shipped_calibration_or_reason() -> CalibrationLike | str:
    """The calibration this version ships, or why it cannot be shown (one line)."""
    try:
        from earwitness.forensics.evaluation.calibration import shipped_calibration

        return shipped_calibration()
    except Exception as exc:  # a report must still be drawn: say why, never fail
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"calibration unavailable: {reason}"


def is_calibrated(examination: Examination) -> bool:
    return examination.summary.log10_lr is not None


def _metric(value: Any, digits: int = 3) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return esc(str(value)) if value is not None else "—"
    return f"{value:.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _with_interval(system: dict[str, Any], name: str) -> str:
    """The figure, and under it the 90 % interval over base recordings when the calibration
    carries one (two numbers, low ≤ high; anything else is not shown)."""
    shown = _metric(system.get(name))
    interval = system.get(f"{name}_interval")
    if (
        isinstance(interval, list)
        and len(interval) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in interval)
        and interval[0] <= interval[1]
    ):
        shown += f'<br><span class="interval">{interval[0]:.2f}–{interval[1]:.2f}</span>'
    return shown


def _systems_table(systems: Sequence[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{text_value(s.get('title') or s.get('key') or '?', 120)}</td>"
        f"<td>{_metric(s.get('targets'))}</td><td>{_metric(s.get('nontargets'))}</td>"
        f"<td>{_with_interval(s, 'cllr')}</td><td>{_metric(s.get('cllr_min'))}</td>"
        f"<td>{_with_interval(s, 'auc')}</td></tr>"
        for s in systems
    )
    return (
        '<table class="validation-table"><caption>Validation on the held-out split</caption>'
        '<thead><tr><th scope="col">System</th><th scope="col">Targets (edited)</th>'
        '<th scope="col">Non-targets (unedited)</th><th scope="col">C<sub>llr</sub></th>'
        '<th scope="col">C<sub>llr</sub><sup>min</sup></th><th scope="col">AUC</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
        '<p class="note">C<sub>llr</sub>: the cost of the log LRs (0 is perfect, 1 is no more '
        "use than LR = 1 always); C<sub>llr</sub><sup>min</sup>: the same after the best "
        "monotone recalibration, so the difference is the loss due to calibration; AUC: the "
        "share of (edited, unedited) pairs whose LRs are in the right order. Under a figure, "
        "where given: the range holding 90 % of its values when the held-out base recordings "
        "are drawn again with replacement, each with all its edits and transcodes: how much the "
        "figure depends on which few recordings were held out.</p>"
    )


def _goal_status(met: Any) -> str:
    """met / not met; a row that is no goal of its own (a breakdown, a figure reported
    apart) carries ``met: null`` and is shown as such, never as a failure."""
    if met is None:
        return "reported apart"
    return "met" if met is True else "not met"


def _goals_table(goals: Sequence[dict[str, Any]]) -> str:
    if not goals:
        return ""
    rows = "".join(
        f"<tr><td>{text_value(g.get('goal', '?'), 200)}</td><td>{text_value(g.get('value'))}"
        f"</td><td>{_goal_status(g.get('met'))}</td></tr>"
        for g in goals
    )
    return (
        '<table class="validation-table goals"><caption>Goals</caption><thead><tr>'
        '<th scope="col">Goal</th><th scope="col">Value</th><th scope="col">Status</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _system_figures(calibration: CalibrationLike, systems: Sequence[dict[str, Any]]) -> str:
    from earwitness.reports.validation_plots import validation_png

    figures = []
    for system in systems:
        title = str(system.get("title") or system.get("key") or "?")
        try:
            png = validation_png(
                system.get("log10_lrs") or [],
                system.get("labels") or [],
                cache_key=(calibration.sha256, str(system.get("key") or title)),
            )
        except Exception as exc:  # one missing plot never costs the report
            figures.append(f'<p class="note">{esc(title)}: plot unavailable ({esc(str(exc))}).</p>')
            continue
        figures.append(
            f'<figure class="validation"><img alt="Tippett and ECE plots: {esc(title)}" '
            f'src="data:image/png;base64,{png}"><figcaption><b>{esc(title)}.</b> Left: share '
            "of edited (solid) and unedited (dashed) validation recordings whose log10 LR is at "
            "least the value on the axis. Right: empirical cross-entropy over prior odds; the "
            "lower the solid line lies below the dotted one (LR = 1 always), the more the LRs "
            "tell.</figcaption></figure>"
        )
    return "".join(figures)


def _examination_calibration(examination: Examination | None) -> dict[str, Any]:
    parameters = examination.tool.parameters if examination else {}
    used = parameters.get("calibration") if isinstance(parameters, dict) else None
    if isinstance(used, str):
        return {"sha256": used}
    return used if isinstance(used, dict) else {}


def render_validation(
    calibration: CalibrationLike | str, examination: Examination | None, *, plots: bool = True
) -> str:
    """The "Method and validation" sub-section: the calibration, its data, its metrics per
    system, its goals, and (``plots``) a Tippett and an ECE plot per system."""
    parts = ['<h3 id="validation-h">Method and validation</h3>']
    if examination is not None and not is_calibrated(examination):
        parts.append(
            f'<p class="note uncalibrated">This examination is {NOT_CALIBRATED}: its findings '
            "carry scores but no likelihood ratios. The validation below is that of the "
            "calibration this version ships.</p>"
        )
    if isinstance(calibration, str):
        parts.append(f'<p class="note unavailable">{esc(calibration)}</p>')
        return "".join(parts)
    used = _examination_calibration(examination)
    if used.get("sha256") and used.get("sha256") != calibration.sha256:
        parts.append(
            '<p class="note">The examination used calibration '
            f"{text_value(used.get('version', '?'))} (SHA-256 "
            f'<code class="mono">{text_value(used.get("sha256"))}</code>); the validation shown '
            "is that of the calibration this version ships.</p>"
        )
    validation = calibration.validation or {}
    systems = [s for s in validation.get("systems") or [] if isinstance(s, dict)]
    data = calibration.data or {}
    facts = [
        ("Calibration", f"version {esc(str(calibration.version))}"),
        ("SHA-256", f'<code class="mono">{esc(str(calibration.sha256))}</code>'),
        (
            "Data",
            "<br>".join(
                f"{esc(str(k).replace('_', ' '))}: {text_value(v, 300)}"
                for k, v in data.items()
                if k != "split"
            ),
        ),
        ("Split", text_value(validation.get("split") or data.get("split") or "not stated", 600)),
        ("Method", esc(str(calibration.method or ""))),
    ]
    rows = "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in facts if v)
    parts.append(f'<table class="items-table calibration">{rows}</table>')
    parts.append(_systems_table(systems))
    parts.append(_goals_table([g for g in validation.get("goals") or [] if isinstance(g, dict)]))
    if plots and systems:
        parts.append(_system_figures(calibration, systems))
    return "".join(parts)
