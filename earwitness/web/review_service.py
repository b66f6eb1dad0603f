"""The review of each exhibit as this server process knows it, and the one way to change it.

The truth is the case: the ASR transcript artefact and the review edits stored after it, each
a signed custody event (``jobs/review.py``). Rebuilding an exhibit's state means reading every
edit through the verified path, so each process keeps the newest :class:`Reviewed` per exhibit,
checked against the custody head: when the head has moved (another process or server wrote),
only the edits newer than the cached state are read and applied; a new ASR transcript means a
rebuild. Builds and replays hold the case's write lock, so no edit can land between reading the
head and reading the edits.

``apply_edit`` is the save path: parse the hostile JSON, check the account's role for the
kind of edit, then, under the write lock, catch up, apply against the editor's base versions
(someone else changed the segment: :class:`ReviewConflict`, never a silent overwrite), record
the edit (a signed custody event naming the account) and move the cache on. The search index is
brought up to date afterwards, outside the lock (``web/indexing.py``).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from earwitness.errors import EarwitnessError
from earwitness.jobs.review import CARRY_STAGE, EDIT_STAGE
from earwitness.jobs.transcribe import TRANSCRIPT
from earwitness.review.edits import (
    AddAnnotation,
    AddQuote,
    Edit,
    EditConflict,
    EditInvalid,
    EditRefused,
    RemoveAnnotation,
    RemoveQuote,
    edit_from_dict,
)
from earwitness.review.state import ReviewState, apply
from earwitness.vault.artefacts import ArtefactRecord, ArtefactTampered, CustodyLogInvalid
from earwitness.vault.catalog import Artefact, head_seq
from earwitness.web.accounts import RANK, Account
from earwitness.web.state import Workbench

# Edits about the transcript rather than changes to it: a reviewer may make them.
REVIEWER_KINDS = frozenset(
    cls.kind for cls in (AddAnnotation, RemoveAnnotation, AddQuote, RemoveQuote)
)
MAX_BASE_VERSIONS = 64  # segments one edit may name with their versions


class ReviewNotFound(EarwitnessError):
    http_status = 404


class ReviewForbidden(EarwitnessError):
    http_status = 403


class ReviewInvalid(EarwitnessError):
    http_status = 422


class ReviewUnavailable(EarwitnessError):
    """What the case holds for this review did not verify (a tampered edit or transcript, a
    log that does not verify): nothing of it is served."""

    http_status = 500


class ReviewConflict(EarwitnessError):
    """Someone else changed a segment this edit touches; ``current`` is the state now."""

    http_status = 409

    def __init__(self, message: str, current: ReviewState, segment_ids: tuple[int, ...]) -> None:
        super().__init__(message)
        self.current = current
        self.segment_ids = segment_ids


@dataclass(frozen=True)
class Reviewed:
    """An exhibit's review as of custody event ``head_seq``: the ASR transcript artefact it
    reviews, the state with every edit up to ``last_edit_seq`` applied."""

    exhibit_sha256: str
    base: ArtefactRecord
    state: ReviewState
    head_seq: int
    last_edit_seq: int


@dataclass(frozen=True)
class Saved:
    before: ReviewState
    after: Reviewed
    edit: Edit
    record: ArtefactRecord


@dataclass
class ReviewCache:
    """One per workbench (server process): the newest review of each exhibit."""

    reviewed: dict[str, Reviewed] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_CACHES: dict[int, tuple[weakref.ref[Workbench], ReviewCache]] = {}
_CACHES_LOCK = threading.Lock()


def cache_of(workbench: Workbench) -> ReviewCache:
    with _CACHES_LOCK:
        found = _CACHES.get(id(workbench))
        if found is not None and found[0]() is workbench:
            return found[1]
        made = ReviewCache()
        _CACHES[id(workbench)] = (weakref.ref(workbench), made)
        return made


def _head_seq(workbench: Workbench) -> int:
    """The custody head as the catalog has it. The catalog takes each event and its artefact
    row in one transaction, so every row up to this seq is there to be read (the log's own
    tail can be one event ahead of the catalog while a writer is between the two)."""
    with workbench.case.session() as session:
        return head_seq(session)


def _unavailable(exhibit: str, exc: Exception) -> ReviewUnavailable:
    return ReviewUnavailable(f"review of exhibit {exhibit[:12]}: {exc}")


def reviewed(workbench: Workbench, exhibit: str) -> Reviewed | None:
    """The exhibit's review now; None when it has no transcript yet. Answered from this
    process's cache while the custody head has not moved past anything that concerns it."""
    cache = cache_of(workbench)
    with cache.lock:
        known = cache.reviewed.get(exhibit)
    head = _head_seq(workbench)
    if known is not None and known.head_seq == head:
        return known
    if known is not None and not _newer_review_rows(workbench, exhibit, known.head_seq, head):
        moved = Reviewed(exhibit, known.base, known.state, head, known.last_edit_seq)
        _remember(cache, moved, known)
        return moved
    with workbench.writing():
        return _catch_up(workbench, exhibit)


def _remember(cache: ReviewCache, new: Reviewed, old: Reviewed | None) -> None:
    """Keep ``new`` only if the cache still holds ``old`` (what it was made from): a save made
    meanwhile by another thread is never replaced by a state without it."""
    with cache.lock:
        if cache.reviewed.get(new.exhibit_sha256) is old:
            cache.reviewed[new.exhibit_sha256] = new


def _newer_review_rows(
    workbench: Workbench, exhibit: str, after_seq: int, up_to: int
) -> list[tuple[int, str]]:
    """(seq, stage) of transcripts, review edits and carries of the exhibit logged after
    ``after_seq`` and up to ``up_to`` (a catalog look-up: what it finds is then read through
    the verified path). A carry rebuilds the review even where it carried no edit: what the
    page says of earlier transcripts changed."""
    query = (
        select(Artefact.seq, Artefact.stage)
        .where(
            Artefact.exhibit_sha256 == exhibit,
            Artefact.seq > after_seq,
            Artefact.seq <= up_to,
            Artefact.stage.in_((TRANSCRIPT.name, EDIT_STAGE, CARRY_STAGE)),
        )
        .order_by(Artefact.seq)
    )
    with workbench.case.session() as session:
        return [(int(seq), str(stage)) for seq, stage in session.execute(query)]


def _catch_up(workbench: Workbench, exhibit: str) -> Reviewed | None:
    """Under the write lock: the cached review brought to the head (replaying only newer
    edits), or rebuilt from the case when there is none or the ASR transcript changed."""
    from earwitness.jobs.review import review_edits, reviewed_state

    cache = cache_of(workbench)
    head = _head_seq(workbench)
    with cache.lock:
        known = cache.reviewed.get(exhibit)
    if known is not None and known.head_seq == head:
        return known
    try:
        if known is not None:
            newer = _newer_review_rows(workbench, exhibit, known.head_seq, head)
            if all(stage == EDIT_STAGE for _seq, stage in newer):
                state, last = known.state, known.last_edit_seq
                for edit, account, seq in review_edits(
                    workbench.case, exhibit, known.base.object_sha256
                ):
                    if seq > last:
                        state, last = _replayed(state, edit, account, seq), seq
                made = Reviewed(exhibit, known.base, state, head, last)
                with cache.lock:  # the write lock is held: nothing newer can exist
                    cache.reviewed[exhibit] = made
                return made
        found = reviewed_state(workbench.case, exhibit)
    except (ArtefactTampered, CustodyLogInvalid) as exc:
        raise _unavailable(exhibit, exc) from None
    if found is None:
        return None
    base, state = found
    made = Reviewed(exhibit, base, state, head, head)
    with cache.lock:
        cache.reviewed[exhibit] = made
    return made


def _replayed(state: ReviewState, edit: Edit, account: str, seq: int) -> ReviewState:
    """One stored edit applied as ``review.state.replay`` applies it: one that no longer
    applies (two writers raced) is listed in ``skipped``, never guessed at."""
    try:
        return apply(state, edit, account)
    except EditRefused:
        return replace(state, skipped=(*state.skipped, seq))


def required_role(edit: Edit) -> str:
    """Annotations and quotes need a reviewer; everything that changes the text an editor."""
    return "reviewer" if edit.kind in REVIEWER_KINDS else "editor"


def parse_base_versions(value: object, edit: Edit) -> dict[int, int]:
    """``{"12": 3}`` (JSON keys are strings) as {12: 3}; every segment the edit touches must be
    named, so no write goes without a version check."""
    if not isinstance(value, Mapping):
        raise ReviewInvalid("base_versions: not a JSON object of segment id → version")
    if len(value) > MAX_BASE_VERSIONS:
        raise ReviewInvalid(f"base_versions: more than {MAX_BASE_VERSIONS} segments")
    versions: dict[int, int] = {}
    for key, version in value.items():
        if not isinstance(key, str) or not key.isascii() or not key.isdigit() or len(key) > 10:
            raise ReviewInvalid(f"base_versions: {str(key)[:20]!r} is not a segment id")
        if type(version) is not int or not 0 <= version <= 10**9:
            raise ReviewInvalid(f"base_versions: segment {key}: the version is not an integer")
        versions[int(key)] = version
    missing = [sid for sid in edit.segment_ids if sid not in versions]
    if missing:
        raise ReviewInvalid(
            f"base_versions: segment {missing[0]} is not named (send the version you edited)"
        )
    return versions


def parse_request(body: object) -> tuple[Edit, dict[int, int]]:
    """The edit and base versions of a POST body ``{"edit": {…}, "base_versions": {…}}``."""
    if not isinstance(body, Mapping):
        raise ReviewInvalid("body: not a JSON object with edit and base_versions")
    extra = [key for key in body if key not in ("edit", "base_versions")]
    if extra:
        raise ReviewInvalid(f"body: unexpected key {str(extra[0])[:40]!r}")
    try:
        edit = edit_from_dict(body.get("edit"))
    except EditInvalid as exc:
        raise ReviewInvalid(str(exc)) from None
    return edit, parse_base_versions(body.get("base_versions", {}), edit)


def apply_edit(
    workbench: Workbench,
    exhibit: str,
    edit_dict: object,
    base_versions: object,
    account: Account,
) -> Saved:
    """Apply one edit made by ``account`` and record it; raises ReviewInvalid (422),
    ReviewForbidden (403), ReviewNotFound (404), ReviewConflict (409), ReviewUnavailable."""
    edit, versions = parse_request({"edit": edit_dict, "base_versions": base_versions})
    needed = required_role(edit)
    if RANK.get(account.role, -1) < RANK[needed]:
        raise ReviewForbidden(f"{edit.kind}: this needs the role {needed} (you are {account.role})")
    saved = _save(workbench, exhibit, edit, versions, account)
    from earwitness.web.indexing import index_review

    index_review(workbench, saved.after)
    return saved


def _save(
    workbench: Workbench, exhibit: str, edit: Edit, versions: dict[int, int], account: Account
) -> Saved:
    from earwitness.jobs.review import record_edit

    cache = cache_of(workbench)
    with workbench.writing() as case:
        current = _catch_up(workbench, exhibit)
        if current is None:
            raise ReviewNotFound(f"exhibit {exhibit[:12]}: no transcript to review yet")
        if isinstance(edit, RemoveAnnotation) and RANK[account.role] < RANK["editor"]:
            _refuse_foreign_annotation(current.state, edit, account)
        try:
            state = apply(current.state, edit, account.name, versions)
        except EditConflict as exc:
            ids = tuple(exc.segment_ids) or edit.segment_ids
            raise ReviewConflict(str(exc), current.state, ids) from None
        except EditRefused as exc:
            raise ReviewInvalid(str(exc)) from None
        record = record_edit(case, exhibit, current.base, edit, account.name)
        made = Reviewed(exhibit, current.base, state, record.seq, record.seq)
        with cache.lock:
            cache.reviewed[exhibit] = made
    return Saved(current.state, made, edit, record)


def _refuse_foreign_annotation(
    state: ReviewState, edit: RemoveAnnotation, account: Account
) -> None:
    for note in state.annotations:
        if getattr(note, "id", None) == edit.annotation_id:
            if getattr(note, "account", None) != account.name:
                raise ReviewForbidden(
                    f"annotation {edit.annotation_id}: a reviewer removes only their own"
                )
            return


def forget(workbench: Workbench, exhibit: str | None = None) -> None:
    """Drop the cached review of ``exhibit`` (all with None): the next read rebuilds it."""
    cache = cache_of(workbench)
    with cache.lock:
        if exhibit is None:
            cache.reviewed.clear()
        else:
            cache.reviewed.pop(exhibit, None)
