"""The JSON schemas our outputs follow, shipped with the package so a validator needs no
``../shared`` folder; a test keeps them byte-identical to the contracts in ``../shared/schemas``."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema ``name`` (``"examination"`` or ``"transcript"``) as a dict."""
    text = resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)
