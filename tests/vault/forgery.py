"""A small real case, and the edits an adversary with write access to its folder would make."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from earwitness.vault import custody
from earwitness.vault.artefacts import ArtefactRecord, store_artefact
from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from earwitness.vault.keys import Signer
from tests.conftest import write_wav


@dataclass(frozen=True)
class Filled:
    case: Case
    exhibits: list[str]  # sha256 of "звонок 0.wav", "звонок 1.wav"
    translation: ArtefactRecord  # of the first exhibit
    examination: ArtefactRecord  # of the second exhibit


def filled_case(tmp_path: Path) -> Filled:
    """Two exhibits (Cyrillic names), an artefact of each; made by the real code paths."""
    case, _ = Case.init(tmp_path / "case")
    files = [write_wav(tmp_path / "in" / f"звонок {n}.wav", 0.2, seed=n) for n in range(2)]
    exhibits = [outcome.sha256 for outcome in ingest_paths(case, files, source="a drop")]
    translation = store_artefact(
        case,
        exhibits[0],
        "translation",
        b'{"text": "the true translation"}',
        filename="translation.json",
        media_type="application/json",
        params={"language": "en"},
    )
    examination = store_artefact(
        case,
        exhibits[1],
        "examination",
        b'{"findings": []}',
        filename="examination.json",
        media_type="application/json",
        params={"window_s": 2.0},
    )
    return Filled(case, exhibits, translation, examination)


def sql(case: Case, statement: str, *values: Any) -> None:
    """Edit the catalog behind Earwitness's back, as anyone able to write the file can."""
    connection = sqlite3.connect(case.paths.catalog)
    try:
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute(statement, values)
        connection.commit()
    finally:
        connection.close()


def plant(case: Case, content: bytes) -> str:
    """Put a forged object into the store, where a real one would be; returns its hash."""
    return case.store.put_bytes(content).sha256


def resign(
    events: list[custody.Event], signer: Signer, previous: custody.Event | None = None
) -> list[custody.Event]:
    """The same events, chained after ``previous`` and signed by ``signer``: a whole log
    rewritten by someone holding a key of their own (fields other than the chain kept)."""
    resigned = []
    for event in events:
        as_recorded = Signer(event.actor, signer.private_key)  # keep the actor named
        previous = custody.make_event(
            as_recorded, event.action, event.exhibit, event.details, previous, time=event.time
        )
        resigned.append(previous)
    return resigned


def new_signer(actor: str = "forger") -> Signer:
    return Signer(actor, Ed25519PrivateKey.generate())
