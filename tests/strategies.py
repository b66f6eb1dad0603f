"""Hypothesis strategies the test tree shares."""

from __future__ import annotations

from hypothesis import strategies as st


def json_values(
    *,
    text_size: int = 20,
    key_size: int = 12,
    items: int | None = 5,
    leaves: int = 12,
    allow_nan: bool = True,
) -> st.SearchStrategy[object]:
    """Any value a JSON document may hold (with ``allow_nan``, also NaN and ±inf, which
    Python's ``json`` reads and writes): what a stored artefact or a file from outside may
    contain where the code expects something else. ``items`` bounds an object's keys."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=allow_nan)
        | st.text(max_size=text_size)
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=key_size), inner, max_size=items)
        ),
        max_leaves=leaves,
    )
