"""Carrying an exhibit's review to its newest transcript, by an explicit, logged action.

A transcript made again starts a review of its own (``jobs/review.py``): the corrections made
on the older one stay with it until someone carries them. ``carry_review`` finds the older
review (the newest older transcript with edits, or the one named), works out what of it goes
(``review.carry.plan_carry``) and records each carried edit as a review edit of the newest
transcript, under the account of whoever made what it carries, its custody event naming the
transcript it comes from and the account that carried it. A ``review_carry`` artefact then
records the carry as a whole: from, to, by whom, how many edits, and what was left behind
with its time and why (never the words: a later redaction must keep them out of the log).

It all happens under the case's write lock, the plan made again there, so no edit lands
between plan and record. A carry from the same transcript to the same one is refused the
second time; ``dry_run`` plans and records nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from earwitness.errors import EarwitnessError
from earwitness.jobs.review import (
    CARRY_STAGE,
    EDIT_STAGE,
    newest_transcript,
    read_transcript,
    record_edit,
    review_edits,
)
from earwitness.jobs.transcribe import TRANSCRIPT
from earwitness.review.carry import CarryPlan, LeftBehind, plan_carry
from earwitness.review.edits import Redact
from earwitness.vault.artefacts import (
    ArtefactRecord,
    ArtefactTampered,
    list_artefacts,
    read_verified,
    store_artefact,
)
from earwitness.vault.case import Case
from earwitness.vault.custody import canonical_json

CARRY_SCHEMA = "earwitness.review-carry/1"

__all__ = [
    "CARRY_STAGE",
    "Carry",
    "CarryRefused",
    "carry_review",
    "carry_sources",
    "left_behind",
]


class CarryRefused(EarwitnessError):
    """Nothing to carry, a source that is not an older transcript with edits, or a carry
    already made."""

    http_status = 409


@dataclass(frozen=True)
class Carry:
    source: ArtefactRecord  # the older transcript whose review is carried
    target: ArtefactRecord  # the newest transcript, carried to
    plan: CarryPlan
    recorded: tuple[ArtefactRecord, ...]  # the carried edits as stored; () for a dry run
    summary: ArtefactRecord | None  # the review_carry artefact; None for a dry run


def carry_sources(case: Case, exhibit_sha256: str) -> list[tuple[ArtefactRecord, int]]:
    """(transcript, edits made on it) of each older transcript of the exhibit that has edits
    other than redactions, newest first."""
    records = list_artefacts(case, exhibit_sha256)
    transcripts = [r for r in records if r.stage == TRANSCRIPT.name]
    if len(transcripts) < 2:
        return []
    newest = transcripts[-1].object_sha256
    counts: dict[str, int] = {}
    for record in records:
        if record.stage == EDIT_STAGE and record.params.get("kind") != Redact.kind:
            base = record.params.get("base_transcript_sha256")
            if isinstance(base, str):
                counts[base] = counts.get(base, 0) + 1
    seen: set[str] = set()
    found = []
    for record in reversed(transcripts[:-1]):
        sha = record.object_sha256
        if sha != newest and sha not in seen and counts.get(sha):
            seen.add(sha)
            found.append((record, counts[sha]))
    return found


def carried_before(
    case: Case, exhibit_sha256: str, source_sha256: str, target_sha256: str
) -> ArtefactRecord | None:
    """The review_carry artefact of an earlier carry from ``source`` to ``target``, if any."""
    for record in list_artefacts(case, exhibit_sha256):
        if (
            record.stage == CARRY_STAGE
            and record.params.get("carried_from") == source_sha256
            and record.params.get("base_transcript_sha256") == target_sha256
        ):
            return record
    return None


def carry_review(
    case: Case,
    exhibit_sha256: str,
    carried_by: str,
    source: str | None = None,
    dry_run: bool = False,
) -> Carry:
    """Carry the review of an older transcript of the exhibit (``source``: a prefix of its
    object hash; by default the newest older one with edits) to its newest transcript."""
    if not isinstance(carried_by, str) or not carried_by.strip() or len(carried_by) > 200:
        raise CarryRefused("name who carries the review (an account, at most 200 characters)")
    with case.writing():
        target = newest_transcript(case, exhibit_sha256)
        sources = carry_sources(case, exhibit_sha256)
        if target is None or not sources:
            raise CarryRefused(
                f"exhibit {exhibit_sha256[:12]}: no older transcript with review edits to carry"
            )
        older = _chosen(sources, source, exhibit_sha256)
        earlier = carried_before(case, exhibit_sha256, older.object_sha256, target.object_sha256)
        if earlier is not None:
            raise CarryRefused(
                f"the review of transcript {older.object_sha256[:12]} was carried to "
                f"{target.object_sha256[:12]} already (custody event {earlier.seq})"
            )
        plan = plan_carry(
            read_transcript(case, older),
            review_edits(case, exhibit_sha256, older.object_sha256),
            read_transcript(case, target),
            review_edits(case, exhibit_sha256, target.object_sha256),
        )
        if dry_run:
            return Carry(older, target, plan, (), None)
        carried = (older.object_sha256, carried_by)
        recorded = tuple(
            record_edit(case, exhibit_sha256, target, step.edit, step.account, carried)
            for step in plan.edits
        )
        summary = _record_summary(case, exhibit_sha256, older, target, plan, carried_by)
    return Carry(older, target, plan, recorded, summary)


def _chosen(
    sources: list[tuple[ArtefactRecord, int]], prefix: str | None, exhibit_sha256: str
) -> ArtefactRecord:
    if prefix is None:
        return sources[0][0]
    wanted = prefix.strip().lower()
    matches = [r for r, _ in sources if wanted and r.object_sha256.startswith(wanted)]
    if len(matches) != 1:
        named = ", ".join(r.object_sha256[:12] for r, _ in sources)
        problem = "matches none" if not matches else "matches more than one"
        raise CarryRefused(
            f"exhibit {exhibit_sha256[:12]}: transcript {prefix[:64]!r} {problem} of the older "
            f"transcripts with edits ({named})"
        )
    return matches[0]


def _record_summary(
    case: Case,
    exhibit_sha256: str,
    source: ArtefactRecord,
    target: ArtefactRecord,
    plan: CarryPlan,
    carried_by: str,
) -> ArtefactRecord:
    content = {
        "schema": CARRY_SCHEMA,
        "carried_from": source.object_sha256,
        "base_transcript_sha256": target.object_sha256,
        "carried_by": carried_by,
        "edits": len(plan.edits),
        "left": [item.to_dict() for item in plan.left],
    }
    params = {
        "account": carried_by,
        "carried_from": source.object_sha256,
        "base_transcript_sha256": target.object_sha256,
        "edits": len(plan.edits),
        "left": len(plan.left),
    }
    return store_artefact(
        case,
        exhibit_sha256,
        CARRY_STAGE,
        canonical_json(content),
        filename="review-carry.json",
        media_type="application/json",
        params=params,
        action="review",
    )


MAX_SHOWN = 1000  # things left behind read back for a page; the summary keeps them all


def left_behind(case: Case, exhibit_sha256: str, base_object_sha256: str) -> tuple[LeftBehind, ...]:
    """What the carries to the transcript ``base_object_sha256`` left behind, read back from
    their review_carry artefacts (verified; their JSON taken as hostile: a malformed entry is
    refused as tampering, not shown)."""
    found: list[LeftBehind] = []
    for record in list_artefacts(case, exhibit_sha256):
        if (
            record.stage != CARRY_STAGE
            or record.params.get("base_transcript_sha256") != base_object_sha256
        ):
            continue
        what = f"review carry {record.object_sha256[:12]} (custody event {record.seq})"
        try:
            parsed = json.loads(read_verified(case, record))
        except ValueError:
            raise ArtefactTampered(f"{what}: not JSON") from None
        entries = parsed.get("left") if isinstance(parsed, dict) else None
        if parsed.get("schema") != CARRY_SCHEMA or not isinstance(entries, list):
            raise ArtefactTampered(f"{what}: not a review carry")
        for entry in entries[: MAX_SHOWN - len(found)]:
            item = _left_item(entry)
            if item is None:
                raise ArtefactTampered(f"{what}: an entry of what was left behind is malformed")
            found.append(item)
    return tuple(found)


def _left_item(entry: object) -> LeftBehind | None:
    if not isinstance(entry, dict):
        return None
    start, end, what, why = (entry.get(key) for key in ("start", "end", "what", "why"))
    # type(), not isinstance(): JSON's true is an int to Python, and no time.
    try:
        times = [float(t) for t in (start, end) if type(t) is int or type(t) is float]
    except OverflowError:
        return None
    if len(times) != 2 or not all(math.isfinite(t) for t in times):
        return None
    if not isinstance(what, str) or not isinstance(why, str):
        return None
    return LeftBehind(times[0], times[1], what[:200], why[:500])
