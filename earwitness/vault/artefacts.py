"""Derived artefacts: what was computed from an exhibit, by what, with which parameters.

An artefact is keyed by (exhibit, stage, tool version, parameters, model): ask
``find_artefact`` first and the same request is answered from the store instead of recomputed.
The record carries everything needed to redo the computation from the original.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from earwitness import __version__
from earwitness.errors import ExhibitNotFound
from earwitness.vault.case import Case
from earwitness.vault.catalog import Artefact, Exhibit
from earwitness.vault.custody import canonical_json


def params_sha256(params: dict[str, Any]) -> str:
    """Hash of the parameters as canonical JSON (sorted keys), so key order never matters."""
    return hashlib.sha256(canonical_json(params)).hexdigest()


@dataclass(frozen=True)
class ArtefactRecord:
    exhibit_sha256: str
    object_sha256: str
    stage: str
    filename: str
    media_type: str
    size_bytes: int
    tool_version: str
    params: dict[str, Any]
    params_sha256: str
    model_sha256: str | None
    created_at: str
    seq: int

    @classmethod
    def from_row(cls, row: Artefact) -> ArtefactRecord:
        return cls(
            exhibit_sha256=row.exhibit_sha256,
            object_sha256=row.object_sha256,
            stage=row.stage,
            filename=row.filename,
            media_type=row.media_type,
            size_bytes=row.size_bytes,
            tool_version=row.tool_version,
            params=row.params,
            params_sha256=row.params_sha256,
            model_sha256=row.model_sha256,
            created_at=row.created_at,
            seq=row.seq,
        )


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
