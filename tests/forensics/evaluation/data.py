"""Validation data the evaluation tests share: hypothesis strategies and simulated systems."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

finite_llr = st.floats(min_value=-8, max_value=8, allow_nan=False)


@st.composite
def scored(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """log10 LRs with labels holding both classes (values often tied: a coarse grid)."""
    values = draw(st.lists(finite_llr, min_size=2, max_size=40))
    labels = draw(st.lists(st.integers(0, 1), min_size=len(values), max_size=len(values)))
    labels[0], labels[1] = 0, 1
    coarse = draw(st.booleans())
    x = np.round(np.array(values), 1) if coarse else np.array(values)
    return x, np.array(labels)


def simulated(seed: int, tied: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A plausible validation set: Gaussian log10 LRs, classes of unequal size."""
    rng = np.random.default_rng(seed)
    n1, n0 = (int(v) for v in rng.integers(3, 80, size=2))
    shift = rng.uniform(0.1, 3.0)
    x = np.concatenate([rng.normal(shift, 1.3, n1), rng.normal(-shift, 1.3, n0)])
    y = np.concatenate([np.ones(n1, dtype=int), np.zeros(n0, dtype=int)])
    return (np.round(x, 1) if tied else x), y
