"""Actors and their Ed25519 signing keys.

Each actor's private key lives outside every case (``$XDG_CONFIG_HOME/earwitness/``, else
``~/.config/earwitness/``) so that copying or exporting a case never copies a key. The public
half is written into each case the actor touches.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "ed25519-signing-key.pem"


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "earwitness"


def current_actor() -> str:
    """Who is acting: ``EARWITNESS_ACTOR`` if set, else ``user@host``."""
    explicit = os.environ.get("EARWITNESS_ACTOR", "").strip()
    if explicit:
        return explicit
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid{os.getuid()}"
    return f"{user}@{socket.gethostname()}"


def encode_public_key(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def decode_public_key(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))


def key_fingerprint(public_key_b64: str) -> str:
    """Short stable name for a public key: first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:16]


@dataclass(frozen=True)
class Signer:
    """An actor able to sign custody events."""

    actor: str
    private_key: Ed25519PrivateKey

    @property
    def public_key_b64(self) -> str:
        return encode_public_key(self.private_key.public_key())

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private_key.sign(message)).decode("ascii")


def load_or_create_signer(directory: Path | None = None) -> Signer:
    """The current actor's signer, creating its key (mode 0600) on first use."""
    directory = directory or config_dir()
    path = directory / KEY_FILE
    if path.is_file():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path}: not an Ed25519 private key")
        return Signer(current_actor(), key)
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return Signer(current_actor(), key)
