"""How fast a background changed: at once, as a cut or a join makes it, or over time, as a
change of place does.

A cut or a join changes the background within its crossfade (milliseconds); a door opening or
the speaker walking to another room changes it over hundreds of milliseconds. The 20 ms band
frames near a step are placed on the way from the one background to the other, and a ramp is
fitted to the places. Two ways are tried, since a change can go either:

- the levels fade (a door closing, a machine running down): a frame's place is its distance
  along the straight line between the two backgrounds' band levels in dB;
- one background mixes into the other (the speaker walks from one room into the next): the two
  noises are independent, so their powers add, and the way is the curve of band levels of
  (1 - m) · P_first + m · P_second; a frame's place is how far along that curve the nearest
  point lies.

Each way can make the other's gradual change look abrupt: a background 20 dB louder is 10 dB up
when a tenth of it has come in, and a fade is no mixture. So a change is as gradual as the
slower of the two fits says.

Where speech covers the whole change, no frame shows how it went, and a step fits as well as a
ramp. So the fit also says how near in time the nearest frames of the two backgrounds lie: a
cut in a pause shows both within a frame or two; a change under speech shows neither within a
second. Only the first is a change seen to be abrupt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RAMP_S = 2.5  # the longest transition measured (and how far each side of the step looks)
AROUND_S = 1.5  # how far from the located step the ramp's centre may lie
ON_WAY_FEWEST = 16  # fewer frames on the way than this: the fit says nothing
OFF_WAY = 2.0  # mean squared misfit (in band scatters) above which a frame is not background
WAY_POINTS = np.linspace(0.0, 1.0, 101)  # places on the way of mixing tried per frame


@dataclass(frozen=True)
class Transition:
    """How a background changed around a step.

    ``seconds``: 10 % to 90 % of the change, the longer of the two ways' fits (0: a step).
    ``seen_within_s``: the shortest time from a frame still under 30 % of the way to one over
    70 %; None where no frames show the two backgrounds near the step."""

    seconds: float
    seen_within_s: float | None


def robust(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per band: median and squared scaled MAD (+1 dB², a floor for near-constant bands)."""
    centre = np.median(frames, axis=0)
    return centre, (1.4826 * np.median(np.abs(frames - centre), axis=0)) ** 2 + 1.0


def _by_level(
    frames: np.ndarray, first: np.ndarray, second: np.ndarray, scatter: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each frame's place on the straight line of band levels (dB) from ``first`` to
    ``second``, weighting the bands by how much they change against their scatter, and its
    misfit off that line."""
    change = second - first
    weight = change / scatter
    place = ((frames - first) @ weight) / max(float(change @ weight), 1e-12)
    off = np.mean((frames - first - place[:, None] * change) ** 2 / scatter, axis=1)
    return place, off


def _by_mixing(
    frames: np.ndarray, first: np.ndarray, second: np.ndarray, scatter: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each frame's place on the way from ``first`` to ``second`` as the one background mixes
    into the other (powers adding), and its misfit off that way.

    The way is a curve in band levels; a frame's place is how far along it the nearest point
    lies, measured in band scatters like the levels' straight line. So the frames of either
    background scatter as much about 0 as about 1: the share of the second in the mixture
    would not (a 6 dB louder second background 1 dB down is a mixture three quarters in)."""
    shares = np.linspace(0.0, 1.0, 2001)
    curve = 10 * np.log10(
        np.outer(1 - shares, 10 ** (first / 10)) + np.outer(shares, 10 ** (second / 10))
    )
    steps = np.sqrt(np.sum(np.diff(curve, axis=0) ** 2 / scatter, axis=1))
    along = np.concatenate([[0.0], np.cumsum(steps)])
    along /= max(along[-1], 1e-12)
    # Points evenly spaced along the curve, however unevenly the shares spread them.
    even = np.interp(WAY_POINTS, along, shares)
    expected = 10 * np.log10(
        np.outer(1 - even, 10 ** (first / 10)) + np.outer(even, 10 ** (second / 10))
    )
    misfit = np.mean((frames[:, None, :] - expected[None]) ** 2 / scatter, axis=2)
    best = np.argmin(misfit, axis=1)
    return WAY_POINTS[best], misfit[np.arange(len(frames)), best]


def _seen_within(times: np.ndarray, place: np.ndarray) -> float | None:
    """Frames from the first frame still under 30 % of the way to the nearest after it over
    70 % (each frame the median of itself and its neighbours on the way, those next to it in
    time); None if none.

    A pause's first frame holds the tail of the speech before it and may lie anywhere on
    the way; beside it on the way lies the last frame of the pause before, a second or more
    earlier. Taken as neighbours, the two made a change look abrupt that had ended a second
    before (a room change of the tamper benchmark's b040, 0.6 s long, "seen within 0.04 s")."""
    smooth = _median_of_neighbours(times, place)
    low, high = times[smooth <= 0.3], times[smooth >= 0.7]
    after = np.searchsorted(high, low)
    ahead = after < len(high)
    if not ahead.any():
        return None
    return float(np.min(high[after[ahead]] - low[ahead]))


def _median_of_neighbours(times: np.ndarray, place: np.ndarray) -> np.ndarray:
    """Each place, the median of itself and the places of the frames just before and after
    it in time, where those are given (``times`` in frames, ascending)."""
    padded = np.concatenate([[np.nan], place, [np.nan]])
    gap = np.diff(times)
    before = np.where(np.concatenate([[False], gap == 1]), padded[:-2], np.nan)
    after = np.where(np.concatenate([gap == 1, [False]]), padded[2:], np.nan)
    return np.nanmedian(np.stack([before, place, after]), axis=0)


def _ramp_width(
    times: np.ndarray, place: np.ndarray, at: float, reach: int, step_s: float
) -> float:
    """The shortest linear ramp (frames, 10 % to 90 %) that fits the places about as well as
    the best ramp, for any centre within AROUND_S of ``at`` (0: a step)."""
    # The step is placed where the backgrounds' frames switch, which a gradual change seen
    # through pauses may put anywhere within it: the ramp's centre may lie a second away.
    centres = np.arange(at - AROUND_S / step_s, at + AROUND_S / step_s + 0.5)
    widths = np.arange(0, reach + 1, 1.0)
    offset = times[None, :] - centres[:, None]
    # cost[w]: the squared misfit of the best-placed linear ramp w frames wide (0: a step)
    cost = np.array(
        [
            np.min(np.sum((place - np.clip(offset / max(w, 0.5) + 0.5, 0.0, 1.0)) ** 2, axis=1))
            for w in widths
        ]
    )
    best = float(cost.min())
    noise = best / max(len(place) - 2, 1)
    return 0.8 * float(widths[np.argmax(cost <= best + 4 * noise)])


def transition(
    levels: np.ndarray, left: np.ndarray, right: np.ndarray, at: float, step_s: float
) -> Transition:
    """How the background changes around frame ``at``, from the band levels (dB) of frames
    ``step_s`` long and the frames ``left`` and ``right`` of it that hold each background.

    Frames off both ways (speech, a passing sound) are left out; the rest are fitted."""
    mean_left, scatter_left = robust(levels[left])
    mean_right, scatter_right = robust(levels[right])
    scatter = (scatter_left + scatter_right) / 2
    reach = int(RAMP_S / step_s)
    lo = max(int(at - AROUND_S / step_s) - reach, 0)
    hi = min(int(at + AROUND_S / step_s) + reach + 1, len(levels))
    frames = levels[lo:hi]
    times = np.arange(lo, hi) + 0.5
    widths: list[float] = []
    seen: list[float] = []
    for placed in (_by_level, _by_mixing):
        place, off = placed(frames, mean_left, mean_right, scatter)
        on_way = (off <= OFF_WAY) & (place > -0.5) & (place < 1.5)
        if on_way.sum() < ON_WAY_FEWEST:
            continue
        on_times, on_place = times[on_way], np.clip(place[on_way], 0.0, 1.0)
        width = _ramp_width(on_times, on_place, at, reach, step_s)
        within = _seen_within(on_times, on_place)
        # The fit can be drawn out by a whole pause whose background sits between the two (a
        # lossy coder codes each pause's noise a little differently). A gradual change is
        # also gradual where it happens: 40 % of the way takes half the 10-90 % time.
        if within is not None:
            width = min(width, 2 * within)
            seen.append(within)
        widths.append(width)
    return Transition(max(widths, default=0.0) * step_s, min(seen) * step_s if seen else None)
