"""Each case's own signing key, and the rolled-back logs this machine can recognise.

A case's key is made at ``earwitness init``, before its ``init`` event exists, so it is first
written to a pending folder under ``config_dir()/cases/`` and moved to
``case_config_dir(case id)`` once the event (whose hash is the case id) is on disk. A crash in
between leaves the pending folder; the key is adopted from it the next time the case signs.

Every event signed here is remembered (``head.json``): a log that no longer holds that event,
or holds another in its place, was cut back or replaced, and nothing more is written to it.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from earwitness.errors import CaseCorrupt
from earwitness.vault import custody
from earwitness.vault.keys import (
    CASE_KEY_FILE,
    KeyFileError,
    NoCaseKey,
    Signer,
    acting_name,
    case_config_dir,
    case_info,
    cases_at,
    config_dir,
    default_pseudonym,
    encode_public_key,
    full_fingerprint,
    key_fingerprint,
    last_signed_head,
    legacy_signer,
    load_private_key,
    note_case_info,
    remember_head,
    write_json_atomically,
    write_private_key,
)

if TYPE_CHECKING:
    from earwitness.vault.case import Case

_PENDING_PREFIX = ".pending-"
_NEXT_KEY_FILE = "signing-key.next.pem"


def case_id_of(log: Path) -> str | None:
    """The case id (hash of the first event) of the log at ``log``, or None if it has none."""
    try:
        with open(log, "rb") as handle:
            first = handle.readline()
    except FileNotFoundError:
        return None
    if not first.endswith(b"\n"):
        return None
    try:
        return custody.parse_line(first.rstrip(b"\n"), 1).hash
    except custody.MalformedLine:
        return None


@dataclass(frozen=True)
class PendingKey:
    """A new case's key, waiting in ``folder`` for the case's init event to name its case."""

    signer: Signer
    folder: Path


def new_case_key(actor: str | None, passphrase: bytes | None) -> PendingKey:
    """Make a case key (mode 0600, sealed when ``passphrase`` is given) in a pending folder."""
    key = Ed25519PrivateKey.generate()
    folder = config_dir() / "cases" / f"{_PENDING_PREFIX}{secrets.token_hex(8)}"
    write_private_key(folder / CASE_KEY_FILE, key, passphrase)
    # The pseudonym is fixed now, so a later key rotation does not rename the examiner.
    pseudonym = (actor or "").strip() or default_pseudonym(encode_public_key(key.public_key()))
    write_json_atomically(folder / "case.json", {"actor": pseudonym})
    return PendingKey(Signer(acting_name(pseudonym, ""), key), folder)


def adopt_pending(pending: Path, case_id: str, root: Path) -> None:
    """Move a pending key folder's files into the case's config folder, and note its root."""
    target = case_config_dir(case_id)
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    for item in sorted(pending.iterdir()):
        destination = target / item.name
        if item.name == "case.json" and destination.exists():
            continue  # already adopted once
        os.replace(item, destination)
    pending.rmdir()
    for other in cases_at(root):  # a new case in the folder replaces any case noted there
        if other != case_id:
            note_case_info(other, root=None)
    note_case_info(case_id, root=str(root))


def drop_unused_pending(pending: PendingKey, log: Path) -> None:
    """Remove a pending key folder whose key signed no init event (init failed early)."""
    if not pending.folder.exists():
        return
    first = _first_event(log)
    if first is None or first.signer != pending.signer.public_key_b64:
        shutil.rmtree(pending.folder, ignore_errors=True)


def case_signer(log: Path) -> Signer:
    """The key this machine signs the case's events with: its own case key, else (for a case
    made before per-case keys) the shared key that signed its init event."""
    first = _first_event(log)
    if first is None:
        raise CaseCorrupt(f"{log}: the custody log has no readable first event; cannot sign")
    folder = case_config_dir(first.hash)
    _finish_interrupted_rotation(log, folder)
    path = folder / CASE_KEY_FILE
    if not path.exists():
        _adopt_matching_pending(first, log)
    if path.exists():
        key = load_private_key(path)
        return Signer(acting_name(case_info(first.hash).get("actor"), _public(key)), key)
    shared = legacy_signer()
    if shared is not None and shared.public_key_b64 == first.signer:
        return shared
    raise NoCaseKey(
        f"{log.parent.parent}: this machine holds no signing key for this case (case id "
        f"{first.hash[:16]}…); its key is in {folder} on the machine that created it"
    )


def _public(key: Ed25519PrivateKey) -> str:
    return encode_public_key(key.public_key())


def _first_event(log: Path) -> custody.Event | None:
    try:
        with open(log, "rb") as handle:
            first = handle.readline()
        return custody.parse_line(first.rstrip(b"\n"), 1) if first.endswith(b"\n") else None
    except (FileNotFoundError, custody.MalformedLine):
        return None


def _adopt_matching_pending(first: custody.Event, log: Path) -> None:
    """After a crash during init: take the pending key that signed this case's init event."""
    for pending in sorted((config_dir() / "cases").glob(f"{_PENDING_PREFIX}*")):
        try:
            key = load_private_key(pending / CASE_KEY_FILE)
        except KeyFileError:
            continue
        if _public(key) == first.signer:
            adopt_pending(pending, first.hash, log.parent.parent.resolve())
            return


def _finish_interrupted_rotation(log: Path, folder: Path) -> None:
    """A next key left by a crash: promote it if its key_change was logged, else drop it."""
    next_path = folder / _NEXT_KEY_FILE
    if not next_path.exists():
        return
    public = _public(load_private_key(next_path))
    logged = any(
        event.action == "key_change" and event.details.get("new_key") == public
        for event in custody.iter_events(log)
    )
    if logged:
        _retire_current(folder)
        os.replace(next_path, folder / CASE_KEY_FILE)
    else:
        next_path.unlink()


def _retire_current(folder: Path) -> None:
    current = folder / CASE_KEY_FILE
    if current.exists():
        public = _public(load_private_key(current))
        os.replace(current, folder / f"signing-key.retired-{key_fingerprint(public)}.pem")


def rotate_key(case: Case, reason: str, passphrase: bytes | None = None) -> custody.Event:
    """Replace the case's key: a ``key_change`` event naming the new key, signed by the old.

    The new key is written first (as the next key), the event appended, and only then does the
    new key become the case key; the old one is kept, retired, beside it.
    """
    with case.writing():
        old = case.signer
        case_id = case_id_of(case.paths.custody)
        if case_id is None:
            raise CaseCorrupt(f"{case.paths.custody}: no first event; cannot rotate the key")
        folder = case_config_dir(case_id)
        new = Ed25519PrivateKey.generate()
        next_path = folder / _NEXT_KEY_FILE
        next_path.unlink(missing_ok=True)
        write_private_key(next_path, new, passphrase)
        public = _public(new)
        event = case.record(
            "key_change",
            None,
            {"new_key": public, "fingerprint": full_fingerprint(public), "reason": reason},
        )
        _retire_current(folder)
        os.replace(next_path, folder / CASE_KEY_FILE)
        case.use_signer(Signer(old.actor, new))
        case.register_signer_key()
    return event


def rollback_problem(case_id: str, log_events: Iterable[custody.Event]) -> str | None:
    """Why the log cannot be the one this machine last signed for the case, or None."""
    remembered = last_signed_head(case_id)
    if remembered is None:
        return None
    seq, digest = remembered
    found = None
    last_seq = 0
    for event in log_events:
        last_seq = event.seq
        if event.seq == seq:
            found = event.hash
    if last_seq < seq:
        return (
            f"this machine signed event {seq} of this case, but the custody log ends at event "
            f"{last_seq}: it was cut back (rolled back)"
        )
    if found != digest:
        return (
            f"event {seq} of the custody log is not the one this machine signed "
            f"(hash {digest[:16]}…): the log was replaced from there on"
        )
    return None


def refuse_if_rolled_back(case_id: str, log: Path, head: custody.Event | None) -> None:
    """Refuse to write to a log that no longer holds the last event signed here for it."""
    remembered = last_signed_head(case_id)
    if remembered is None:
        return
    if head is not None and (head.seq, head.hash) == remembered:
        return  # the usual case: the last event is the one signed here last
    if head is not None and head.seq == remembered[0]:
        problem: str | None = rollback_problem(case_id, [head])
    else:
        problem = rollback_problem(case_id, custody.iter_events(log))
    if problem:
        raise CaseCorrupt(f"{log}: {problem}; nothing was written (run 'earwitness verify')")


def note_signed(case_id: str, event: custody.Event, root: Path) -> None:
    remember_head(case_id, event.seq, event.hash)
    note_case_info(case_id, root=str(root))


def replaced_case_problem(root: Path, case_id: str | None) -> str | None:
    """If this machine signed a different case in this very folder: the log was replaced."""
    others = [other for other in cases_at(root) if other != case_id]
    if not others:
        return None
    return (
        f"this machine signed case {others[0][:16]}… in {root}, but the custody log here now "
        f"starts a different case ({(case_id or 'none')[:16]}…): the log was replaced"
    )
