"""The verbal scale of the ENFSI Guideline for Evaluative Reporting in Forensic Science (2015).

The guideline (European Network of Forensic Science Institutes, approved 8 September 2015) gives
verbal equivalents for ranges of the likelihood ratio: LR 1 — the findings do not support one
proposition over the other; 2–10 weak support; 10–100 moderate; 100–1000 moderately strong;
1000–10 000 strong; 10 000–1 000 000 very strong; 1 000 000 and above extremely strong support
for the first proposition relative to the alternative. The guideline does not say on which side
of a shared boundary a value falls; here each range includes its lower end and excludes its upper
one ("1 000 000 and above" reads that way), so LR = 10 exactly is moderate support.

Its weak range starts at 2: an LR between 1 and 2 (|log10 LR| < log10 2 ≈ 0.30) is reported here
as "no support", since a factor below 2 either way is not evidence worth a word.

The scale is symmetric: an LR below 1 supports the alternative, and the same words apply to 1/LR
with the propositions swapped (`support_sentence` does that). `verbal` names the support for
"edited" only, as the schema's per-finding `verbal` field does, so it says "no support" for every
LR ≤ 1 however strongly the findings support an unedited original.
"""

from __future__ import annotations

import math
import re

NO_SUPPORT_BELOW = math.log10(2.0)
"""|log10 LR| below this (LR between ½ and 2) is "no support" either way (the guideline's
weak range starts at LR = 2)."""

VERBAL_SCALE: tuple[tuple[float, float, str], ...] = (
    (0.0, NO_SUPPORT_BELOW, "no support"),
    (NO_SUPPORT_BELOW, 1.0, "weak support"),
    (1.0, 2.0, "moderate support"),
    (2.0, 3.0, "moderately strong support"),
    (3.0, 4.0, "strong support"),
    (4.0, 6.0, "very strong support"),
    (6.0, math.inf, "extremely strong support"),
)
"""Rows (low, high, words) in log10 LR: `words` applies when low ≤ log10 LR < high (for 1/LR
with the propositions swapped when log10 LR is negative). For a report's table: LR = 10 ** low.
"""

_FORBIDDEN = re.compile(r"authentic|fake", re.IGNORECASE)


def _words_for_strength(strength: float) -> str:
    """The scale's words for a non-negative |log10 LR|."""
    for low, high, words in VERBAL_SCALE:
        if low <= strength < high:
            return words
    return VERBAL_SCALE[-1][2]  # +inf


def verbal(log10_lr: float) -> str:
    """The verbal equivalent of `log10_lr` as support for "edited"; "no support" when ≤ 0.

    Non-decreasing in log10_lr; ValueError for NaN.
    """
    if math.isnan(log10_lr):
        raise ValueError("log10 LR is NaN")
    if log10_lr <= 0:
        return "no support"
    return _words_for_strength(log10_lr)


def support_sentence(
    log10_lr: float,
    edited: str = "the recording was edited",
    unedited: str = "it is an unedited original",
) -> str:
    """The conclusion as one sentence in the guideline's form, for either direction.

    log10 LR ≥ log10 2: "The findings provide <words> for the proposition that <edited> rather
    than that <unedited>."; ≤ −log10 2 the same with the propositions swapped and the words for
    1/LR; in between: "no support for either proposition". The propositions must not speak of
    authenticity or fakes (a finding can support "unedited", never prove "authentic"):
    ValueError if they do, or if log10_lr is NaN.
    """
    if math.isnan(log10_lr):
        raise ValueError("log10 LR is NaN")
    for proposition in (edited, unedited):
        if _FORBIDDEN.search(proposition):
            raise ValueError(f"proposition must not speak of authenticity or fakes: {proposition}")
    strength = abs(log10_lr)
    if strength < NO_SUPPORT_BELOW:
        return (
            "The findings provide no support for either proposition "
            f"(that {edited}, or that {unedited}): they are about as probable under each."
        )
    favoured, other = (edited, unedited) if log10_lr > 0 else (unedited, edited)
    return (
        f"The findings provide {_words_for_strength(strength)} for the proposition "
        f"that {favoured} rather than that {other}."
    )


def finite_log10_lr(value: object) -> float | None:
    """``value`` as a log10 LR if it is a finite number (not a bool), else None: for reading
    one from a stored report, which is hostile until checked."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def likelihood_ratio(log10_lr: float) -> str:
    """The LR itself in words a reader can picture: "about 20", "about 1/300". One
    formatter for every place that shows it: a conclusion once said "about 135" where the
    page's summary said "about 130" of the same ratio."""
    size = abs(log10_lr)
    # Two significant figures: an LR is an estimate, never exact to three.
    value = f"10^{size:.1f}" if size > 6 else f"{float(f'{10**size:.2g}'):,g}"
    return f"about {value}" if log10_lr >= 0 else f"about 1/{value}"


def support_phrase(log10_lr: float | None) -> str:
    """The whole-file likelihood ratio in a few words, for a table row or a summary line:
    the scale's words, the proposition they support and the log10 LR, e.g. "weak support for
    unedited (-0.6)". A row of bare scores ("edit score 1.00") told a reader nothing; this
    says how much and which way. None (a report made before calibration): "not calibrated"."""
    if log10_lr is None:
        return "not calibrated"
    if math.isnan(log10_lr):
        raise ValueError("log10 LR is NaN")
    if abs(log10_lr) < NO_SUPPORT_BELOW:
        return f"no support either way ({log10_lr:+.1f})"
    side = "edited" if log10_lr > 0 else "unedited"
    return f"{_words_for_strength(abs(log10_lr))} for {side} ({log10_lr:+.1f})"
