"""Salted commitments: how a private field of an intake is recorded without its value.

The rule, also in README.md so that anyone holding a value and its salt can check it by hand:
the custody event's details hold ``{"commitment": C}`` in place of the value, where

    C = SHA-256( salt || UTF-8 bytes of the value ), lower-case hex,

and ``salt`` is 32 random bytes drawn for that one field of that one event (written as 64 hex
digits wherever it is disclosed). Without the salt, C says nothing about the value, not even
whether two intakes had the same source; with value and salt, anyone can recompute C.

The catalog and ``catalog.json`` hold such a field as the text ``commitment:C`` (``cell``), so
their columns keep their types and nothing there discloses the value. Logs written before
commitments hold the values in clear; every reader here accepts both forms.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

PRIVATE_FIELDS = ("original_path", "source", "note")
"""Intake details recorded as commitments (``original_name`` stays in clear: it names files)."""

SALT_BYTES = 32
CELL_PREFIX = "commitment:"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def commitment_of(value: str, salt: bytes) -> str:
    """SHA-256 hex of ``salt || UTF-8(value)``: the README's rule."""
    return hashlib.sha256(salt + value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Sealed:
    """One private field's value with the salt its commitment was made with."""

    field: str
    value: str
    salt: bytes

    @property
    def commitment(self) -> str:
        return commitment_of(self.value, self.salt)


def seal(field: str, value: str) -> Sealed:
    """Commit to ``value`` with a fresh random salt."""
    return Sealed(field, value, secrets.token_bytes(SALT_BYTES))


def committed_detail(sealed: Sealed) -> dict[str, str]:
    """What the custody event's details hold for a sealed field."""
    return {"commitment": sealed.commitment}


def logged_commitment(detail: Any) -> str | None:
    """The commitment a detail holds (``{"commitment": hex}``), or None for a clear value."""
    if isinstance(detail, dict) and set(detail) == {"commitment"}:
        commitment = detail["commitment"]
        if isinstance(commitment, str) and _HEX64.fullmatch(commitment):
            return commitment
    return None


def cell(detail: Any) -> Any:
    """A logged detail as a catalog cell: a commitment becomes ``commitment:C``; a clear value
    (an old log) or null stays as it is; any other shape is returned as is for the caller's
    type check to refuse."""
    commitment = logged_commitment(detail)
    return CELL_PREFIX + commitment if commitment else detail


def commitment_in_cell(value: Any) -> str | None:
    """C for a catalog cell ``commitment:C``; None for a clear value or null."""
    if isinstance(value, str) and value.startswith(CELL_PREFIX):
        rest = value[len(CELL_PREFIX) :]
        if _HEX64.fullmatch(rest):
            return rest
    return None
