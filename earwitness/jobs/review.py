"""Review edits in the vault: each edit an artefact of its exhibit, its hash in the custody log.

``record_edit`` stores one edit as a JSON object (the edit, the account, the ASR transcript it
was made on) and logs a signed ``review`` event whose parameters name the account, the edit's
kind, the transcript and the segments, but never the words: a later redaction must be able to
keep them out of everything that is exported, and the log cannot be changed afterwards.

``review_edits`` reads them back through ``read_verified`` (a planted or altered object is
refused with ArtefactTampered) and parses each as hostile JSON; ``reviewed_state`` replays
them on the newest ASR transcript of the exhibit. Redactions are of a time range of the
recording, not of one transcript, so those made on an older transcript of the exhibit apply
to a newer one too; the other edits stay with the transcript they were made on, and
``earlier_edits`` counts them for the workbench to say so.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from earwitness.jobs.transcribe import TRANSCRIPT
from earwitness.review.carry import LeftBehind
from earwitness.review.edits import Edit, EditInvalid, Redact, edit_from_dict
from earwitness.review.state import ReviewState, replay
from earwitness.speech.types import Transcript
from earwitness.vault.artefacts import (
    ArtefactRecord,
    ArtefactTampered,
    list_artefacts,
    read_verified,
    store_artefact,
)
from earwitness.vault.case import Case
from earwitness.vault.custody import canonical_json

EDIT_STAGE = "review_edit"
CARRY_STAGE = "review_carry"  # jobs/carry_review.py: a review carried to a newer transcript
EDIT_SCHEMA = "earwitness.review-edit/1"

__all__ = [
    "EDIT_STAGE",
    "EarlierEdits",
    "earlier_edits",
    "read_edit",
    "record_edit",
    "review_edits",
    "reviewed_state",
]


@dataclass(frozen=True)
class EarlierEdits:
    """Edits made on older ASR transcripts of an exhibit, and on how many of them; and what
    was carried to this one from them (``jobs/carry_review.py``): edits, things left behind,
    and by whom (the last carry)."""

    edits: int = 0
    transcripts: int = 0
    carried: int = 0
    left: int = 0
    carried_by: str | None = None
    to_redo: tuple[LeftBehind, ...] = ()  # what the carries left behind, when read

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"edits": self.edits, "transcripts": self.transcripts}
        if self.carried_by is not None:
            data.update(carried=self.carried, left=self.left, carried_by=self.carried_by)
        if self.to_redo:
            data["to_redo"] = [item.to_dict() for item in self.to_redo]
        return data


def record_edit(
    case: Case,
    exhibit_sha256: str,
    base_transcript: ArtefactRecord,
    edit: Edit,
    account: str,
    carried: tuple[str, str] | None = None,
) -> ArtefactRecord:
    """Store ``edit`` by ``account`` on the ASR transcript ``base_transcript`` and log it;
    ``carried``: (older transcript, account carrying) for an edit carried from an older
    review (``jobs/carry_review.py``), ``account`` then being whoever made what it carries."""
    content: dict[str, Any] = {
        "schema": EDIT_SCHEMA,
        "edit": edit.to_dict(),
        "account": account,
        "base_transcript_sha256": base_transcript.object_sha256,
        # Two identical edits (the same comment twice) stay two objects, two events.
        "nonce": secrets.token_hex(8),
    }
    params: dict[str, Any] = {
        "account": account,
        "kind": edit.kind,
        "base_transcript_sha256": base_transcript.object_sha256,
        "segments": list(edit.segment_ids),
    }
    if carried is not None:
        content["carried_from"] = params["carried_from"] = carried[0]
        content["carried_by"] = params["carried_by"] = carried[1]
    start, end = getattr(edit, "start", None), getattr(edit, "end", None)
    if start is not None and end is not None:
        params["range"] = [start, end]  # times, not words: safe in the log
    return store_artefact(
        case,
        exhibit_sha256,
        EDIT_STAGE,
        canonical_json(content),
        filename="review-edit.json",
        media_type="application/json",
        params=params,
        action="review",
    )


def review_edits(
    case: Case, exhibit_sha256: str, base_object_sha256: str
) -> list[tuple[Edit, str, int]]:
    """``(edit, account, custody seq)`` of every edit made on the transcript object
    ``base_object_sha256``, and every redaction of the exhibit, in custody order."""
    found = []
    for record in list_artefacts(case, exhibit_sha256):
        if record.stage != EDIT_STAGE:
            continue
        base = record.params.get("base_transcript_sha256")
        if base != base_object_sha256 and record.params.get("kind") != Redact.kind:
            continue
        edit, account = read_edit(case, record)
        found.append((edit, account, record.seq))
    return found


def earlier_edits(case: Case, exhibit_sha256: str, base_object_sha256: str) -> EarlierEdits:
    """The edits made on older ASR transcripts of the exhibit than ``base_object_sha256``,
    redactions apart (those apply to every transcript): kept in the case, not shown on this
    one, which a reviewer must be told rather than find out."""
    records = list_artefacts(case, exhibit_sha256)
    transcripts = [record for record in records if record.stage == TRANSCRIPT.name]
    base_seq = min(
        (record.seq for record in transcripts if record.object_sha256 == base_object_sha256),
        default=None,
    )
    older = {
        record.object_sha256
        for record in transcripts
        if base_seq is not None and record.seq < base_seq
    } - {base_object_sha256}
    counted = [
        record.params.get("base_transcript_sha256")
        for record in records
        if record.stage == EDIT_STAGE
        and record.params.get("kind") != Redact.kind
        and record.params.get("base_transcript_sha256") in older
    ]
    carries = [
        record.params
        for record in records
        if record.stage == CARRY_STAGE
        and record.params.get("base_transcript_sha256") == base_object_sha256
    ]
    if not carries:
        return EarlierEdits(len(counted), len(set(counted)))
    return EarlierEdits(
        len(counted),
        len(set(counted)),
        carried=sum(_count(p.get("edits")) for p in carries),
        left=sum(_count(p.get("left")) for p in carries),
        carried_by=str(carries[-1].get("account", ""))[:200],
    )


def _count(value: object) -> int:
    return value if type(value) is int and value >= 0 else 0


def read_edit(case: Case, record: ArtefactRecord) -> tuple[Edit, str]:
    """The edit and account of a stored edit; its bytes verified, its JSON taken as hostile."""
    what = f"review edit {record.object_sha256[:12]} (custody event {record.seq})"
    data = read_verified(case, record)
    try:
        parsed = json.loads(data)
    except ValueError:
        raise ArtefactTampered(f"{what}: not JSON") from None
    if not isinstance(parsed, dict) or parsed.get("schema") != EDIT_SCHEMA:
        raise ArtefactTampered(f"{what}: not a review edit")
    try:
        edit = edit_from_dict(parsed.get("edit"))
    except EditInvalid as exc:
        raise ArtefactTampered(f"{what}: {exc}") from None
    account = parsed.get("account")
    if (
        not isinstance(account, str)
        or account != record.params.get("account")
        or parsed.get("base_transcript_sha256") != record.params.get("base_transcript_sha256")
        or edit.kind != record.params.get("kind")
    ):
        raise ArtefactTampered(f"{what}: does not match its custody event")
    return edit, account


def newest_transcript(case: Case, exhibit_sha256: str) -> ArtefactRecord | None:
    """The newest ASR transcript artefact of the exhibit, or None."""
    stored = [r for r in list_artefacts(case, exhibit_sha256) if r.stage == TRANSCRIPT.name]
    return stored[-1] if stored else None


def reviewed_state(case: Case, exhibit_sha256: str) -> tuple[ArtefactRecord, ReviewState] | None:
    """The newest ASR transcript of the exhibit and its review so far; None without one."""
    base = newest_transcript(case, exhibit_sha256)
    if base is None:
        return None
    asr = read_transcript(case, base)
    return base, replay(asr, review_edits(case, exhibit_sha256, base.object_sha256))


def read_transcript(case: Case, record: ArtefactRecord) -> Transcript:
    """A stored ASR transcript, its bytes verified, its JSON taken as hostile."""
    what = f"transcript {record.object_sha256[:12]} (custody event {record.seq})"
    try:
        return Transcript.from_dict(json.loads(read_verified(case, record)))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ArtefactTampered(f"{what}: not a readable transcript ({exc})") from None
