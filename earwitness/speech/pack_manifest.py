"""The manifest of a model pack (``speech.packs``), and the rules it must follow.

The manifest arrives inside an archive from somewhere else, so ``parse_manifest`` treats it as
hostile: bounded size, no duplicate keys, no NaN, no unknown fields, every string matched
against a narrow pattern (a file name is flat: no folders, no ``..``), every size a bounded
whole number. Every failure is one ``ModelError`` line that never echoes the raw input.
``check_against_catalogue`` then holds a manifest of a known model to the hashes the catalogue
pins, so a manifest cannot vouch for files the publisher never made.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from earwitness.speech import catalogue
from earwitness.speech.catalogue import KINDS, SPEECH, TRANSLATION
from earwitness.speech.models import ModelError

SCHEMA = "earwitness.model-pack/1"
MANIFEST = "manifest.json"
MEMBER_PREFIX = "model/"
SUMS = "SHA256SUMS"

MAX_MANIFEST_BYTES = 1024 * 1024
MAX_FILES = 64
MAX_FILE_BYTES = 16 * 1024**3
MAX_TOTAL_BYTES = 32 * 1024**3

VALID_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
VALID_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
REVISION = re.compile(r"[0-9a-f]{40}")
_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
_VERSION = re.compile(r"[0-9A-Za-z.+-]{1,40}")
_CREATED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
_CONVERTER = re.compile(r"[0-9A-Za-z .+-]{1,80}")
RESERVED = {MANIFEST, SUMS}
# What a model of each kind cannot load without.
REQUIRED = {
    SPEECH: ("model.bin", "tokenizer.json"),
    TRANSLATION: ("model.bin", "source.spm", "target.spm"),
}


@dataclass(frozen=True)
class PackFile:
    path: str
    size: int
    sha256: str
    pinned: bool  # the catalogue pins this file's hash (recomputed on import, never trusted)


@dataclass(frozen=True)
class Manifest:
    name: str
    kind: str
    languages: tuple[str, ...]
    target_language: str | None
    repository: str | None
    revision: str | None
    converted_with: str | None
    earwitness_version: str
    created: str
    files: tuple[PackFile, ...]

    def hashes(self) -> dict[str, str]:
        return {f.path: f.sha256 for f in self.files}

    def to_json(self) -> bytes:
        document = {
            "schema": SCHEMA,
            "name": self.name,
            "kind": self.kind,
            "languages": list(self.languages),
            "target_language": self.target_language,
            "source": {
                "repository": self.repository,
                "revision": self.revision,
                "converted_with": self.converted_with,
            },
            "earwitness_version": self.earwitness_version,
            "created": self.created,
            "files": [
                {"path": f.path, "size": f.size, "sha256": f.sha256, "pinned": f.pinned}
                for f in self.files
            ],
        }
        return (json.dumps(document, indent=2, ensure_ascii=True) + "\n").encode("ascii")


# --- the manifest, parsed as hostile input -------------------------------------------------


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a key appears twice")
    return dict(pairs)


def _refuse_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a number")


def _object(value: Any, keys: set[str], where: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ModelError(f"{where}: {what} is not a JSON object")
    if set(value) != keys:
        odd = sorted(set(value) ^ keys)[0]
        raise ModelError(f"{where}: {what} has a missing or unknown field {odd[:40]!r}")
    return value


def _text(value: Any, pattern: re.Pattern[str], where: str, what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ModelError(f"{where}: {what} is missing or malformed")
    return value


def _optional(value: Any, pattern: re.Pattern[str], where: str, what: str) -> str | None:
    return None if value is None else _text(value, pattern, where, what)


def parse_manifest(raw: bytes, where: str) -> Manifest:
    """``raw`` as a manifest, or a one-line ``ModelError`` saying what is wrong with it."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise ModelError(f"{where}: larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        document = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_refuse_constant,
        )
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError too
        reason = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        raise ModelError(f"{where}: not valid JSON ({reason!r})") from None
    top = {"schema", "name", "kind", "languages", "target_language", "source"}
    top |= {"earwitness_version", "created", "files"}
    document = _object(document, top, where, "the manifest")
    if document["schema"] != SCHEMA:
        raise ModelError(f"{where}: not an {SCHEMA} manifest")
    kind = document["kind"]
    if kind not in KINDS:
        raise ModelError(f"{where}: 'kind' must be one of {', '.join(KINDS)}")
    languages = document["languages"]
    if not isinstance(languages, list) or len(languages) > 16:
        raise ModelError(f"{where}: 'languages' is not a short list")
    source = _object(
        document["source"], {"repository", "revision", "converted_with"}, where, "'source'"
    )
    files = document["files"]
    if not isinstance(files, list) or not 1 <= len(files) <= MAX_FILES:
        raise ModelError(f"{where}: 'files' must list 1 to {MAX_FILES} files")
    parsed: list[PackFile] = []
    for number, entry in enumerate(files, start=1):
        what = f"file {number}"
        entry = _object(entry, {"path", "size", "sha256", "pinned"}, where, what)
        path = _text(entry["path"], VALID_FILE, where, f"{what}'s path")
        if path in RESERVED:
            raise ModelError(f"{where}: {what} is called {path}, a name the pack reserves")
        size = entry["size"]
        if type(size) is not int or not 0 <= size <= MAX_FILE_BYTES:
            raise ModelError(f"{where}: {path}: size is not a whole number of bytes in range")
        if type(entry["pinned"]) is not bool:
            raise ModelError(f"{where}: {path}: 'pinned' is not true or false")
        digest = _text(entry["sha256"], _SHA256, where, f"{path}'s sha256")
        parsed.append(PackFile(path, size, digest, entry["pinned"]))
    paths = [f.path for f in parsed]
    if len(set(paths)) != len(paths):
        raise ModelError(f"{where}: a file is listed twice")
    if sum(f.size for f in parsed) > MAX_TOTAL_BYTES:
        raise ModelError(f"{where}: the files add up to more than {MAX_TOTAL_BYTES} bytes")
    for required in REQUIRED[kind]:
        if required not in paths:
            raise ModelError(f"{where}: a {kind} model needs {required}, which is not listed")
    return Manifest(
        name=_text(document["name"], VALID_NAME, where, "'name'"),
        kind=kind,
        languages=tuple(_text(x, _LANGUAGE, where, "a language") for x in languages),
        target_language=_optional(document["target_language"], _LANGUAGE, where, "the target"),
        repository=_optional(source["repository"], _REPOSITORY, where, "the repository"),
        revision=_optional(source["revision"], REVISION, where, "the revision"),
        converted_with=_optional(source["converted_with"], _CONVERTER, where, "the converter"),
        earwitness_version=_text(document["earwitness_version"], _VERSION, where, "the version"),
        created=_text(document["created"], _CREATED, where, "'created'"),
        files=tuple(parsed),
    )


def check_against_catalogue(manifest: Manifest, where: str) -> Manifest:
    """Refuse a manifest that contradicts the catalogue; return it with ``pinned`` recomputed.

    For a name the catalogue knows, the kind, languages and repository must be the catalogue's,
    every file the catalogue lists must be there, every pinned hash must be the pinned one, and
    a fully pinned model may carry no other file. A name it does not know pins nothing.
    """
    model = catalogue.known(manifest.name)
    if model is None:
        return replace(manifest, files=tuple(replace(f, pinned=False) for f in manifest.files))
    if manifest.kind != model.kind:
        raise ModelError(f"{where}: {model.name} is a {model.kind} model, not {manifest.kind}")
    if (manifest.languages, manifest.target_language) != (model.languages, model.target_language):
        raise ModelError(f"{where}: the languages differ from those of {model.name}")
    if manifest.repository not in (None, model.repository):
        raise ModelError(f"{where}: {model.name} comes from {model.repository}, not elsewhere")
    listed = manifest.hashes()
    pins = model.pins()
    for path, _ in model.files:
        if path not in listed:
            raise ModelError(f"{where}: {path} of {model.name} is missing from the pack")
        if path in pins and listed[path] != pins[path]:
            raise ModelError(
                f"{where}: {path}: the manifest gives SHA-256 {listed[path]}, but the "
                f"published {model.name} file is {pins[path]}; refused"
            )
    if model.fully_pinned:
        extra = sorted(set(listed) - set(pins))
        if extra:
            raise ModelError(f"{where}: {extra[0]} is not a file of {model.name}; refused")
    return replace(manifest, files=tuple(replace(f, pinned=f.path in pins) for f in manifest.files))
