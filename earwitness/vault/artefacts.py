"""Derived artefacts: what was computed from an exhibit, by what, with which parameters.

An artefact is keyed by (exhibit, stage, tool version, parameters, model): ask
``find_artefact`` first and the same request is answered from the store instead of recomputed.
The record carries everything needed to redo the computation from the original.

``find_artefact`` is a fast catalog look-up and trusts the catalog; ``read_verified`` is how a
found artefact is read: it checks the object and the catalog row against the signed custody
event that produced them, so neither a planted object nor an edited cell is ever served.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from earwitness import __version__
from earwitness.errors import EarwitnessError, ExhibitNotFound
from earwitness.vault.case import Case
from earwitness.vault.catalog import Artefact, Exhibit
from earwitness.vault.custody import canonical_json, ensure_appendable
from earwitness.vault.projection import LoggedArtefact, comparable
from earwitness.vault.verified_log import (
    CustodyLogInvalid,
    ExhibitRecord,
    exhibit_record,
    verified_events,
    verified_projection,
)

__all__ = [
    "ArtefactRecord",
    "ArtefactTampered",
    "CustodyLogInvalid",
    "ExhibitRecord",
    "exhibit_record",
    "find_artefact",
    "list_artefacts",
    "params_sha256",
    "read_verified",
    "store_artefact",
    "verified_events",
    "verified_projection",
]

# What an artefact event's details["artefact"] holds, each of which a record must repeat.
LOGGED_FIELDS = (
    "object_sha256",
    "stage",
    "filename",
    "media_type",
    "size_bytes",
    "tool_version",
    "params",
    "params_sha256",
    "input_sha256",
    "model_sha256",
)


class ArtefactTampered(EarwitnessError):
    """A stored artefact, or the catalog row naming it, is not what its signed event says."""


def params_sha256(params: dict[str, Any]) -> str:
    """Hash of the parameters as canonical JSON (sorted keys), so key order never matters."""
    return hashlib.sha256(canonical_json(params)).hexdigest()


# An artefact as callers see it: the catalog's row and the log's projection carry the same
# columns, so one class serves both.
ArtefactRecord = LoggedArtefact


def find_artefact(
    case: Case,
    exhibit_sha256: str,
    stage: str,
    params: dict[str, Any],
    *,
    tool_version: str = __version__,
    model_sha256: str | None = None,
    filename: str | None = None,
) -> ArtefactRecord | None:
    """The newest artefact made by exactly this request whose object is still in the store."""
    query = (
        select(Artefact)
        .where(
            Artefact.exhibit_sha256 == exhibit_sha256,
            Artefact.stage == stage,
            Artefact.tool_version == tool_version,
            Artefact.params_sha256 == params_sha256(params),
            Artefact.model_sha256.is_(None)
            if model_sha256 is None
            else Artefact.model_sha256 == model_sha256,
        )
        .order_by(Artefact.seq.desc())
    )
    if filename is not None:
        query = query.where(Artefact.filename == filename)
    with case.session() as session:
        for row in session.scalars(query):
            if case.store.has(row.object_sha256):
                return ArtefactRecord.from_row(row)
    return None


def store_artefact(
    case: Case,
    exhibit_sha256: str,
    stage: str,
    content: bytes,
    *,
    filename: str,
    media_type: str,
    params: dict[str, Any],
    tool_version: str = __version__,
    model_sha256: str | None = None,
    action: str | None = None,
) -> ArtefactRecord:
    """Store ``content`` as an artefact of the exhibit and log it (action defaults to ``stage``)."""
    with case.session() as session:
        if session.get(Exhibit, exhibit_sha256) is None:
            raise ExhibitNotFound(f"{exhibit_sha256}: no such exhibit in this case")
    ensure_appendable(case.paths.custody)  # refuse before storing an orphan object
    digests = case.store.put_bytes(content)
    record = {
        "object_sha256": digests.sha256,
        "stage": stage,
        "filename": filename,
        "media_type": media_type,
        "size_bytes": digests.size,
        "tool_version": tool_version,
        "params": params,
        "params_sha256": params_sha256(params),
        "input_sha256": exhibit_sha256,
        "model_sha256": model_sha256,
    }
    with case.writing():
        committed = case.record(action or stage, exhibit_sha256, {"artefact": record})
    with case.session() as session:
        return ArtefactRecord.from_row(session.get_one(Artefact, committed.seq))


def list_artefacts(case: Case, exhibit_sha256: str | None = None) -> list[ArtefactRecord]:
    query = select(Artefact).order_by(Artefact.seq)
    if exhibit_sha256 is not None:
        query = query.where(Artefact.exhibit_sha256 == exhibit_sha256)
    with case.session() as session:
        return [ArtefactRecord.from_row(row) for row in session.scalars(query)]


def read_verified(case: Case, record: ArtefactRecord) -> bytes:
    """The artefact's bytes, read once and checked against the signed event that produced them.

    Checks, in order: the whole custody log verifies (chain, hashes, signatures, registered
    keys); event ``record.seq`` exists and is an artefact event of ``record.exhibit_sha256``;
    its ``details["artefact"]`` equals the record field by field; the bytes read hash to
    ``record.object_sha256``. Returns exactly the bytes that were hashed, so what is checked is
    what is used. Raises ArtefactTampered naming what is wrong (a log that does not verify
    included: then no event in it can vouch for anything).
    """

    def tampered(what: str) -> ArtefactTampered:
        return ArtefactTampered(
            f"artefact {record.filename!r} ({record.stage}, object {record.object_sha256[:12]}, "
            f"custody event {record.seq}): {what}; not used (run 'earwitness verify')"
        )

    try:
        events = verified_events(case)
    except CustodyLogInvalid as exc:
        raise tampered(str(exc).removesuffix("; run 'earwitness verify'")) from None
    # A verified chain numbers its events 1, 2, 3… so event n is at index n - 1.
    if not 1 <= record.seq <= len(events):
        raise tampered("no such event in the custody log")
    committed = events[record.seq - 1]
    logged = committed.details.get("artefact")
    if not isinstance(logged, dict):
        raise tampered(f"that event is a {committed.action!r} event, not an artefact's")
    if committed.exhibit != record.exhibit_sha256:
        raise tampered(
            f"that event is of exhibit {str(committed.exhibit)[:12]}, "
            f"not of {record.exhibit_sha256[:12]}"
        )
    expected = {name: logged.get(name) for name in LOGGED_FIELDS} | {"created_at": committed.time}
    for name, value in expected.items():
        if comparable(getattr(record, name)) != comparable(value):
            raise tampered(
                f"{name} is {_show(getattr(record, name))} in the catalog "
                f"but {_show(value)} in the signed event"
            )
    try:
        data = case.store.path_for(record.object_sha256).read_bytes()
    except FileNotFoundError:
        raise tampered("the stored object is missing") from None
    except OSError as exc:
        raise tampered(f"the stored object cannot be read ({exc.strerror})") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != record.object_sha256:
        raise tampered(f"the stored object now hashes to {actual[:12]}; it was altered")
    return data


def _show(value: Any, limit: int = 60) -> str:
    shown = comparable(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
