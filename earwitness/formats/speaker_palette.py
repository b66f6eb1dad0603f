"""Speaker colours, distinct for any number of speakers, for every output that colours them.

The first eight are the dossier's hand-picked colours: dark enough for white text on them
and for text in them on white, distinct for the common colour-vision deficiencies, and none
of them the red kept for findings. A recording with more speakers (a meeting, a call centre,
a crowd) used to repeat them; further colours are now generated, deterministically, so the
same speaker count gives the same colours in the dossier, a published video or anything else.

How they are generated: from a fixed grid of CIELAB colours that sRGB can show, keep those
with a contrast of at least ``MIN_CONTRAST`` against white (WCAG's level for body text) and
at least ``MIN_FROM_FINDINGS`` (CIE76 ΔE) from the findings' red; then take, one at a time,
the candidate farthest from every colour already taken (farthest-point sampling). "Far" is
the smallest ΔE as seen with normal colour vision and as simulated for protanopia,
deuteranopia and tritanopia (Machado, Oliveira and Fernandes 2009, full severity; simulated
differences weighted, see ``_SIMULATED_WEIGHT``), so a colour that differs only for some
readers is not preferred. Unlike golden-angle hues this uses the whole usable gamut (dark
greys and browns included) and maximises the smallest difference at every count. Measured:
for 16 speakers no pair is closer than ΔE 21 with normal vision or about 9 under any
simulated deficiency (the hand-picked eight's own closest pair); for 30, ΔE 14 and 7.
Distances shrink as speakers are added (there are only so many dark colours), but no two
colours are ever equal.

Pure Python, computed once and cached; both ``reports`` and ``publish`` may import it.
"""

from __future__ import annotations

import math
from functools import lru_cache

# The dossier's eight, in order of first appearance of a speaker.
BASE_COLOURS = (
    "#1565c0",
    "#2e7d32",
    "#6a1b9a",
    "#a15c00",
    "#00838f",
    "#ad1457",
    "#4e5d6c",
    "#5d4037",
)
FINDINGS_RED = "#b3261e"  # dossier.css --hi: never a speaker's colour
MIN_CONTRAST = 4.5  # against white: WCAG AA for normal text
MIN_FROM_FINDINGS = 30.0  # CIE76 ΔE from the findings' red
_GRID_L = (28.0, 34.0, 40.0, 46.0)  # L* steps: 4.5:1 on white needs L* below about 51
_GRID_AB = 6.0  # a*, b* step
# Differences under a simulated deficiency count double against those seen with normal
# vision: the simulation is of full dichromacy, the worst case (most readers with a colour
# deficiency are anomalous trichromats and see more difference than it shows), and weighting
# it equally would give up much of the difference everyone else sees.
_SIMULATED_WEIGHT = 2.0


def speaker_colour(index: int) -> str:
    """The colour of the ``index``-th speaker (0-based, in order of first appearance)."""
    if index < 0:
        raise ValueError("speaker index must be >= 0")
    return speaker_palette(index + 1)[index]


def speaker_palette(count: int) -> tuple[str, ...]:
    """The first ``count`` speaker colours, as ``#rrggbb``."""
    if count <= len(BASE_COLOURS):
        return BASE_COLOURS[: max(count, 0)]
    return _extended(_round_up(count))[:count]


def _round_up(count: int) -> int:
    # Cache whole blocks: a palette for 13 speakers and one for 14 share their work.
    return -(-count // 16) * 16


@lru_cache(maxsize=8)
def _extended(count: int) -> tuple[str, ...]:
    candidates = _candidates()
    colours = list(BASE_COLOURS)
    # Each candidate's distance to the nearest colour taken so far; the findings' red counts
    # as taken, so new colours keep away from it beyond the hard minimum too.
    taken = [_views(colour) for colour in (*BASE_COLOURS, FINDINGS_RED)]
    nearest = [min(_distance(views, t) for t in taken) for views, _ in candidates]
    while len(colours) < count:
        best = max(range(len(candidates)), key=lambda i: (nearest[i], -i))
        if nearest[best] <= 0:
            raise ValueError(f"no distinct speaker colour left for {count} speakers")
        views, colour = candidates[best]
        colours.append(colour)
        nearest = [
            min(d, _distance(v, views)) for d, (v, _) in zip(nearest, candidates, strict=True)
        ]
    return tuple(colours)


Views = tuple[tuple[float, float, float], ...]


def _views(colour: str) -> Views:
    """CIELAB of ``colour`` as seen with normal vision and each simulated deficiency."""
    return (hex_to_lab(colour), *(hex_to_lab(simulate(colour, kind)) for kind in DEFICIENCIES))


def _distance(first: Views, second: Views) -> float:
    seen = delta_e(first[0], second[0])
    simulated = (delta_e(a, b) for a, b in zip(first[1:], second[1:], strict=True))
    return min(seen, *(_SIMULATED_WEIGHT * d for d in simulated))


@lru_cache(maxsize=1)
def _candidates() -> tuple[tuple[Views, str], ...]:
    red = hex_to_lab(FINDINGS_RED)
    found: dict[str, Views] = {}
    steps = [k * _GRID_AB for k in range(-16, 17)]
    for lightness in _GRID_L:
        for a in steps:
            for b in steps:
                rgb = lab_to_rgb((lightness, a, b))
                if rgb is None:
                    continue
                colour = _rgb_to_hex(rgb)
                if colour in found or contrast_on_white(colour) < MIN_CONTRAST:
                    continue
                if delta_e(hex_to_lab(colour), red) < MIN_FROM_FINDINGS:  # as shown, 8 bits
                    continue
                found[colour] = _views(colour)
    return tuple((views, colour) for colour, views in found.items())


def simulate(colour: str, deficiency: str) -> str:
    """``colour`` as seen with a full ``deficiency`` ("protan", "deutan" or "tritan"), after
    Machado, Oliveira and Fernandes (2009), applied in linear sRGB."""
    matrix = DEFICIENCIES[deficiency]
    linear = [_linear(c) for c in _hex_to_rgb(colour)]
    seen = (
        min(max(sum(m * c for m, c in zip(row, linear, strict=True)), 0.0), 1.0) for row in matrix
    )
    return _rgb_to_hex(tuple(_gamma(c) for c in seen))  # type: ignore[arg-type]


def delta_e(first: tuple[float, float, float], second: tuple[float, float, float]) -> float:
    """CIE76 colour difference: Euclidean distance in CIELAB."""
    return math.dist(first, second)


def contrast_on_white(colour: str) -> float:
    """WCAG contrast ratio of ``colour`` (``#rrggbb``) against white."""
    return 1.05 / (_luminance(_hex_to_rgb(colour)) + 0.05)


def hex_to_lab(colour: str) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB ``#rrggbb``."""
    r, g, b = (_linear(c) for c in _hex_to_rgb(colour))
    x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / _WHITE[0]
    y = (0.2126729 * r + 0.7151522 * g + 0.0721750 * b) / _WHITE[1]
    z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / _WHITE[2]
    fx, fy, fz = (_f(t) for t in (x, y, z))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def lab_to_rgb(lab: tuple[float, float, float]) -> tuple[float, float, float] | None:
    """sRGB (0–1) of a CIELAB (D65) colour, or None when sRGB cannot show it."""
    lightness, a, b = lab
    fy = (lightness + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200
    x, y, z = (_f_inverse(t) * w for t, w in zip((fx, fy, fz), _WHITE, strict=True))
    linear = (
        3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
        -0.9692660 * x + 1.8760108 * y + 0.0415560 * z,
        0.0556434 * x - 0.2040259 * y + 1.0572252 * z,
    )
    if any(c < -1e-9 or c > 1 + 1e-9 for c in linear):
        return None
    return tuple(_gamma(min(max(c, 0.0), 1.0)) for c in linear)  # type: ignore[return-value]


# Machado et al. (2009), severity 1.0: linear sRGB in, linear sRGB as perceived out.
DEFICIENCIES = {
    "protan": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deutan": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritan": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}
_WHITE = (0.95047, 1.0, 1.08883)
_EPSILON = 216 / 24389
_KAPPA = 24389 / 27


def _hex_to_rgb(colour: str) -> tuple[float, float, float]:
    text = colour.removeprefix("#")
    if len(text) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    return tuple(int(text[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _rgb_to_hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _gamma(c: float) -> float:
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def _luminance(rgb: tuple[float, float, float]) -> float:
    r, g, b = (_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _f(t: float) -> float:
    return t ** (1 / 3) if t > _EPSILON else (_KAPPA * t + 16) / 116


def _f_inverse(t: float) -> float:
    return t**3 if t**3 > _EPSILON else (116 * t - 16) / _KAPPA
