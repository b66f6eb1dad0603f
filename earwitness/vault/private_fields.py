"""Private intake fields: values kept in an encrypted side table, commitments in the log.

An intake's original path, source and note can name a person. The custody log (copied into
every package) holds only a salted commitment to each (``vault.commitments``); the value and
its salt are kept in the case's side table, ``.earwitness/private/<commitment>.sealed``, one
file per field, each AES-256-GCM encrypted under a random 32-byte secret of the case that
lives outside it (``private-fields.key`` in the case's folder of the signer's config), so a
copied case folder discloses nothing. On the machine that holds the secret the values read
back; anywhere else they show as ``(private)``.

A normal export discloses the values of the exported intakes (``private-fields.json`` beside
the log in the bag: value and salt per commitment, checked by ``check_disclosures``); an export
for publication leaves that file out, and the log still verifies.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from earwitness.errors import CaseCorrupt, CaseNotWritable
from earwitness.vault import custody
from earwitness.vault.case import Case
from earwitness.vault.case_keys import case_id_of
from earwitness.vault.commitments import (
    PRIVATE_FIELDS,
    SALT_BYTES,
    Sealed,
    commitment_in_cell,
    commitment_of,
    committed_detail,
    logged_commitment,
    seal,
)
from earwitness.vault.keys import case_config_dir
from earwitness.vault.verified_log import verified_events
from earwitness.vault.verify import Problem

SIDE_TABLE_DIR = "private"
SECRET_FILE = "private-fields.key"
DISCLOSURE_FILE = "private-fields.json"
HIDDEN = "(private)"
MAX_DISCLOSURE_BYTES = 16 * 2**20  # three short fields per intake: far more than any case needs
_NONCE_BYTES = 12
_AAD_PREFIX = b"earwitness private field 1\n"
_RULE = (
    "commitment = SHA-256(salt || UTF-8 bytes of value), lower-case hex; salt given here in hex. "
    "Each commitment stands in the custody event numbered seq, under details[field]."
)


def _secret_folder(case: Case) -> Path:
    """The case's folder in this machine's config (named by the case id, the init event's hash)."""
    identity = case_id_of(case.paths.custody)
    if identity is None:
        raise CaseCorrupt(f"{case.paths.custody}: the case has no init event")
    return case_config_dir(identity)


def _read_secret(case: Case) -> bytes | None:
    try:
        secret = (_secret_folder(case) / SECRET_FILE).read_bytes()
    except (OSError, CaseCorrupt):
        return None
    return secret if len(secret) == 32 else None


def _secret_for_writing(case: Case) -> bytes:
    """The case's side-table secret, created (mode 0600, outside the case) on first use."""
    folder = _secret_folder(case)
    path = folder / SECRET_FILE
    if path.is_file():
        secret = path.read_bytes()
        if len(secret) != 32:
            raise CaseCorrupt(f"{path}: not a 32-byte private-field secret")
        return secret
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
        handle.flush()
        os.fsync(handle.fileno())
    return secret


def _entry_path(case: Case, commitment: str) -> Path:
    return case.paths.meta / SIDE_TABLE_DIR / f"{commitment}.sealed"


def _write_entry(case: Case, secret: bytes, sealed: Sealed) -> None:
    plain = json.dumps(
        {"field": sealed.field, "value": sealed.value, "salt": sealed.salt.hex()},
        ensure_ascii=False,
    ).encode("utf-8")
    nonce = secrets.token_bytes(_NONCE_BYTES)
    aad = _AAD_PREFIX + sealed.commitment.encode("ascii")
    data = nonce + AESGCM(secret).encrypt(nonce, plain, aad)
    path = _entry_path(case, sealed.commitment)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def seal_private_details(case: Case, values: Mapping[str, str | None]) -> dict[str, Any]:
    """Intake details for ``values``: each non-null value becomes ``{"commitment": C}`` and is
    written, with its salt, to the side table first (so a logged commitment always has its
    entry; an entry whose event never committed is harmless). Call under the case's lock."""
    details: dict[str, Any] = {}
    written: list[Path] = []
    try:
        secret: bytes | None = None
        for field, value in values.items():
            if value is None:
                details[field] = None
                continue
            secret = secret or _secret_for_writing(case)
            sealed = seal(field, value)
            _write_entry(case, secret, sealed)
            written.append(_entry_path(case, sealed.commitment))
            details[field] = committed_detail(sealed)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise CaseNotWritable(
            f"{exc.filename or case.paths.meta}: cannot keep the private fields "
            f"({exc.strerror or exc}); nothing was recorded"
        ) from None
    return details


def reveal(case: Case, commitment: str, secret: bytes | None = None) -> Sealed | None:
    """The value and salt behind ``commitment``, if this machine can read them and they match."""
    secret = secret or _read_secret(case)
    if secret is None:
        return None
    try:
        data = _entry_path(case, commitment).read_bytes()
        aad = _AAD_PREFIX + commitment.encode("ascii")
        plain = AESGCM(secret).decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], aad)
        record = json.loads(plain)
        sealed = Sealed(record["field"], record["value"], bytes.fromhex(record["salt"]))
    except (OSError, InvalidTag, ValueError, KeyError, TypeError):
        return None
    return sealed if sealed.commitment == commitment else None


def shown_value(case: Case, logged: Any) -> str | None:
    """A private field for display here: a logged detail or a catalog cell, committed (its value
    when the side table opens on this machine, else ``(private)``) or in clear (an old log)."""
    commitment = logged_commitment(logged) or commitment_in_cell(logged)
    if commitment is None:
        return None if logged is None else str(logged)
    sealed = reveal(case, commitment)
    return sealed.value if sealed else HIDDEN


@dataclass(frozen=True)
class Disclosure:
    """One private field of one event, opened: what a recipient needs to check its commitment."""

    seq: int
    event: str
    field: str
    commitment: str
    salt: str
    value: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "event": self.event,
            "field": self.field,
            "commitment": self.commitment,
            "salt": self.salt,
            "value": self.value,
        }


def disclosures(
    case: Case, events: Iterable[custody.Event], exhibits: Collection[str] | None = None
) -> tuple[list[Disclosure], list[str]]:
    """The openings of every committed field of the intakes of ``exhibits`` (all when None),
    and a line for each commitment this machine cannot open."""
    secret = _read_secret(case)
    opened: list[Disclosure] = []
    missing: list[str] = []
    for event in events:
        if event.action != "ingest" or (exhibits is not None and event.exhibit not in exhibits):
            continue
        for field in PRIVATE_FIELDS:
            commitment = logged_commitment(event.details.get(field))
            if commitment is None:
                continue
            sealed = reveal(case, commitment, secret) if secret else None
            if sealed is None:
                missing.append(f"event {event.seq}: {field} cannot be opened on this machine")
                continue
            opened.append(
                Disclosure(
                    event.seq, event.hash, field, commitment, sealed.salt.hex(), sealed.value
                )
            )
    return opened, missing


def disclosure_document(opened: list[Disclosure]) -> dict[str, Any]:
    return {"rule": _RULE, "disclosures": [d.as_dict() for d in opened]}


def disclosure_file(case: Case, exhibits: Collection[str] | None) -> bytes | None:
    """The bytes of ``private-fields.json`` for the intakes of ``exhibits`` (all when None),
    as the verified log records them; None when no field can be disclosed."""
    opened, _ = disclosures(case, verified_events(case), exhibits)
    if not opened:
        return None
    text = json.dumps(disclosure_document(opened), indent=2, ensure_ascii=False) + "\n"
    return text.encode("utf-8")


def check_disclosures(events: Iterable[custody.Event], document: Any) -> list[Problem]:
    """Each disclosed value must open its commitment in the event it names; one Problem each
    for an entry that is malformed, names no committed field of the log, or does not match."""
    by_seq = {event.seq: event for event in events}
    entries = document.get("disclosures") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return [Problem("disclosure_malformed", f"{DISCLOSURE_FILE}: no list of disclosures")]
    problems = []
    for number, entry in enumerate(entries, start=1):
        where = f"{DISCLOSURE_FILE} entry {number}"
        problem = _check_entry(by_seq, entry, where)
        if problem:
            problems.append(problem)
    return problems


def _check_entry(by_seq: dict[int, custody.Event], entry: Any, where: str) -> Problem | None:
    try:
        seq, field, value = entry["seq"], entry["field"], entry["value"]
        salt = bytes.fromhex(entry["salt"])
        claimed = entry["commitment"]
        if not isinstance(value, str) or not isinstance(seq, int) or len(salt) != SALT_BYTES:
            raise TypeError
    except (KeyError, TypeError, ValueError, AttributeError):
        return Problem("disclosure_malformed", f"{where}: not a disclosure (seq, field, salt…)")
    event = by_seq.get(seq)
    logged = logged_commitment(event.details.get(field)) if event else None
    if event is not None and entry.get("event") not in (None, event.hash):
        return Problem(
            "disclosure_unmatched",
            f"{where}: names an event {str(entry.get('event'))[:12]}… that is not event {seq} "
            "of this log (the log was rewritten, or the file belongs to another)",
        )
    if event is None or logged is None:
        return Problem(
            "disclosure_unmatched",
            f"{where}: event {seq} holds no commitment for {field!r} to check it against",
        )
    if claimed != logged or commitment_of(value, salt) != logged:
        return Problem(
            "disclosure_false",
            f"{where}: the value given for {field!r} of event {seq} does not match the "
            "commitment in the custody log",
        )
    return None


def fields_in_clear(
    events: Iterable[custody.Event], exhibits: Collection[str] | None = None
) -> list[str]:
    """A line for each private field that an intake of ``exhibits`` (all when None) logged in
    clear (a log written before commitments): no export can leave such a value out."""
    lines = []
    for event in events:
        if event.action != "ingest" or (exhibits is not None and event.exhibit not in exhibits):
            continue
        for field in PRIVATE_FIELDS:
            value = event.details.get(field)
            if value is not None and logged_commitment(value) is None:
                lines.append(f"event {event.seq}: {field} is in the custody log in clear")
    return lines


class DisclosureCheck:
    """``check_disclosures`` for a reader that streams a log and keeps no events: give it the
    disclosure file's bytes (or None when the package has none), show it each checked event
    with ``see``, then take its ``problems``. It keeps only the events the file names."""

    def __init__(self, data: bytes | None) -> None:
        self._document: Any = None
        self._early: list[Problem] = []
        self._wanted: set[int] = set()
        self._seen: list[custody.Event] = []
        if data is None:
            return
        if len(data) > MAX_DISCLOSURE_BYTES:
            self._early.append(
                Problem("disclosure_malformed", f"{DISCLOSURE_FILE}: larger than any real one")
            )
            return
        try:
            self._document = json.loads(data)
        except ValueError:
            self._early.append(Problem("disclosure_malformed", f"{DISCLOSURE_FILE}: not JSON"))
            return
        entries = self._document.get("disclosures") if isinstance(self._document, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("seq"), int):
                self._wanted.add(entry["seq"])

    def see(self, event: custody.Event) -> None:
        if event.seq in self._wanted:
            self._seen.append(event)

    def problems(self) -> list[Problem]:
        if self._early or self._document is None:
            return list(self._early)
        return check_disclosures(self._seen, self._document)
