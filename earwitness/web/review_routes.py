"""The review JSON API and the review page (the page's own script uses this API).

- ``GET  /api/exhibits``: every exhibit with its name, duration, language, whether it has a
  transcript and the provenance line ("ASR + 3 corrections by 2 reviewers").
- ``GET  /api/exhibits/{sha256}/review``: the reviewed transcript, segment by segment with its
  ASR text and version, and the speakers, redactions, marks, annotations and quotes, and the
  findings of the newest examination (``[{start_s, end_s, kind, check, check_title, title,
  severity, score, log10_lr, verbal}]``; ``severity`` is the dossier's class, ``sev-obs`` for
  every observation) with what it concluded of the whole file (``examination``:
  ``{log10_lr, evidence, conclusion}``).
- ``POST /api/exhibits/{sha256}/edits``: ``{"edit": {...}, "base_versions": {"12": 3}}`` →
  200 ``{version, provenance, segments, removed, …}`` | 409 ``{error, current}`` (someone else
  changed the segment; ``current`` holds it as it is now) | 422 | 403.
- ``POST /api/exhibits/{sha256}/carry``: ``{"dry_run": true|false}`` → 200 ``{from, to,
  edits, left: [{start, end, what, why}], dry_run}``: the review of the newest older
  transcript with edits carried to the newest one (``jobs/carry_review.py``), editors only |
  409 (nothing to carry, or carried already).
- ``GET  /api/exhibits/{sha256}/diff``: the ASR and the reviewed words of each segment.
- ``GET  /api/exhibits/{sha256}/audio``: the original as received (verified), HTTP Range.
- ``GET  /api/exhibits/{sha256}/peaks``: ``{rate, scale, duration, peaks: [min, max, …]}``;
  ``rate`` bins per second, each value an integer in -scale…scale (divide by ``scale``).
- ``GET  /exhibits/{sha256}``: the review page.

An exhibit is named only by its SHA-256 (64 lowercase hex digits, else 404); nothing a client
sends becomes a path. The review page alone also takes a unique hash prefix of four digits or
more, as the command line prints and takes them ("9426683bd6ab"), and redirects to the full
name.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from earwitness.errors import EarwitnessError, ExhibitNotFound
from earwitness.jobs.carry_review import carry_review, left_behind
from earwitness.jobs.recording import exhibit_run
from earwitness.jobs.review import earlier_edits
from earwitness.review.diff import diff
from earwitness.review.provenance import describe
from earwitness.vault.artefacts import ArtefactTampered, verified_projection
from earwitness.vault.refs import exhibits_named
from earwitness.vault.verified_log import exhibit_record
from earwitness.web import review_service as service
from earwitness.web.accounts import Account
from earwitness.web.auth import current_account, require, workbench
from earwitness.web.findings import NO_SUMMARY, newest_examination, read_examination
from earwitness.web.review_audio import audio_response, object_response
from earwitness.web.review_json import review_json, saved_json, segments_by_id
from earwitness.web.state import Workbench
from earwitness.web.templating import page

router = APIRouter()

Viewer = Annotated[Account, Depends(require("viewer"))]
Reviewer = Annotated[Account, Depends(require("reviewer"))]
Editor = Annotated[Account, Depends(require("editor"))]
PageAccount = Annotated[Account, Depends(current_account)]
Bench = Annotated[Workbench, Depends(workbench)]

SHA256 = re.compile(r"[0-9a-f]{64}")
HASH_PREFIX = re.compile(r"[0-9a-f]{4,63}")
GZIP_FROM = 32 * 1024  # bytes; smaller answers go as they are
MAX_EDIT_BODY = 64 * 1024  # an edit is a few hundred bytes; a correction at most 10,000 chars
MAX_CARRY_BODY = 1024
_NAMES: dict[tuple[str, str], str] = {}
_NAMES_LOCK = threading.Lock()
_PEAKS_LOCKS: dict[str, threading.Lock] = {}
_PEAKS_LOCKS_LOCK = threading.Lock()


def _exhibit(bench: Workbench, sha256: str) -> str:
    """The exhibit's original name, after checking the path parameter and that the verified
    log knows the exhibit (404 either way: a malformed name is no exhibit).

    An exhibit's first intake never changes, so it is read from the verified log once per
    process: asking the log on every request would check every event appended since the last
    request (each save appends one), on the path of every save."""
    if not SHA256.fullmatch(sha256):
        raise ExhibitNotFound(f"{sha256[:80]!r}: not an exhibit (a SHA-256 is 64 hex digits)")
    key = (str(bench.case.paths.root), sha256)
    with _NAMES_LOCK:
        name = _NAMES.get(key)
    if name is None:
        name = exhibit_record(bench.case, sha256).original_name
        with _NAMES_LOCK:
            _NAMES[key] = name
    return name


def _reviewed(bench: Workbench, sha256: str) -> service.Reviewed:
    found = service.reviewed(bench, sha256)
    if found is None:
        raise service.ReviewNotFound(f"exhibit {sha256[:12]}: no transcript to review yet")
    return found


@router.get("/api/exhibits")
def list_exhibits(_account: Viewer, bench: Bench) -> list[dict[str, Any]]:
    """Every exhibit of the case, in the order received."""
    projection = verified_projection(bench.case)
    transcribed = {
        a.exhibit_sha256 for a in projection.artefacts.values() if a.stage == "transcript"
    }
    names: dict[str, str] = {}
    for intake in sorted(projection.intakes.values(), key=lambda row: row.seq):
        names.setdefault(intake.exhibit_sha256, intake.original_name)
    answer = []
    for sha256, exhibit in sorted(projection.exhibits.items(), key=lambda item: item[1].first_seq):
        duration = (exhibit.media or {}).get("duration_s")
        entry: dict[str, Any] = {
            "sha256": sha256,
            "name": names.get(sha256, ""),
            "duration_s": duration if isinstance(duration, int | float) else None,
            "language": None,
            "has_transcript": sha256 in transcribed,
            "provenance": None,
        }
        if sha256 in transcribed:
            try:
                found = service.reviewed(bench, sha256)
            except EarwitnessError as exc:  # one bad record never hides the other exhibits
                entry["error"] = str(exc)
            else:
                if found is not None:
                    entry["language"] = found.state.transcript.language
                    entry["provenance"] = describe(found.state)
        answer.append(entry)
    return answer


@router.get("/api/exhibits/{sha256}/review")
def get_review(sha256: str, request: Request, _account: Viewer, bench: Bench) -> Response:
    name = _exhibit(bench, sha256)
    found = _reviewed(bench, sha256)
    examination = newest_examination(bench.case, sha256)
    made_from = (found.state, examination.object_sha256 if examination else None)
    # A 2-hour recording's review is megabytes of JSON: made once per state (and examination),
    # not per request.
    key = ("review", id(bench), sha256)
    with _BODIES_LOCK:
        kept = _BODIES.get(key)
    if kept is None or kept[0][0] is not found.state or kept[0][1] != made_from[1]:
        findings, summary = (
            read_examination(bench.case, examination) if examination else ((), NO_SUMMARY)
        )
        earlier = earlier_edits(bench.case, sha256, found.base.object_sha256)
        if earlier.left:
            try:
                to_redo = left_behind(bench.case, sha256, found.base.object_sha256)
            except ArtefactTampered as exc:
                raise service.ReviewUnavailable(f"review of exhibit {sha256[:12]}: {exc}") from None
            earlier = replace(earlier, to_redo=to_redo)
        body = review_json(
            sha256, name, found.base.object_sha256, found.state, findings, earlier, summary
        )
        kept = (made_from, _Body(_dumps(body)))
        with _BODIES_LOCK:
            _BODIES[key] = kept
    return kept[1].response(request)


_EDIT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["edit"],
                    "additionalProperties": False,
                    "properties": {
                        "edit": {
                            "type": "object",
                            "description": "One edit: {kind: correct_text|split_segment|"
                            "merge_segments|move_boundary|set_speaker|rename_speaker|"
                            "merge_speakers|mark_range|redact|add_annotation|"
                            "remove_annotation|add_quote|remove_quote, …its fields}",
                            "required": ["kind"],
                        },
                        "base_versions": {
                            "type": "object",
                            "description": "segment id → the version the editor read; every "
                            "segment the edit touches must be named",
                            "additionalProperties": {"type": "integer", "minimum": 0},
                        },
                    },
                }
            }
        },
    }
}


@router.post("/api/exhibits/{sha256}/edits", openapi_extra=_EDIT_BODY)
async def post_edit(sha256: str, request: Request, account: Reviewer, bench: Bench) -> Response:
    body = await _read_limited(request, MAX_EDIT_BODY)
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        raise service.ReviewInvalid("body: not JSON") from None
    if not isinstance(parsed, dict):
        raise service.ReviewInvalid("body: not a JSON object with edit and base_versions")
    return await run_in_threadpool(_save, bench, sha256, parsed, account)


async def _read_limited(request: Request, limit: int) -> bytes:
    """The request body, refused (422) as soon as it passes ``limit`` bytes: a huge body is
    never read into memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise service.ReviewInvalid(f"body: larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise service.ReviewInvalid(f"body: larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _save(bench: Workbench, sha256: str, parsed: dict[str, Any], account: Account) -> Response:
    _exhibit(bench, sha256)
    edit, versions = service.parse_request(parsed)
    try:
        saved = service.apply_edit(bench, sha256, edit.to_dict(), _json_keys(versions), account)
    except service.ReviewConflict as conflict:
        current = segments_by_id(conflict.current, conflict.segment_ids)
        return _json({"error": str(conflict), "current": current}, status=409)
    return _json(saved_json(saved.before, saved.after.state))


def _json_keys(versions: dict[int, int]) -> dict[str, int]:
    return {str(key): value for key, value in versions.items()}


@router.post("/api/exhibits/{sha256}/carry")
async def post_carry(sha256: str, request: Request, account: Editor, bench: Bench) -> Response:
    body = await _read_limited(request, MAX_CARRY_BODY)
    try:
        parsed = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise service.ReviewInvalid("body: not JSON") from None
    if not isinstance(parsed, dict) or set(parsed) - {"dry_run"}:
        raise service.ReviewInvalid('body: not a JSON object {"dry_run": true|false}')
    dry_run = parsed.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise service.ReviewInvalid("dry_run: not true or false")
    return await run_in_threadpool(_carry, bench, sha256, dry_run, account)


def _carry(bench: Workbench, sha256: str, dry_run: bool, account: Account) -> Response:
    from earwitness.web.indexing import index_review

    _exhibit(bench, sha256)
    with bench.writing() as case:
        made = carry_review(case, sha256, account.name, dry_run=dry_run)
    if not dry_run:
        index_review(bench, _reviewed(bench, sha256))
    return _json(
        {
            "from": made.source.object_sha256,
            "to": made.target.object_sha256,
            "edits": len(made.plan.edits),
            "left": [item.to_dict() for item in made.plan.left],
            "dry_run": dry_run,
        }
    )


@router.get("/api/exhibits/{sha256}/diff")
def get_diff(sha256: str, _account: Viewer, bench: Bench) -> Response:
    _exhibit(bench, sha256)
    state = _reviewed(bench, sha256).state
    changes = diff(state.asr, state.transcript, state.redactions)
    return _json([change.to_dict() for change in changes])


@router.get("/api/exhibits/{sha256}/audio")
def get_audio(sha256: str, request: Request, _account: Viewer, bench: Bench) -> Response:
    """The original, or once part of it is redacted the muted copy (as every output made
    after a redaction): what was said there is no longer heard in the workbench either."""
    _exhibit(bench, sha256)
    found = service.reviewed(bench, sha256)
    if found is None or not found.state.redactions:
        return audio_response(bench.case, sha256, request.headers.get("range"))
    muted = _muted_copy(bench, sha256, found.state.redactions)
    return object_response(bench.case, muted, "audio/wav", request.headers.get("range"))


def _muted_copy(bench: Workbench, sha256: str, ranges: tuple[tuple[float, float], ...]) -> str:
    """The object hash of the muted copy for ``ranges``, made (and stored) on first request."""
    from earwitness.jobs.engine import Request as StageRequest
    from earwitness.jobs.engine import run_stage
    from earwitness.jobs.reviewed import REDACTED_AUDIO, RedactedAudioParams

    with _PEAKS_LOCKS_LOCK:
        lock = _PEAKS_LOCKS.setdefault(f"muted-{sha256}", threading.Lock())
    with lock:  # two first requests decode once
        run = exhibit_run(bench.case, sha256)
        run._lock = bench._write_lock  # stored under this process's case-write lock (peaks)
        try:
            made = run_stage(run, StageRequest(REDACTED_AUDIO, RedactedAudioParams(ranges)))
        except EarwitnessError as exc:
            raise service.ReviewUnavailable(f"audio of exhibit {sha256[:12]}: {exc}") from None
    assert made.record is not None
    return made.record.object_sha256


@router.get("/api/exhibits/{sha256}/peaks")
def get_peaks(sha256: str, request: Request, _account: Viewer, bench: Bench) -> Response:
    """The stored peaks, verified, served as stored; computed (and stored) on first request."""
    from earwitness.jobs.peaks import ensure_peaks

    _exhibit(bench, sha256)
    with _PEAKS_LOCKS_LOCK:
        lock = _PEAKS_LOCKS.setdefault(sha256, threading.Lock())
    with lock:  # two first requests decode once
        run = exhibit_run(bench.case, sha256)
        # The engine stores under its run's lock: make it this process's case-write lock, so the
        # decoding runs unlocked and only the store waits for (and holds up) other writers.
        run._lock = bench._write_lock
        try:
            made = ensure_peaks(bench.case, sha256, run)
        except EarwitnessError as exc:
            raise service.ReviewUnavailable(f"peaks of exhibit {sha256[:12]}: {exc}") from None
    key = ("peaks", id(bench), sha256)
    with _BODIES_LOCK:
        kept = _BODIES.get(key)
    if kept is None or kept[0] != made.data:
        kept = (made.data, _Body(made.data))
        with _BODIES_LOCK:
            _BODIES[key] = kept
    return kept[1].response(request)


@router.get("/exhibits/{sha256}", response_class=HTMLResponse, include_in_schema=False)
def review_page(sha256: str, request: Request, _account: PageAccount, bench: Bench) -> Response:
    if HASH_PREFIX.fullmatch(sha256):  # a prefix the command line printed: the one it names
        named = {
            m
            for m in exhibits_named(verified_projection(bench.case), sha256)
            if m.startswith(sha256)
        }
        if len(named) == 1:
            return RedirectResponse(f"/exhibits/{named.pop()}", status_code=307)
    name = _exhibit(bench, sha256)
    return page(request, "review.html", sha256=sha256, exhibit_name=name, name=name)


def _dumps(body: Any) -> bytes:
    # ensure_ascii=False: Cyrillic stays one character, not six; the JSON is UTF-8.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json(body: Any, status: int = 200) -> Response:
    return Response(_dumps(body), status_code=status, media_type="application/json")


class _Body:
    """A large JSON answer kept ready, and its gzip made on first need (a 2-hour recording's
    peaks or review shrink about five times)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._gzipped: bytes | None = None

    def response(self, request: Request) -> Response:
        accepts = request.headers.get("accept-encoding", "")
        if len(self.data) < GZIP_FROM or "gzip" not in accepts.lower():
            return Response(self.data, media_type="application/json")
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.data, compresslevel=5, mtime=0)
        return Response(
            self._gzipped,
            media_type="application/json",
            headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"},
        )


# The newest review and peaks bodies per (what, workbench, exhibit); one each, so bounded.
_BODIES: dict[tuple[str, int, str], tuple[Any, _Body]] = {}
_BODIES_LOCK = threading.Lock()
