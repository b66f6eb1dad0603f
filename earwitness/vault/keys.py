"""Signing keys, fingerprints, and what this machine remembers about each case it signs for.

Each case has its own Ed25519 key, kept outside the case so that copying or exporting a case
never copies a key::

    config_dir()                                  $XDG_CONFIG_HOME/earwitness, else ~/.config/…
    config_dir()/cases/<case id>/                 case_config_dir(case id): one per case
        signing-key.pem                           the case's current private key (0600)
        signing-key.retired-<fp16>.pem            keys replaced by 'earwitness keys rotate'
        case.json                                 the case's folder and pseudonym on this machine
        head.json                                 the last event this machine signed for it
    config_dir()/ed25519-signing-key.pem          the key every case shared before per-case keys

A **case id** is the hash of the case's first custody event (its ``init`` event): it names the
case wherever it is copied, and cannot be kept while the log's start is rewritten. Other parts
of Earwitness may keep their own per-case files in ``case_config_dir(case_id)``.

A private key file is either a PKCS#8 PEM or, when protected by a passphrase, a JSON document
(``earwitness-private-key/1``): the raw key sealed with AES-256-GCM under a key derived from the
passphrase with Argon2id. The passphrase comes from ``EARWITNESS_PASSPHRASE``, else a prompt.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from earwitness.errors import EarwitnessError

KEY_FILE = "ed25519-signing-key.pem"  # the shared key of cases made before per-case keys
CASE_KEY_FILE = "signing-key.pem"
CASE_INFO_FILE = "case.json"
HEAD_FILE = "head.json"
PASSPHRASE_ENV = "EARWITNESS_PASSPHRASE"
ACTOR_ENV = "EARWITNESS_ACTOR"
_SEALED_FORMAT = "earwitness-private-key/1"
# Argon2id as RFC 9106's second recommended option (64 MiB, 3 passes).
_ARGON2 = {"iterations": 3, "lanes": 4, "memory_cost": 64 * 1024}


class KeyFileError(EarwitnessError):
    """A private key file cannot be used (unreadable, not Ed25519, wrong passphrase)."""


class NoCaseKey(EarwitnessError):
    """This machine holds no key allowed to sign for the case."""


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "earwitness"


def case_config_dir(case_id: str) -> Path:
    """This machine's folder for the case whose ``init`` event hashes to ``case_id``.

    Holds the case's private key, its pseudonym and the last head signed; other modules may
    keep per-case files here too (the folder may not exist yet: create it when writing).
    """
    if len(case_id) != 64 or any(c not in "0123456789abcdef" for c in case_id):
        raise ValueError(f"not a case id: {case_id!r}")
    return config_dir() / "cases" / case_id


# --- public keys and fingerprints -------------------------------------------------------


def encode_public_key(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def decode_public_key(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def full_fingerprint(public_key_b64: str) -> str:
    """The fingerprint to publish and to trust: SHA-256 of the raw key, 64 hex digits."""
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()


def key_fingerprint(public_key_b64: str) -> str:
    """Short name for a key, used only for file names: the first 16 hex digits of its
    fingerprint. Too short to vouch for a key: show ``full_fingerprint`` to people."""
    return full_fingerprint(public_key_b64)[:16]


def grouped(fingerprint: str) -> str:
    """A fingerprint in groups of four hex digits, as people read it aloud or compare it."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def normalise_fingerprint(text: str) -> str | None:
    """The 64 hex digits of a fingerprint typed with any spaces, colons or case; else None."""
    cleaned = "".join(c for c in text.lower() if c not in " :-\t")
    if len(cleaned) == 64 and all(c in "0123456789abcdef" for c in cleaned):
        return cleaned
    return None


# --- signers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    """An actor able to sign custody events."""

    actor: str
    private_key: Ed25519PrivateKey

    @property
    def public_key_b64(self) -> str:
        return encode_public_key(self.private_key.public_key())

    @property
    def fingerprint(self) -> str:
        return full_fingerprint(self.public_key_b64)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode("ascii")


def default_pseudonym(public_key_b64: str) -> str:
    """The actor named when none was chosen: never the user's or the machine's name."""
    return f"examiner-{full_fingerprint(public_key_b64)[:8]}"


def acting_name(chosen: str | None, public_key_b64: str) -> str:
    """``EARWITNESS_ACTOR`` if set, else the case's chosen pseudonym, else the default one."""
    explicit = os.environ.get(ACTOR_ENV, "").strip()
    return explicit or (chosen or "").strip() or default_pseudonym(public_key_b64)


# --- private key files ------------------------------------------------------------------


def read_passphrase(
    path: Path, *, confirm: bool = False, needed_for: str = "the key is protected by a passphrase"
) -> bytes:
    """``$EARWITNESS_PASSPHRASE`` if set (for scripts), else asked without echo (twice when
    ``confirm``); without a terminal, a one-line error naming ``path`` and ``needed_for``."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given.encode("utf-8")
    if not sys.stdin.isatty():
        raise KeyFileError(f"{path}: {needed_for}; set {PASSPHRASE_ENV}")
    first = getpass.getpass(f"passphrase for {path.name}: ")
    if confirm and getpass.getpass("again: ") != first:
        raise KeyFileError("the two passphrases differ; nothing was written")
    if not first:
        raise KeyFileError(f"{path}: an empty passphrase protects nothing")
    return first.encode("utf-8")


def _derive(passphrase: bytes, salt: bytes, params: dict[str, int] = _ARGON2) -> bytes:
    return Argon2id(
        salt=salt,
        length=32,
        iterations=params["iterations"],
        lanes=params["lanes"],
        memory_cost=params["memory_cost"],
    ).derive(passphrase)


def private_key_bytes(key: Ed25519PrivateKey, passphrase: bytes | None) -> bytes:
    """The file contents for ``key``: PEM, or sealed under ``passphrase`` when one is given."""
    if passphrase is None:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_derive(passphrase, salt)).encrypt(nonce, raw, _SEALED_FORMAT.encode())
    document = {
        "format": _SEALED_FORMAT,
        "kdf": {"name": "argon2id", "salt": base64.b64encode(salt).decode(), **_ARGON2},
        "aead": "aes-256-gcm",
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(sealed).decode(),
        "public_key": encode_public_key(key.public_key()),
    }
    return (json.dumps(document, indent=2) + "\n").encode("ascii")


def write_private_key(path: Path, key: Ed25519PrivateKey, passphrase: bytes | None) -> None:
    """Write a new key file (mode 0600) atomically; refuses to overwrite an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_key_bytes(key, passphrase))
        handle.flush()
        os.fsync(handle.fileno())
    if path.exists():
        temporary.unlink()
        raise KeyFileError(f"{path}: already exists; not overwritten")
    os.replace(temporary, path)


def is_protected(path: Path) -> bool:
    return path.read_bytes()[:1] == b"{"


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 key in ``path``; KeyFileError (one line naming the file) if it cannot be."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"{path}: cannot read the private key ({exc.strerror})") from None
    if data[:1] == b"{":
        return _unseal(path, data)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(
            f"{path}: the private key is encrypted in a way Earwitness does not "
            "read; use an unencrypted PKCS#8 Ed25519 key"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(f"{path}: not a readable private key (damaged or truncated?)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 private key ({type(key).__name__})")
    return key


def _unseal(path: Path, data: bytes) -> Ed25519PrivateKey:
    try:
        document = json.loads(data)
        if document["format"] != _SEALED_FORMAT:
            raise ValueError
        kdf = document["kdf"]
        salt = base64.b64decode(kdf["salt"], validate=True)
        nonce = base64.b64decode(document["nonce"], validate=True)
        sealed = base64.b64decode(document["ciphertext"], validate=True)
        params = {name: int(kdf[name]) for name in _ARGON2}
        # Bounded, so a crafted key file cannot ask for gigabytes or hours.
        if not (1 <= params["iterations"] <= 64 and 1 <= params["lanes"] <= 64):
            raise ValueError
        if not 8 * params["lanes"] <= params["memory_cost"] <= 1024 * 1024:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise KeyFileError(f"{path}: not a readable protected key (damaged?)") from None
    try:
        raw = AESGCM(_derive(read_passphrase(path), salt, params)).decrypt(
            nonce, sealed, _SEALED_FORMAT.encode()
        )
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (InvalidTag, ValueError):
        raise KeyFileError(f"{path}: wrong passphrase, or the key file was altered") from None


def new_protection_passphrase(where: Path) -> bytes:
    """A passphrase to protect a new key: ``EARWITNESS_PASSPHRASE``, else asked twice."""
    return read_passphrase(where, confirm=True)


def load_or_create_signer(directory: Path | None = None) -> Signer:
    """The shared signer of cases made before per-case keys (creating its key on first use).

    New cases never use it; it stays so that the cases it signed can still be written to.
    """
    directory = directory or config_dir()
    path = directory / KEY_FILE
    if not path.is_file():
        write_private_key(path, Ed25519PrivateKey.generate(), None)
    key = load_private_key(path)
    return Signer(acting_name(None, encode_public_key(key.public_key())), key)


def legacy_signer() -> Signer | None:
    """The shared pre-per-case key, if this machine has one (never created here)."""
    path = config_dir() / KEY_FILE
    if not path.is_file():
        return None
    key = load_private_key(path)
    return Signer(acting_name(None, encode_public_key(key.public_key())), key)


# --- what this machine remembers about a case -------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise EarwitnessError(f"{path}: unreadable ({exc}); fix or remove it") from None
    return value if isinstance(value, dict) else {}


def write_json_atomically(path: Path, value: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def case_info(case_id: str) -> dict[str, Any]:
    """What this machine noted about the case: ``root`` (its folder), ``actor`` (pseudonym)."""
    return _read_json(case_config_dir(case_id) / CASE_INFO_FILE)


def note_case_info(case_id: str, **fields: Any) -> None:
    """Update case.json with ``fields`` (only written when something changes)."""
    path = case_config_dir(case_id) / CASE_INFO_FILE
    current = _read_json(path)
    if any(current.get(name) != value for name, value in fields.items()):
        write_json_atomically(path, {**current, **fields})


def cases_at(root: Path) -> list[str]:
    """Ids of every case this machine has signed for in the folder ``root``."""
    folder = config_dir() / "cases"
    found = []
    if folder.is_dir():
        for info in sorted(folder.glob(f"*/{CASE_INFO_FILE}")):
            if _read_json(info).get("root") == str(root):
                found.append(info.parent.name)
    return found


def last_signed_head(case_id: str) -> tuple[int, str] | None:
    """(seq, hash) of the last event this machine signed for the case, if any."""
    head = _read_json(case_config_dir(case_id) / HEAD_FILE)
    if isinstance(head.get("seq"), int) and isinstance(head.get("hash"), str):
        return head["seq"], head["hash"]
    return None


def remember_head(case_id: str, seq: int, digest: str) -> None:
    write_json_atomically(case_config_dir(case_id) / HEAD_FILE, {"seq": seq, "hash": digest})
