"""Verification: is every object what it was, is the custody log whole, in order and signed,
and does the catalog say exactly what the log says?

Each check is a function returning ``Problem``s that name exactly what is wrong, so the same
checks serve a live case (``verify_case``) and an exported package (``vault.package``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from earwitness.vault import custody
from earwitness.vault.case import Case
from earwitness.vault.catalog import head_seq
from earwitness.vault.catalog_diff import catalog_differences, projected_tables, read_catalog
from earwitness.vault.hashing import sha256_file
from earwitness.vault.projection import EventNotProjectable, Projection


@dataclass(frozen=True)
class Problem:
    """One thing that is wrong. ``kind`` is stable (for scripts); ``message`` is for people."""

    kind: str
    message: str


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    objects_checked: int = 0
    events_checked: int = 0
    head: custody.Event | None = None
    # Every key that signed an event (base64 raw public key) and how many events it signed, in
    # order of first appearance: what a reader must decide to trust or not.
    signers: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class LogCheck:
    problems: list[Problem]
    events: list[custody.Event]
    notes: list[str]


def check_log(path: Path, registered_keys: Iterable[str] | None = None) -> LogCheck:
    """Check the chain, numbering, hashes and signatures of every line of a custody log."""
    if not path.is_file():
        return LogCheck([Problem("log_missing", f"{path}: custody log is missing")], [], [])
    contents = custody.read_lines(path)
    checked = check_lines(contents.lines, registered_keys)
    if contents.torn_tail:
        checked.notes.append(
            f"{path.name}: last line is incomplete (an interrupted write); ignored"
        )
    if not checked.events and not checked.problems:
        checked.problems.append(Problem("log_empty", f"{path}: custody log holds no events"))
    return checked


def check_lines(
    lines: Iterable[bytes],
    registered_keys: Iterable[str] | None = None,
    previous: custody.Event | None = None,
) -> LogCheck:
    """Check complete log lines; ``previous`` is the verified event they follow, if any, so a
    log that only grew can be checked from where it was last checked."""
    problems: list[Problem] = []
    events: list[custody.Event] = []
    known_keys = set(registered_keys) if registered_keys is not None else None
    first_number = previous.seq + 1 if previous else 1
    for number, line in enumerate(lines, start=first_number):
        try:
            current = custody.parse_line(line, number)
        except custody.MalformedLine as exc:
            problems.append(Problem("malformed", f"custody log {exc}"))
            previous = None
            continue
        where = f"event {current.seq} (line {number})"
        events.append(current)
        if current.computed_hash() != current.hash:
            problems.append(
                Problem("edited", f"{where}: content does not match its hash; it was edited")
            )
        if not current.signature_valid():
            problems.append(Problem("bad_signature", f"{where}: signature is not valid"))
        if known_keys is not None and current.signer not in known_keys:
            problems.append(
                Problem("unregistered_key", f"{where}: signed by a key not registered in the case")
            )
        problems.extend(_chain_problems(previous, current, number, where))
        previous = current
    return LogCheck(problems, events, [])


def _chain_problems(
    previous: custody.Event | None, current: custody.Event, number: int, where: str
) -> list[Problem]:
    expected_seq = previous.seq + 1 if previous else 1
    expected_prev = previous.hash if previous else custody.GENESIS_PREV
    if previous is None and number > 1:
        return []  # after a malformed line the chain cannot be followed; that line is reported
    if current.seq > expected_seq:
        missing = (
            f"event {expected_seq}"
            if current.seq == expected_seq + 1
            else f"events {expected_seq}–{current.seq - 1}"
        )
        return [Problem("deleted", f"{missing} missing before line {number}; deleted")]
    if current.seq < expected_seq:
        return [
            Problem(
                "reordered",
                f"{where}: out of sequence after event {expected_seq - 1}; "
                "lines were reordered or an event was inserted",
            )
        ]
    if current.prev != expected_prev:
        return [
            Problem(
                "inserted",
                f"{where}: does not follow from the event before it; "
                "an event was inserted, replaced or edited here",
            )
        ]
    return []


def check_objects(
    expected: dict[str, str],
    path_for: Callable[[str], Path],
    on_bytes: Callable[[int], None] | None = None,
) -> list[Problem]:
    """Re-hash every expected object; ``expected`` maps SHA-256 to a label naming it for people."""
    problems = []
    for sha256, label in sorted(expected.items()):
        path = path_for(sha256)
        if not path.is_file():
            problems.append(
                Problem("object_missing", f"{label} ({sha256[:12]}): object is missing")
            )
            continue
        actual = sha256_file(path)
        if on_bytes:
            on_bytes(path.stat().st_size)
        if actual != sha256:
            problems.append(
                Problem(
                    "object_altered",
                    f"{label} ({sha256[:12]}): content altered, now hashes to {actual[:12]}",
                )
            )
    return problems


def count_signers(events: Iterable[custody.Event], into: dict[str, int]) -> dict[str, int]:
    """Add each event's signer to ``into`` (key -> events signed), keeping first-seen order."""
    for committed in events:
        into[committed.signer] = into.get(committed.signer, 0) + 1
    return into


def referenced_objects(events: Iterable[custody.Event]) -> dict[str, str]:
    """Objects the log says were stored: originals and artefacts, each with a readable label."""
    expected: dict[str, str] = {}
    for committed in events:
        details = committed.details
        if committed.action == "ingest" and committed.exhibit:
            name = details.get("original_name", "?")
            expected.setdefault(committed.exhibit, f"original '{name}'")
        artefact = details.get("artefact")
        if isinstance(artefact, dict) and "object_sha256" in artefact:
            expected.setdefault(
                artefact["object_sha256"],
                f"artefact '{artefact.get('filename', '?')}' ({artefact.get('stage', '?')})",
            )
    return expected


def check_catalog(session: Session, events: list[custody.Event]) -> tuple[list[Problem], list[str]]:
    """Compare every catalog row and cell with the projection of the log.

    The catalog is an index of the log: a row or cell the log does not imply is a problem
    named by table, key and column. A catalog that is only *behind* the log (a crash between
    the log append and the catalog commit) is a note: the next write brings it up to date.
    """
    problems: list[Problem] = []
    notes: list[str] = []
    catalog_head = head_seq(session)
    projection = Projection()
    for committed in events:
        if committed.seq > catalog_head:
            continue
        try:
            projection.add(committed)
        except EventNotProjectable as exc:
            problems.append(Problem("unprojectable_event", f"custody log {exc}"))
    differences = catalog_differences(read_catalog(session), projected_tables(projection))
    problems.extend(Problem(d.kind, d.message) for d in differences)
    behind = sum(1 for committed in events if committed.seq > catalog_head)
    if behind > 0:
        notes.append(
            f"catalog is {behind} event(s) behind the log (an interrupted write); "
            "the next write brings it up to date"
        )
    return problems, notes


def verify_case(case: Case, on_bytes: Callable[[int], None] | None = None) -> VerifyReport:
    """Re-hash every stored object and check the whole custody chain of an open case."""
    log = check_log(case.paths.custody, case.registered_keys())
    report = VerifyReport(
        problems=list(log.problems), notes=list(log.notes), events_checked=len(log.events)
    )
    expected = referenced_objects(log.events)
    report.problems.extend(check_objects(expected, case.store.path_for, on_bytes))
    report.objects_checked = len(expected)
    unreferenced = [digest for digest in case.store.iter_hashes() if digest not in expected]
    if unreferenced:
        report.notes.append(
            f"{len(unreferenced)} stored object(s) belong to no event "
            "(left by an interrupted intake; harmless, reused if the same file is ingested)"
        )
    try:
        with case.session() as session:
            catalog_problems, catalog_notes = check_catalog(session, log.events)
    except DatabaseError as exc:
        reason = exc.orig if exc.orig is not None else exc
        catalog_problems = [
            Problem(
                "catalog_unreadable",
                f"{case.paths.catalog}: unreadable ({reason}); 'earwitness reindex' rebuilds it",
            )
        ]
        catalog_notes = []
    report.problems.extend(catalog_problems)
    report.notes.extend(catalog_notes)
    report.head = log.events[-1] if log.events else None
    count_signers(log.events, report.signers)
    return report


def total_object_bytes(case: Case) -> int:
    return sum(case.store.path_for(digest).stat().st_size for digest in case.store.iter_hashes())


def record_verification(case: Case, report: VerifyReport) -> custody.Event | None:
    """Log that verification ran and what it found — unless the log itself is damaged."""
    log_kinds = {"edited", "deleted", "reordered", "inserted", "malformed", "bad_signature"}
    if any(problem.kind in log_kinds for problem in report.problems):
        return None
    details = {
        "ok": report.ok,
        "problems": [problem.message for problem in report.problems],
        "objects_checked": report.objects_checked,
        "events_checked": report.events_checked,
        "head": report.head.hash if report.head else None,
    }
    with case.writing():
        return case.record("verify", None, details)
