"""Verification: is every object what it was, is the custody log whole, in order and signed,
and does the catalog say exactly what the log says?

Each check is a function returning ``Problem``s that name exactly what is wrong, so the same
checks serve a live case (``verify_case``) and an exported package (``vault.package_read``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from earwitness.vault import case_keys, custody
from earwitness.vault.anchor import Anchor, problems_for_all
from earwitness.vault.case import Case
from earwitness.vault.catalog import head_seq
from earwitness.vault.catalog_diff import catalog_differences, projected_tables, read_catalog
from earwitness.vault.hashing import sha256_file
from earwitness.vault.keys import decode_public_key, full_fingerprint, grouped, key_fingerprint
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
    # Which keys the log authorised, from the case key on (None until a log was read).
    authority: KeyAuthority | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class KeyEpoch:
    """A key that held the authority to sign for the case, from event ``since_seq`` on."""

    key: str  # base64 raw public key
    since_seq: int
    reason: str  # "init" for the case key, else the key_change's stated reason


@dataclass
class KeyAuthority:
    """Which key may sign the next event of a custody log, and which keys held that right.

    The first event of a log names the case key (its signer), and its hash is the case id;
    from then on each event must be signed by the current key. A ``key_change`` event with
    ``details.new_key`` moves the authority to that key, but only when it is validly signed
    by the current key. The state is carried from one ``check_lines`` call to the next, so a
    log checked in batches gives the same result as one call.
    """

    case_id: str | None = None
    history: list[KeyEpoch] = field(default_factory=list)

    @property
    def current(self) -> str | None:
        return self.history[-1].key if self.history else None

    @property
    def case_key(self) -> str | None:
        return self.history[0].key if self.history else None

    def copy(self) -> KeyAuthority:
        return KeyAuthority(self.case_id, list(self.history))

    def authorised(self) -> set[str]:
        return {epoch.key for epoch in self.history}


@dataclass(frozen=True)
class LogCheck:
    problems: list[Problem]
    events: list[custody.Event]
    notes: list[str]
    authority: KeyAuthority = field(default_factory=KeyAuthority)


def check_log(path: Path, registered_keys: Iterable[str] | None = None) -> LogCheck:
    """Check the chain, numbering, hashes and signatures of every line of a custody log, and
    that each event is signed by the key the log's own history authorises."""
    if not path.is_file():
        return LogCheck([Problem("log_missing", f"{path}: custody log is missing")], [], [])
    contents = custody.read_lines(path)
    checked = check_lines(contents.lines, registered_keys)
    if contents.torn_tail:
        checked.notes.append(custody.describe_torn_tail(path))
    if not checked.events and not checked.problems:
        checked.problems.append(Problem("log_empty", f"{path}: custody log holds no events"))
    return checked


def check_lines(
    lines: Iterable[bytes],
    registered_keys: Iterable[str] | None = None,
    previous: custody.Event | None = None,
    authority: KeyAuthority | None = None,
) -> LogCheck:
    """Check complete log lines: JSON, hashes, signatures, chain and key authority.

    ``previous`` is the verified event the lines follow, if any, and ``authority`` the
    ``LogCheck.authority`` returned by the call that checked it: pass both to check a log in
    batches (or only what was appended since the last check) with the same result as one
    call over the whole log. ``authority`` is updated in place and returned in the result;
    giving ``previous`` without ``authority`` is an error, since who may sign would be unknown.
    ``registered_keys`` (the keys/ folder beside the log), when given, must list every signer.
    """
    if previous is not None and authority is None:
        raise ValueError("check_lines: continuing after 'previous' needs its KeyAuthority")
    authority = authority if authority is not None else KeyAuthority()
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
        signature_valid = current.signature_valid()
        if not signature_valid:
            problems.append(Problem("bad_signature", f"{where}: signature is not valid"))
        if known_keys is not None and current.signer not in known_keys:
            problems.append(
                Problem("unregistered_key", f"{where}: signed by a key not registered in the case")
            )
        problems.extend(_authority_problems(authority, current, number, where, signature_valid))
        problems.extend(_chain_problems(previous, current, number, where))
        previous = current
    return LogCheck(problems, events, [], authority)


def _authority_problems(
    authority: KeyAuthority, current: custody.Event, number: int, where: str, valid: bool
) -> list[Problem]:
    if authority.current is None:
        if number != 1:
            return []  # the log's start was unreadable; that is reported where it happened
        authority.case_id = current.hash
        authority.history.append(KeyEpoch(current.signer, current.seq, "init"))
        return []
    if current.signer != authority.current:
        return [
            Problem(
                "unauthorised_signer",
                f"{where}: signed by key {_fingerprint(current.signer)}, not by the case's "
                f"authorised key {_fingerprint(authority.current)}",
            )
        ]
    if current.action == "key_change" and valid:
        new_key = current.details.get("new_key")
        try:
            decode_public_key(str(new_key))
        except (ValueError, TypeError):
            return [Problem("bad_key_change", f"{where}: key_change names no valid new key")]
        reason = str(current.details.get("reason") or "key_change")
        authority.history.append(KeyEpoch(str(new_key), current.seq, reason))
    return []


def _fingerprint(key: str) -> str:
    try:
        return grouped(full_fingerprint(key))
    except (ValueError, TypeError):
        return repr(key[:20])


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


def verify_case(
    case: Case,
    on_bytes: Callable[[int], None] | None = None,
    anchors: Sequence[Anchor] = (),
) -> VerifyReport:
    """Re-hash every stored object and check the whole custody chain of an open case.

    Beyond the log itself: each event must be signed by the key the log's history authorises;
    the log must still hold the last event this machine signed for the case (and not start a
    different case in a folder where this machine signed one); it must hold each of
    ``anchors``; and every object in the store must be one the log names.
    """
    log = check_log(case.paths.custody, case.registered_keys())
    report = VerifyReport(
        problems=list(log.problems), notes=list(log.notes), events_checked=len(log.events)
    )
    report.authority = log.authority
    report.problems.extend(_machine_memory_problems(case, log))
    report.problems.extend(_unlogged_quarantine(case.paths.quarantine, log.events))
    report.problems.extend(check_anchors(anchors, log.events, log.authority))
    report.notes.extend(_unused_key_notes(case.registered_keys(), log.authority))
    expected = referenced_objects(log.events)
    report.problems.extend(check_objects(expected, case.store.path_for, on_bytes))
    report.objects_checked = len(expected)
    for digest in sorted(d for d in case.store.iter_hashes() if d not in expected):
        report.problems.append(
            Problem(
                "unreferenced_object",
                f"objects/{digest[:2]}/{digest}: stored object named by no custody event: "
                "planted, its event cut from the log, or left by an interrupted intake "
                "(ingesting that file again names it)",
            )
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


def check_anchors(
    anchors: Sequence[Anchor], events: Sequence[custody.Event], authority: KeyAuthority
) -> list[Problem]:
    """A Problem for each anchor the log does not hold (cut back, rewritten, other case), and
    for each anchor whose signature is forged."""
    if not anchors:
        return []
    wanted: dict[int, str | None] = {anchor.events: None for anchor in anchors}
    for committed in events:
        if committed.seq in wanted:
            wanted[committed.seq] = committed.hash
    last_seq = events[-1].seq if events else 0
    found = problems_for_all(
        tuple(anchors), authority.case_id, last_seq, wanted, authority.authorised()
    )
    return [Problem(kind, message) for kind, message in found]


def _machine_memory_problems(case: Case, log: LogCheck) -> list[Problem]:
    """What this machine remembers of the case, compared with the log now in its folder."""
    problems = []
    replaced = case_keys.replaced_case_problem(case.paths.root, log.authority.case_id)
    if replaced:
        problems.append(Problem("case_replaced", replaced))
    if log.authority.case_id is not None:
        rolled_back = case_keys.rollback_problem(log.authority.case_id, log.events)
        if rolled_back:
            problems.append(Problem("rolled_back", rolled_back))
    return problems


def _unlogged_quarantine(folder: Path, events: Iterable[custody.Event]) -> list[Problem]:
    """Quarantined log bytes that no ``log_repair`` event names: a crash came between cutting
    the log and logging the repair, so only this file says what was cut."""
    if not folder.is_dir():
        return []
    named = {e.details.get("quarantine_file") for e in events if e.action == custody.LOG_REPAIR}
    return [
        Problem(
            "unlogged_repair",
            f"quarantine/{path.name}: bytes cut from the custody log that no log_repair event "
            "names (a crash during the repair); inspect them before trusting the log's end",
        )
        for path in sorted(folder.iterdir())
        if path.name not in named
    ]


def _unused_key_notes(registered: Iterable[str], authority: KeyAuthority) -> list[str]:
    authorised = authority.authorised()
    return [
        f"keys/{key_fingerprint(key)}.pub: a key the custody log never authorised "
        f"({_fingerprint(key)}); it vouches for nothing"
        for key in registered
        if key not in authorised
    ]


def total_object_bytes(case: Case) -> int:
    return sum(case.store.path_for(digest).stat().st_size for digest in case.store.iter_hashes())


def record_verification(case: Case, report: VerifyReport) -> custody.Event | None:
    """Log that verification ran and what it found — unless the log itself is damaged."""
    log_kinds = {
        "edited",
        "deleted",
        "reordered",
        "inserted",
        "malformed",
        "bad_signature",
        "unauthorised_signer",
        "rolled_back",
        "case_replaced",
        "anchor_not_reached",
        "anchor_diverged",
    }
    if any(problem.kind in log_kinds for problem in report.problems):
        return None
    details = {
        "ok": report.ok,
        # The log travels in packages: name places relative to the case, never by its path.
        "problems": [
            problem.message.replace(str(case.paths.root), ".") for problem in report.problems
        ],
        "objects_checked": report.objects_checked,
        "events_checked": report.events_checked,
        "head": report.head.hash if report.head else None,
    }
    with case.writing():
        return case.record("verify", None, details)
