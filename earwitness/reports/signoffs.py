"""Examiner sign-offs: what one records in the custody log, and how reports read them back.

A sign-off is a signed custody event (action ``examiner_signoff``) of an exhibit. It names the
stored examination it endorses by the SHA-256 of that report's bytes, repeats the conclusion and
the log10 likelihood ratio it endorses, and carries the examiner's name and role as typed: they
are meant to appear in the report, so nothing here is private. Reports take sign-offs only from
events of the verified log, never from the catalog.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from earwitness.vault.custody import Event

SIGNOFF_ACTION = "examiner_signoff"
MAX_FIELD_CHARS = 2000  # a name, a role or a statement longer than this is a mistake


@dataclass(frozen=True)
class SignOff:
    """One examiner's sign-off of one stored examination, as its signed event records it."""

    event_hash: str
    seq: int
    time: str
    actor: str  # the pseudonym whose key signed the event
    examination_sha256: str
    name: str
    role: str
    statement: str | None
    conclusion: str | None
    log10_lr: float | None


def signoff_details(
    *,
    examination_sha256: str,
    examination_seq: int,
    conclusion: str | None,
    log10_lr: float | None,
    name: str,
    role: str,
    statement: str | None,
) -> dict[str, Any]:
    """The custody event's details for a sign-off (the one definition the reader parses)."""
    details: dict[str, Any] = {
        "examination": {"object_sha256": examination_sha256, "seq": examination_seq},
        "examiner": {"name": name, "role": role},
        "conclusion": conclusion,
        "log10_lr": log10_lr,
    }
    if statement:
        details["statement"] = statement
    return {"signoff": details}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def signoff_of(event: Event) -> SignOff | None:
    """The sign-off an event records; None for any other event (or a malformed one)."""
    if event.action != SIGNOFF_ACTION:
        return None
    body = (event.details or {}).get("signoff")
    if not isinstance(body, dict):
        return None
    examination = body.get("examination")
    examiner = body.get("examiner")
    if not isinstance(examination, dict) or not isinstance(examiner, dict):
        return None
    return SignOff(
        event_hash=event.hash,
        seq=event.seq,
        time=event.time,
        actor=event.actor,
        examination_sha256=str(examination.get("object_sha256") or ""),
        name=str(examiner.get("name") or ""),
        role=str(examiner.get("role") or ""),
        statement=_text(body.get("statement")),
        conclusion=_text(body.get("conclusion")),
        log10_lr=_number(body.get("log10_lr")),
    )


def signoffs_of(events: Iterable[Event], exhibit_sha256: str) -> list[SignOff]:
    """Every sign-off of the exhibit among ``events``, in log order."""
    found = []
    for event in events:
        if event.exhibit != exhibit_sha256:
            continue
        signoff = signoff_of(event)
        if signoff is not None:
            found.append(signoff)
    return found
