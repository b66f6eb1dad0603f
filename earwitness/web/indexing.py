"""Keeping the case's search index current: what an exhibit's documents are, and when they
are written.

``documents_for`` builds them from the *reviewed* transcript with its redactions applied (a
redacted word never reaches the index), its translation, speaker names and annotations; each
segment document carries the tags of the annotations that overlap it and the names of the
examination findings that do. Three moments write them:

* ``after_transcript`` — the worker's hook once an exhibit is transcribed (it also computes the
  waveform peaks, so the review page never waits for a decoding);
* ``index_review`` — after each saved edit: only the documents that changed are written,
  compared with what this process last wrote for the exhibit;
* ``refresh_index`` — every exhibit whose transcript, examination or review edits changed
  since its documents were made (the index records, per exhibit, the custody seq of the
  newest artefact it read): ``earwitness serve`` runs it at start and the worker when the
  case has new artefacts, so a transcript or an examination made on the command line beside
  the workbench is found by search too, not only the one a job made.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Integer, func, select
from sqlalchemy.engine import Engine

from earwitness.review.redaction import redact_transcript
from earwitness.review.state import ReviewState
from earwitness.search import Annotation, Document, Finding, SearchIndex, exhibit_documents
from earwitness.vault.case import Case
from earwitness.vault.catalog import Artefact
from earwitness.web.findings import examination_findings as exam_findings

if TYPE_CHECKING:
    from earwitness.web.review_service import Reviewed
    from earwitness.web.state import Workbench

log = logging.getLogger(__name__)

DocKey = tuple[str, str]  # (kind, key)
SEGMENT_KINDS = ("segment", "translation")


@dataclass(frozen=True)
class _Written:
    """What this process last wrote for one exhibit: the ASR transcript (object hash) and the
    state the documents were made from, and the documents. The next save writes only what
    differs; a new transcript means a whole replacement (the worker may have written since)."""

    base: str
    state: ReviewState
    findings: tuple[Finding, ...]
    docs: dict[DocKey, Document]


_WRITTEN: dict[tuple[int, str], _Written] = {}
_WRITTEN_LOCK = threading.Lock()
_EXHIBIT_LOCKS: dict[tuple[int, str], threading.Lock] = {}


def documents_for(
    exhibit_sha256: str,
    state: ReviewState,
    findings: Sequence[Finding] = (),
    only: Collection[int] | None = None,
) -> list[Document]:
    """Every search document of the exhibit's reviewed transcript (redactions applied); with
    ``only``, just the segment and translation documents of those segment ids."""
    shown = redact_transcript(state.transcript, state.redactions)
    # Only what the index reads: the words' times are not needed, and building their dicts for
    # a long recording on every save would cost more than the index write.
    light: dict[str, Any] = {
        "language": shown.language,
        "segments": _light(shown.segments, only),
        "translation": None
        if shown.translation is None
        else {
            "language": shown.translation_language or "en",
            "segments": _light(shown.translation, only),
        },
    }
    notes = [
        Annotation(note.id, note.start, note.end, note.text, tuple(note.tags))
        for note in state.annotations
    ]
    docs = exhibit_documents(
        exhibit_sha256,
        light,
        speaker_names=dict(state.speaker_names),
        annotations=() if only is not None else notes,
        findings=findings,
    )
    if only is not None:
        docs = [doc for doc in docs if doc.kind in SEGMENT_KINDS]
    return [_with_tags(doc, notes) for doc in docs]


def _light(segments: Sequence[Any], only: Collection[int] | None) -> list[dict[str, Any]]:
    return [
        {
            "id": segment.id,
            "start": segment.start,
            "end": segment.end,
            "text": segment.text,
            "speaker": segment.speaker,
        }
        for segment in segments
        if only is None or segment.id in only
    ]


def _with_tags(doc: Document, notes: Sequence[Annotation]) -> Document:
    """A segment or translation document with the tags of the annotations overlapping it."""
    if doc.kind not in SEGMENT_KINDS or doc.start is None or not notes:
        return doc
    start, end = doc.start, doc.end if doc.end is not None else doc.start
    tags = {tag: None for n in notes if n.start < end and start < n.end for tag in n.tags}
    return replace(doc, tags=tuple(tags)) if tags else doc


def examination_findings(case: Case, exhibit_sha256: str) -> tuple[Finding, ...]:
    """The findings of the exhibit's newest stored examination (verified once per process,
    read as hostile JSON by ``web.findings``) as search filters, or none."""
    return tuple(
        Finding(found.kind, found.start_s, found.end_s)
        for found in exam_findings(case, exhibit_sha256)
    )


def _exhibit_lock(engine: Engine, exhibit: str) -> threading.Lock:
    with _WRITTEN_LOCK:
        return _EXHIBIT_LOCKS.setdefault((id(engine), exhibit), threading.Lock())


def _changed_segments(old: ReviewState, new: ReviewState) -> set[int] | None:
    """The segment ids whose documents may differ between the two states (changed, new or
    removed), or None when something case-wide changed (names, notes, redactions, labels in
    use, languages) and every document must be made again. Segments untouched by an edit are
    the same objects in both states, so this is a pass of identity checks."""
    before, after = old.transcript, new.transcript
    if (
        old.speaker_names != new.speaker_names
        or old.annotations != new.annotations
        or old.redactions != new.redactions
        or (before.language, before.translation_language)
        != (after.language, after.translation_language)
        or (before.translation is None) != (after.translation is None)
    ):
        return None
    labels = [{s.speaker for s in t.segments} for t in (before, after)]
    if labels[0] != labels[1]:
        return None
    changed: set[int] = set()
    for was, now in ((before.segments, after.segments), (before.translation, after.translation)):
        was_by_id = {segment.id: segment for segment in was or ()}
        for segment in now or ():
            if was_by_id.pop(segment.id, None) is not segment:
                changed.add(segment.id)
        changed.update(was_by_id)  # removed
    return changed


def write_exhibit(
    engine: Engine,
    case: Case,
    exhibit: str,
    state: ReviewState,
    base: str,
    *,
    whole: bool = False,
    source_seq: int | None = None,
) -> int:
    """Bring the index's documents of ``exhibit`` to ``state`` (a review of the transcript
    object ``base``); returns how many documents were written or removed. Only those that
    differ from what this process last wrote for the same ``base``, unless ``whole`` (or
    nothing was written yet: then the exhibit's documents are replaced, and ``source_seq``,
    the newest artefact seq read before ``state`` was, is recorded with them)."""
    findings = examination_findings(case, exhibit)
    index = SearchIndex(engine)
    key = (id(engine), exhibit)
    with _exhibit_lock(engine, exhibit):
        with _WRITTEN_LOCK:
            last = _WRITTEN.get(key)
        if last is None or last.base != base or whole or last.findings != findings:
            docs = documents_for(exhibit, state, findings)
            index.replace_exhibit(exhibit, docs, source_seq)
            written = {(str(doc.kind), doc.key): doc for doc in docs}
            changed = len(docs)
        else:
            ids = _changed_segments(last.state, state)
            fresh = documents_for(exhibit, state, findings, only=ids)
            new = {(str(doc.kind), doc.key): doc for doc in fresh}
            if ids is None:
                written = new
                stale = last.docs.keys() - new.keys()
            else:
                written = dict(last.docs)
                keys = {str(sid) for sid in ids}
                stale = {(k, n) for (k, n) in last.docs if k in SEGMENT_KINDS and n in keys}
                stale -= new.keys()
                for gone_key in stale:
                    del written[gone_key]
                written.update(new)
            upsert = [doc for name, doc in new.items() if last.docs.get(name) != doc]
            gone: dict[str, list[str]] = {}
            for kind, doc_key in stale:
                gone.setdefault(kind, []).append(doc_key)
            if upsert:
                index.upsert(upsert)
            for kind, names in gone.items():
                index.remove(exhibit, kind, names)
            changed = len(upsert) + len(stale)
        with _WRITTEN_LOCK:
            _WRITTEN[key] = _Written(base, state, findings, written)
    return changed


def index_review(workbench: Workbench, made: Reviewed) -> int:
    """After a saved edit: index the newest review this process knows (never an older one, so
    two saves finishing out of order still leave the index at the newer state)."""
    from earwitness.web.review_service import cache_of

    cache = cache_of(workbench)
    with cache.lock:
        newest = cache.reviewed.get(made.exhibit_sha256, made)
    return write_exhibit(
        workbench.engine,
        workbench.case,
        made.exhibit_sha256,
        newest.state,
        newest.base.object_sha256,
    )


def after_transcript(case: Case, engine: Engine, exhibit_sha256: str) -> int:
    """The worker's hook once an exhibit has a transcript: its documents in the index, then
    its waveform peaks (stored, so the review page never decodes; a recording that cannot be
    drawn is noted in the log and drawn on first request instead). Returns documents written."""
    from earwitness.errors import EarwitnessError
    from earwitness.jobs.peaks import ensure_peaks
    from earwitness.jobs.review import reviewed_state

    written = 0
    source = index_sources(case, exhibit_sha256).get(exhibit_sha256)  # before the state is read
    found = reviewed_state(case, exhibit_sha256)
    if found is not None:
        base, state = found
        written = write_exhibit(
            engine, case, exhibit_sha256, state, base.object_sha256, whole=True, source_seq=source
        )
    try:
        ensure_peaks(case, exhibit_sha256)
    except EarwitnessError as exc:
        log.warning("waveform peaks of exhibit %s: %s", exhibit_sha256[:12], exc)
    return written


def index_sources(case: Case, exhibit_sha256: str | None = None) -> dict[str, int]:
    """Exhibit → the custody seq of the newest artefact its search documents are made from
    (its transcripts, examinations and review edits), for each exhibit with a transcript
    (or just ``exhibit_sha256``). Read from the catalog: a change is only a reason to index
    again, and what is indexed is read verified."""
    from earwitness.jobs.review import EDIT_STAGE
    from earwitness.jobs.transcribe import TRANSCRIPT
    from earwitness.web.findings import EXAMINATION_STAGE

    stages = (TRANSCRIPT.name, EXAMINATION_STAGE, EDIT_STAGE)
    query = (
        select(Artefact.exhibit_sha256, func.max(Artefact.seq))
        .where(Artefact.stage.in_(stages))
        .group_by(Artefact.exhibit_sha256)
        .having(func.sum((Artefact.stage == TRANSCRIPT.name).cast(Integer)) > 0)
    )
    if exhibit_sha256 is not None:
        query = query.where(Artefact.exhibit_sha256 == exhibit_sha256)
    with case.session() as session:
        return {str(exhibit): int(seq) for exhibit, seq in session.execute(query)}


def refresh_index(case: Case, engine: Engine) -> int:
    """Index again every exhibit whose transcript, examination or review edits changed since
    its documents were last made in full (all of them in a new database). An exhibit whose
    record does not verify is skipped with a warning in the log; the rest are indexed.
    Returns documents written."""
    from earwitness.errors import EarwitnessError
    from earwitness.jobs.review import reviewed_state

    indexed = SearchIndex(engine).sources()
    written = 0
    for exhibit, seq in index_sources(case).items():
        if indexed.get(exhibit) == seq:
            continue
        try:
            found = reviewed_state(case, exhibit)
        except EarwitnessError as exc:
            log.warning("search index: exhibit %s skipped: %s", exhibit[:12], exc)
            continue
        if found is not None:
            base, state = found
            written += write_exhibit(
                engine, case, exhibit, state, base.object_sha256, whole=True, source_seq=seq
            )
    return written


def index_is_empty(engine: Engine) -> bool:
    return SearchIndex(engine).count() == 0
