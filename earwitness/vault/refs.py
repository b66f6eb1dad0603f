"""Exhibit references, as users type them: a SHA-256 prefix, an original file name, or a path."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from earwitness.errors import AmbiguousReference, ExhibitNotFound
from earwitness.vault.case import Case
from earwitness.vault.catalog import Exhibit, Intake
from earwitness.vault.hashing import sha256_file

_HEX_PREFIX = re.compile(r"^[0-9a-fA-F]{4,64}$")


def resolve_exhibit(case: Case, reference: str) -> str:
    """The SHA-256 of the one exhibit ``reference`` names; raises if it names none or several.

    Tried in order: a file on disk (hashed, then looked up), a unique hash prefix of at least
    four hex digits (as git does), then the name a file had when it was ingested.
    """
    path = Path(reference)
    with case.session() as session:
        if path.is_file():
            digest = sha256_file(path)
            if session.get(Exhibit, digest) is None:
                raise ExhibitNotFound(
                    f"{reference}: this file's content (SHA-256 {digest[:12]}…) is not in the case"
                )
            return digest
        matches: set[str] = set()
        if _HEX_PREFIX.match(reference):
            prefix = reference.lower()
            matches.update(
                session.scalars(select(Exhibit.sha256).where(Exhibit.sha256.startswith(prefix)))
            )
        if not matches:
            matches.update(
                session.scalars(
                    select(Intake.exhibit_sha256).where(Intake.original_name == reference)
                )
            )
    if not matches:
        raise ExhibitNotFound(f"{reference}: no exhibit with this hash prefix or file name")
    if len(matches) > 1:
        listed = ", ".join(sorted(m[:12] for m in matches))
        raise AmbiguousReference(f"{reference}: names {len(matches)} exhibits ({listed})")
    return matches.pop()
