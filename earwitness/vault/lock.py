"""Encryption at rest: lock a case so that its folder holds nothing readable without a passphrase.

A locked case keeps, in ``.earwitness/``, only ``encryption.json`` (the key-derivation
parameters and the wrapped data key), the empty ``lock`` file and ``sealed/``: every other
file of the case folder — objects, catalog, custody log, keys, private side table, temporaries
— and the case's own files in the config folder (its signing key and private-field secret) are
sealed there under random names (``vault.sealing``), with a sealed manifest saying where each
belongs. File names, which are SHA-256 digests of the evidence, are therefore hidden too, so a
locked case cannot be asked "do you hold this file?" by name. Sizes are not hidden.

The passphrase unlocks a random 256-bit data key (Argon2id, then AES-256-GCM key wrapping);
changing the passphrase would only rewrap that key. Unlocking restores every file bit for bit.

Steps are ordered so that a crash at any moment loses nothing: the lock is committed by
writing the sealed manifest after every sealed copy is on disk, and only then are the
plaintext files deleted; an unlock restores every file before it removes the manifest.
Deleting a file does not scrub its blocks from an SSD: use full-disk encryption as well.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from earwitness.errors import EarwitnessError
from earwitness.vault import sealing
from earwitness.vault.store import fsync_dir

SETTINGS_FILE = "encryption.json"
SEALED_DIR = "sealed"
MANIFEST = "manifest.ewseal"
FORMAT = "earwitness-encryption/1"
_WRAP_AAD = b"earwitness data key v1"
_KEPT = {SETTINGS_FILE, "lock"}
RESTORED_FOLDERS = ("objects", "keys", "tmp")
# OWASP's second Argon2id profile (64 MiB, t=3, p=4): about 0.1 s here, costly to guess at scale.
KDF_DEFAULTS = {"iterations": 3, "lanes": 4, "memory_kib": 64 * 1024}


class CaseLocked(EarwitnessError):
    """The case is locked: its evidence is sealed until 'earwitness unlock'."""


class WrongPassphrase(EarwitnessError):
    """The passphrase does not unwrap the case's data key."""


@dataclass(frozen=True)
class LockSummary:
    files: int
    bytes: int


def meta_dir(case_root: Path) -> Path:
    return case_root / ".earwitness"


def is_encrypted(case_root: Path) -> bool:
    return (meta_dir(case_root) / SETTINGS_FILE).is_file()


def is_locked(case_root: Path) -> bool:
    return (meta_dir(case_root) / SEALED_DIR / MANIFEST).is_file()


def refuse_if_locked(case_root: Path) -> None:
    if is_locked(case_root):
        raise CaseLocked(f"{case_root}: the case is locked; 'earwitness unlock' opens it")


def _derive(passphrase: str, kdf: dict[str, Any]) -> bytes:
    return Argon2id(
        salt=base64.b64decode(kdf["salt"]),
        length=sealing.KEY_BYTES,
        iterations=int(kdf["iterations"]),
        lanes=int(kdf["lanes"]),
        memory_cost=int(kdf["memory_kib"]),
    ).derive(passphrase.encode("utf-8"))


def set_up_encryption(case_root: Path, passphrase: str, case_id: str | None) -> None:
    """Give the case a data key wrapped by ``passphrase`` (once; refuses to replace one)."""
    path = meta_dir(case_root) / SETTINGS_FILE
    if path.exists():
        raise EarwitnessError(f"{path}: the case already has a passphrase")
    if len(passphrase) < 8:
        raise EarwitnessError(
            "passphrase too short: use at least 8 characters (a sentence is best)"
        )
    kdf = {"name": "argon2id", "salt": base64.b64encode(os.urandom(16)).decode(), **KDF_DEFAULTS}
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    wrapped = nonce + AESGCM(_derive(passphrase, kdf)).encrypt(nonce, data_key, _WRAP_AAD)
    settings = {
        "format": FORMAT,
        "case_id": case_id,
        "kdf": kdf,
        "wrapped_key": base64.b64encode(wrapped).decode(),
    }
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _settings(case_root: Path) -> dict[str, Any]:
    path = meta_dir(case_root) / SETTINGS_FILE
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
        if settings.get("format") != FORMAT:
            raise ValueError("unknown format")
        return dict(settings)
    except FileNotFoundError:
        raise EarwitnessError(
            f"{case_root}: the case has no passphrase (create it with 'earwitness init --encrypt')"
        ) from None
    except (OSError, ValueError) as exc:
        raise EarwitnessError(f"{path}: unreadable encryption settings ({exc})") from None


def recorded_case_id(case_root: Path) -> str:
    """The case id written beside the wrapped key (readable while the log is sealed)."""
    case_id = _settings(case_root).get("case_id")
    if not isinstance(case_id, str) or len(case_id) != 64:
        raise EarwitnessError(f"{meta_dir(case_root) / SETTINGS_FILE}: no case id recorded")
    return case_id


def data_key(case_root: Path, passphrase: str) -> bytes:
    """The case's data key, or WrongPassphrase."""
    settings = _settings(case_root)
    wrapped = base64.b64decode(settings["wrapped_key"])
    try:
        kek = _derive(passphrase, settings["kdf"])
        return AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], _WRAP_AAD)
    except (InvalidTag, ValueError):
        raise WrongPassphrase(f"{case_root}: wrong passphrase") from None


def _plain_files(case_root: Path, config_folder: Path | None) -> Iterator[tuple[str, Path]]:
    """(label, path) of every file to seal: the case folder's, then the case's config files."""
    meta = meta_dir(case_root)
    for folder, dirs, names in os.walk(meta):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not (here == meta and d == SEALED_DIR))
        for name in sorted(names):
            path = here / name
            if here == meta and name in _KEPT:
                continue
            if path.is_symlink() or not path.is_file():
                raise EarwitnessError(f"{path}: not a regular file; refusing to lock around it")
            yield f"case:{path.relative_to(meta).as_posix()}", path
    if config_folder is not None and config_folder.is_dir():
        for path in sorted(p for p in config_folder.rglob("*") if p.is_file()):
            yield f"config:{path.relative_to(config_folder).as_posix()}", path


def _target(label: str, case_root: Path, config_folder: Path | None) -> Path:
    area, _, relative = label.partition(":")
    base = meta_dir(case_root) if area == "case" else config_folder
    if base is None or not relative or ".." in Path(relative).parts or relative.startswith("/"):
        raise EarwitnessError(f"sealed manifest names an impossible place: {label!r}")
    return base / relative


def _discard_unfinished(sealed: Path) -> None:
    """Sealed copies without a manifest are from a lock that never committed."""
    if sealed.is_dir() and not (sealed / MANIFEST).exists():
        shutil.rmtree(sealed)


def lock_case(case_root: Path, passphrase: str, config_folder: Path | None) -> LockSummary:
    """Seal every file of the case (and its config folder); then delete the plaintext."""
    key = data_key(case_root, passphrase)
    sealed = meta_dir(case_root) / SEALED_DIR
    if is_locked(case_root):
        raise CaseLocked(f"{case_root}: already locked")
    _discard_unfinished(sealed)
    sealed.mkdir()
    entries: list[dict[str, Any]] = []
    total = 0
    for label, path in _plain_files(case_root, config_folder):
        name = f"{uuid.uuid4().hex}.ewseal"
        sealing.seal_file(key, path, sealed / name)
        size = path.stat().st_size
        total += size
        entries.append({"label": label, "name": name, "mode": path.stat().st_mode & 0o777})
    manifest = sealing.seal_bytes(key, json.dumps(entries).encode("utf-8"))
    partial = sealed / (MANIFEST + ".part")
    with open(partial, "wb") as sink:
        sink.write(manifest)
        sink.flush()
        os.fsync(sink.fileno())
    os.replace(partial, sealed / MANIFEST)  # the lock is committed here
    fsync_dir(sealed)
    for entry in entries:
        _target(entry["label"], case_root, config_folder).unlink(missing_ok=True)
    _remove_empty_folders(meta_dir(case_root), keep={sealed})
    return LockSummary(files=len(entries), bytes=total)


def unlock_case(case_root: Path, passphrase: str, config_folder: Path | None) -> LockSummary:
    """Restore every sealed file where it was, bit for bit; then remove the sealed copies."""
    if not is_locked(case_root):
        raise EarwitnessError(f"{case_root}: not locked")
    key = data_key(case_root, passphrase)
    sealed = meta_dir(case_root) / SEALED_DIR
    raw = sealing.open_bytes(key, (sealed / MANIFEST).read_bytes(), str(sealed / MANIFEST))
    entries = json.loads(raw)
    total = 0
    for entry in entries:
        target = _target(entry["label"], case_root, config_folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        sealing.open_file(key, sealed / entry["name"], target, mode=int(entry["mode"]))
        total += target.stat().st_size
    for folder in RESTORED_FOLDERS:  # empty ones were not sealed
        (meta_dir(case_root) / folder).mkdir(exist_ok=True)
    (sealed / MANIFEST).unlink()  # the unlock is committed here
    shutil.rmtree(sealed)
    return LockSummary(files=len(entries), bytes=total)


def _remove_empty_folders(root: Path, keep: set[Path]) -> None:
    for folder, _dirs, _names in os.walk(root, topdown=False):  # children before parents
        path = Path(folder)
        if path == root or path in keep or any(path.is_relative_to(k) for k in keep):
            continue
        with contextlib.suppress(OSError):  # not empty: something of the case's is still there
            path.rmdir()
