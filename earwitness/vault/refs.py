"""Exhibit references, as users type them: a SHA-256 prefix, an original file name, or a path.

A reference is resolved against the verified custody log (its projection), never against the
catalog: the catalog is only an index, and an edited ``intakes.original_name`` or
``exhibits.sha256`` cell there must not make a name point at another exhibit. The projection is
checked once per process and then extended with what was appended, so resolving many
references costs one check of the log.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path, PurePath

from earwitness.errors import AmbiguousReference, ExhibitNotFound
from earwitness.vault.case import Case
from earwitness.vault.hashing import sha256_file
from earwitness.vault.projection import Projection
from earwitness.vault.verified_log import verified_projection

_HEX_PREFIX = re.compile(r"^[0-9a-fA-F]{4,64}$")


def resolve_exhibit(case: Case, reference: str) -> str:
    """The SHA-256 of the one exhibit ``reference`` names; raises if it names none or several.

    Tried in order: a file on disk (hashed, then looked up), a unique hash prefix of at least
    four hex digits (as git does), then the name a file had when it was ingested. Every answer
    comes from the signed custody log; raises CustodyLogInvalid (one line) when it does not
    verify, ExhibitNotFound or AmbiguousReference otherwise.
    """
    path = Path(reference)
    if path.is_file():
        digest = sha256_file(path)  # hashed before the log is checked: a big file takes longest
        if digest not in verified_projection(case).exhibits:
            raise ExhibitNotFound(
                f"{reference}: this file's content (SHA-256 {digest[:12]}…) is not in the case"
            )
        return digest
    logged = verified_projection(case)
    matches = exhibits_named(logged, reference)
    if not matches:
        near = " or ".join(f"'{name}'" for name in near_names(logged, reference))
        hint = f" (did you mean {near}?)" if near else ""
        raise ExhibitNotFound(f"{reference}: no exhibit with this hash prefix or file name{hint}")
    if len(matches) > 1:
        listed = ", ".join(sorted(m[:12] for m in matches))
        raise AmbiguousReference(f"{reference}: names {len(matches)} exhibits ({listed})")
    return matches.pop()


def near_names(logged: Projection, reference: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` names the case's files were ingested under that ``reference`` may have
    meant: the same name without its extension or in other letter case first (``call`` for
    ``call.wav``), then names that differ by a few characters."""
    names = sorted({intake.original_name for intake in logged.intakes.values()})
    wanted = reference.casefold()
    same = [n for n in names if wanted in (n.casefold(), PurePath(n).stem.casefold())]
    close = difflib.get_close_matches(reference, names, n=limit, cutoff=0.75)
    return list(dict.fromkeys(same + close))[:limit]


def exhibits_named(logged: Projection, reference: str) -> set[str]:
    """Every exhibit ``reference`` names in ``logged``: those whose SHA-256 starts with it (a hex
    prefix of four digits or more), else those any intake received under that file name."""
    if _HEX_PREFIX.match(reference):
        prefix = reference.lower()
        by_prefix = {sha256 for sha256 in logged.exhibits if sha256.startswith(prefix)}
        if by_prefix:
            return by_prefix
    return {
        intake.exhibit_sha256
        for intake in logged.intakes.values()
        if intake.original_name == reference
    }
