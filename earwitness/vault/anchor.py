"""Anchors: small signed statements of a custody log's head, kept outside the case.

An anchor says "case C's custody log held N events, the N-th with hash H, at time T", signed
by the case's key. Whoever holds a copy (a lawyer, an editor, a public post) can later show
that a log was cut back (it holds fewer than N events) or rewritten (its event N has another
hash). The file is JSON::

    {"format": "earwitness-anchor/1", "statement": "...", "case_id": "<64 hex>",
     "events": N, "head_hash": "<64 hex>", "time": "<UTC>", "signer": "<base64 key>",
     "signer_fingerprint": "<64 hex>", "sig": "<base64 Ed25519 signature>"}

``sig`` signs the canonical JSON (sorted keys, no spaces, UTF-8) of every other field.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

from earwitness.errors import EarwitnessError
from earwitness.vault.custody import canonical_json, utc_now
from earwitness.vault.keys import Signer, decode_public_key, full_fingerprint, grouped

FORMAT = "earwitness-anchor/1"
_MAX_BYTES = 64 * 1024


class AnchorError(EarwitnessError):
    """An anchor file cannot be read as an anchor."""


@dataclass(frozen=True)
class Anchor:
    format: str
    statement: str
    case_id: str
    events: int
    head_hash: str
    time: str
    signer: str
    signer_fingerprint: str
    sig: str
    source: str = ""  # where it was read from, for messages; not part of the statement

    def body(self) -> dict[str, Any]:
        fields = asdict(self)
        del fields["sig"], fields["source"]
        return fields

    def to_json(self) -> str:
        document = {**self.body(), "sig": self.sig}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def signature_valid(self) -> bool:
        try:
            key = decode_public_key(self.signer)
            key.verify(base64.b64decode(self.sig, validate=True), canonical_json(self.body()))
        except (InvalidSignature, ValueError, TypeError):
            return False
        return full_fingerprint(self.signer) == self.signer_fingerprint


def make_anchor(signer: Signer, case_id: str, events: int, head_hash: str) -> Anchor:
    """An anchor of a log with ``events`` events whose last hashes to ``head_hash``."""
    time = utc_now()
    statement = (
        f"The custody log of Earwitness case {case_id} held {events} event(s) at {time}; "
        f"event {events} has hash {head_hash}. Signed by key {grouped(signer.fingerprint)}."
    )
    unsigned = Anchor(
        FORMAT,
        statement,
        case_id,
        events,
        head_hash,
        time,
        signer.public_key_b64,
        signer.fingerprint,
        "",
    )
    return Anchor(**{**asdict(unsigned), "sig": signer.sign(canonical_json(unsigned.body()))})


def read_anchor(path: Path) -> Anchor:
    """The anchor in ``path``; AnchorError (one line naming the file) if it is not one.
    A wrong signature is not an error here: checking reports it as a problem."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_BYTES + 1)
    except OSError as exc:
        raise AnchorError(f"{path}: cannot read the anchor ({exc.strerror})") from None
    if len(data) > _MAX_BYTES:
        raise AnchorError(f"{path}: too large to be an anchor")
    try:
        document = json.loads(data)
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ValueError
        fields = {name: document[name] for name in Anchor.__dataclass_fields__ if name != "source"}
        if not isinstance(fields["events"], int) or not all(
            isinstance(fields[name], str) for name in fields if name != "events"
        ):
            raise ValueError
    except (ValueError, KeyError, UnicodeDecodeError):
        raise AnchorError(f"{path}: not an Earwitness anchor ({FORMAT})") from None
    return Anchor(**fields, source=str(path))


def anchor_problems(
    anchor: Anchor,
    case_id: str | None,
    last_seq: int,
    hash_at_anchor: str | None,
    authorised_keys: set[str],
) -> list[tuple[str, str]]:
    """(kind, message) for each way the log contradicts ``anchor``.

    ``hash_at_anchor`` is the hash of the log's event number ``anchor.events`` (None if the
    log is shorter); ``authorised_keys`` the keys the log's history authorised.
    """
    name = anchor.source or "anchor"
    if not anchor.signature_valid():
        return [("anchor_forged", f"{name}: the anchor's signature is not valid; it was forged")]
    if case_id != anchor.case_id:
        return [
            (
                "anchor_other_case",
                f"{name}: anchors case {anchor.case_id[:16]}…, but this log is case "
                f"{(case_id or 'none')[:16]}… (its first event was replaced, or another case)",
            )
        ]
    problems = []
    if anchor.signer not in authorised_keys:
        problems.append(
            (
                "anchor_foreign_signer",
                f"{name}: signed by key {grouped(anchor.signer_fingerprint)}, "
                "which this case's log never authorised",
            )
        )
    if last_seq < anchor.events:
        problems.append(
            (
                "anchor_not_reached",
                f"{name}: attests {anchor.events} event(s) at {anchor.time}, but the log holds "
                f"only {last_seq}: it was cut back, or (a package) made before the anchor",
            )
        )
    elif hash_at_anchor != anchor.head_hash:
        problems.append(
            (
                "anchor_diverged",
                f"{name}: event {anchor.events} should hash to {anchor.head_hash[:16]}…, "
                f"but the log's hashes to {(hash_at_anchor or '?')[:16]}…: it was rewritten",
            )
        )
    return problems


def problems_for_all(
    anchors: list[Anchor] | tuple[Anchor, ...],
    case_id: str | None,
    last_seq: int,
    wanted: Mapping[int, str | None],
    authorised_keys: set[str],
) -> list[tuple[str, str]]:
    """``anchor_problems`` for each anchor; ``wanted`` maps each anchor's event count to the
    hash of the log's event with that number (None where the log has none)."""
    found: list[tuple[str, str]] = []
    for anchor in anchors:
        found.extend(
            anchor_problems(anchor, case_id, last_seq, wanted.get(anchor.events), authorised_keys)
        )
    return found
