"""Which signing keys a reader trusts, and whether a verified log was signed by one of them.

A log can verify perfectly and still be a forgery: whoever rewrites a log can sign it again
with a key of their own. What a reader must decide by hand is whose key it is. Trust is given
to a key's fingerprint (``keys.full_fingerprint``), learned from its owner by another channel
(a published fingerprint, a phone call), either for one run (``--trust``) or kept in
``config_dir()/trusted-keys.json`` (``earwitness keys trust``).

A log is trusted when its case key (the signer of its first event) is trusted: every later key
was authorised by a ``key_change`` event signed by the key before it, which the log check
(``verify.KeyAuthority``) enforces. Trusting only a newer key does not vouch for the events
signed before it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from earwitness.errors import EarwitnessError
from earwitness.vault.custody import utc_now
from earwitness.vault.keys import (
    CASE_KEY_FILE,
    case_config_dir,
    config_dir,
    decode_public_key,
    full_fingerprint,
    grouped,
    legacy_signer,
    normalise_fingerprint,
    write_json_atomically,
)
from earwitness.vault.verify import KeyAuthority

TRUST_FILE = "trusted-keys.json"
_MAX_KEY_FILE = 64 * 1024


class TrustError(EarwitnessError):
    """A key to trust or untrust cannot be understood, or is not in the list."""


@dataclass(frozen=True)
class TrustedKey:
    fingerprint: str  # 64 hex digits
    name: str
    public_key: str | None  # base64, when it was given as a key rather than a fingerprint
    added: str


def trust_file() -> Path:
    return config_dir() / TRUST_FILE


def trusted_keys() -> list[TrustedKey]:
    """The keys this user trusts, in the order they were added."""
    path = trust_file()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return [TrustedKey(**entry) for entry in document.get("keys", [])]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise TrustError(f"{path}: unreadable list of trusted keys ({exc})") from None


def _save(keys: list[TrustedKey]) -> None:
    write_json_atomically(trust_file(), {"keys": [asdict(key) for key in keys]})


def parse_key_spec(spec: str) -> tuple[str, str | None]:
    """(fingerprint, public key or None) from a fingerprint (64 hex digits, any grouping) or a
    file holding a public key: a case's ``keys/*.pub``, or the key alone in base64."""
    fingerprint = normalise_fingerprint(spec)
    if fingerprint:
        return fingerprint, None
    path = Path(spec).expanduser()
    if not path.is_file():
        if len(spec) < 64 and all(c in "0123456789abcdefABCDEF :" for c in spec):
            raise TrustError(
                f"{spec!r}: a fingerprint must have all 64 hex digits (a short one is too "
                "easy to imitate)"
            )
        raise TrustError(f"{spec}: neither a 64-hex-digit fingerprint nor a public key file")
    try:
        text = path.read_bytes()[:_MAX_KEY_FILE].decode("utf-8")
        token = text.split()[0]
        decode_public_key(token)
    except (OSError, UnicodeDecodeError, IndexError, ValueError):
        raise TrustError(
            f"{path}: not an Earwitness public key file (base64 Ed25519 key)"
        ) from None
    return full_fingerprint(token), token


def trust_key(spec: str, name: str | None = None) -> TrustedKey:
    """Add a key to the trusted list (renaming it if it is there already)."""
    fingerprint, public = parse_key_spec(spec)
    keys = trusted_keys()
    earlier = next((key for key in keys if key.fingerprint == fingerprint), None)
    entry = TrustedKey(
        fingerprint,
        name or (earlier.name if earlier else ""),
        public or (earlier.public_key if earlier else None),
        earlier.added if earlier else utc_now(),
    )
    _save(
        [entry if key.fingerprint == fingerprint else key for key in keys]
        if earlier
        else [*keys, entry]
    )
    return entry


def untrust_key(spec: str) -> TrustedKey:
    """Remove a key from the trusted list, by fingerprint, key file or the name given to it."""
    keys = trusted_keys()
    try:
        fingerprint: str | None = parse_key_spec(spec)[0]
    except TrustError:
        fingerprint = None
    found = [
        key for key in keys if key.fingerprint == fingerprint or (key.name and key.name == spec)
    ]
    if not found:
        raise TrustError(f"{spec}: not in your trusted keys ({trust_file()})")
    _save([key for key in keys if key not in found])
    return found[0]


def own_case_key(authority: KeyAuthority) -> bool:
    """Whether this machine made the case's key (so its own log needs no trust decision)."""
    if authority.case_id is None or authority.case_key is None:
        return False
    folder = case_config_dir(authority.case_id)
    if (folder / CASE_KEY_FILE).exists() or any(folder.glob("signing-key.retired-*.pem")):
        return True
    with contextlib.suppress(EarwitnessError):
        shared = legacy_signer()
        return shared is not None and shared.public_key_b64 == authority.case_key
    return False


@dataclass(frozen=True)
class SignerStatus:
    key: str
    fingerprint: str
    events: int
    trusted_as: str | None  # why it is trusted ("your key …", "--trust", "authorised by …")


@dataclass(frozen=True)
class TrustVerdict:
    trusted: bool
    signers: list[SignerStatus]
    case_key_fingerprint: str | None


def judge(
    authority: KeyAuthority | None,
    signers: dict[str, int],
    given: Iterable[str] = (),
    *,
    own_keys_trusted: bool = True,
) -> TrustVerdict:
    """Whether the log's signers are trusted: by ``given`` specs (``--trust``), the user's
    trusted list, or (``own_keys_trusted``) being this machine's own key for the case."""
    chosen = {parse_key_spec(spec)[0]: "given with --trust" for spec in given}
    listed = {key.fingerprint: f"in your trusted keys as {key.name!r}" for key in trusted_keys()}
    reasons = {**listed, **chosen}
    if (
        authority is not None
        and own_keys_trusted
        and own_case_key(authority)
        and authority.case_key
    ):
        reasons.setdefault(full_fingerprint(authority.case_key), "this machine's own case key")
    case_fp = full_fingerprint(authority.case_key) if authority and authority.case_key else None
    root_trusted = case_fp is not None and case_fp in reasons
    epochs = {epoch.key: epoch for epoch in (authority.history if authority else [])}
    statuses = []
    for key, count in signers.items():
        fingerprint = _safe_fingerprint(key)
        why = reasons.get(fingerprint)
        if why is None and root_trusted and key in epochs:
            why = f"authorised by a key_change at event {epochs[key].since_seq} of a trusted chain"
        statuses.append(SignerStatus(key, fingerprint, count, why))
    trusted = root_trusted and bool(statuses) and all(s.trusted_as for s in statuses)
    return TrustVerdict(trusted, statuses, case_fp)


def _safe_fingerprint(key: str) -> str:
    try:
        return full_fingerprint(key)
    except ValueError:
        return "?" * 64


def describe(verdict: TrustVerdict) -> Iterator[str]:
    """Lines for people: each signer's fingerprint, events signed, and whether it is trusted."""
    for status in verdict.signers:
        role = " (case key)" if status.fingerprint == verdict.case_key_fingerprint else ""
        trust = status.trusted_as or "NOT TRUSTED"
        yield (f"signer{role}: {grouped(status.fingerprint)}  {status.events} event(s)  {trust}")
