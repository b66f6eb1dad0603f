"""Model packs: made from the packaged base model, imported whole or not at all.

Every archive here is a real tar read by the real importer; the hostile ones are written by
hand with ``tarfile`` so that each carries exactly one thing wrong.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import string
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earwitness.speech import catalogue, models, pack_builder, packs
from earwitness.speech.pack_manifest import Manifest, PackFile, parse_manifest
from tests.strategies import json_values

BASE = models.PACKAGED["whisper-base"].manifest


@pytest.fixture(scope="module")
def base_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pack of the packaged base model, made once; tests tamper with copies."""
    folder = tmp_path_factory.mktemp("pack")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EARWITNESS_MODEL_CACHE", str(folder / "source-cache"))
        pack_builder.pack("whisper-base", folder / "base.ewpack")
    return folder / "base.ewpack"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    monkeypatch.setenv("EARWITNESS_MODEL_CACHE", str(root))
    return root


def snapshot(root: Path) -> list[str]:
    """Everything under ``root``, hidden entries included."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def flip_byte(pack: Path, member: str, copy: Path) -> Path:
    """A copy of ``pack`` with one byte of ``member``'s data changed."""
    shutil.copyfile(pack, copy)
    with tarfile.open(pack) as tar:
        info = tar.getmember(member)
    with open(copy, "r+b") as handle:
        handle.seek(info.offset_data + info.size // 2)
        byte = handle.read(1)
        handle.seek(-1, io.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0x01]))
    return copy


def write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Path:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def regular(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def manifest_for(name: str, files: dict[str, bytes], kind: str = "speech recognition") -> bytes:
    listed = tuple(
        PackFile(path, len(data), hashlib.sha256(data).hexdigest(), False)
        for path, data in sorted(files.items())
    )
    return Manifest(
        name, kind, (), None, None, None, None, "0.1.0", "2026-01-01T00:00:00Z", listed
    ).to_json()


SMALL = {"model.bin": b"weights" * 100, "tokenizer.json": b"{}"}


def small_pack(path: Path, *extra: tuple[tarfile.TarInfo, bytes | None]) -> Path:
    """A pack of an unknown (unpinned) model, well formed, plus ``extra`` members."""
    members = [regular("manifest.json", manifest_for("tiny-test", SMALL))]
    members += [regular(f"model/{name}", data) for name, data in SMALL.items()]
    return write_tar(path, [*members, *extra])


def test_the_base_pack_installs_lists_and_resolves_by_name(base_pack: Path, cache: Path) -> None:
    with tarfile.open(base_pack) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert names == ["manifest.json", *(f"model/{name}" for name in sorted(BASE))]
    assert manifest["schema"] == "earwitness.model-pack/1"
    assert manifest["source"]["repository"] == "Systran/faster-whisper-base"
    assert {f["path"]: f["sha256"] for f in manifest["files"]} == BASE
    assert all(f["pinned"] for f in manifest["files"])

    installed = packs.import_pack(base_pack)
    assert installed.directory == cache / "packs" / "whisper-base"
    assert sorted(p.name for p in installed.directory.iterdir()) == sorted(
        [*BASE, "SHA256SUMS", "manifest.json"]
    )
    assert models.read_sums(installed.directory / "SHA256SUMS") == BASE
    assert [p.name for p in (cache / "packs").iterdir()] == ["whisper-base"]  # no staging left

    resolved = models.resolve_model("whisper-base")
    assert (resolved.origin, resolved.directory) == ("pack", installed.directory)
    assert resolved.sha256 == BASE["model.bin"] and resolved.files == BASE
    assert resolved.kind == "speech recognition" and set(resolved.pinned) == set(BASE)

    rows = [r for r in models.installed_models() if r.get("source", "").startswith("model pack")]
    assert len(rows) == 1 and rows[0]["status"] == "verified"
    assert rows[0]["files"] == [
        {"path": path, "sha256": digest, "pinned": True} for path, digest in sorted(BASE.items())
    ]


@pytest.mark.slow
def test_a_transcript_made_with_the_installed_pack_names_it(base_pack: Path, cache: Path) -> None:
    from earwitness.media.decode import decode_audio, resample
    from earwitness.speech.asr import Recognizer
    from earwitness.speech.transcribe import TranscribeOptions, transcribe
    from earwitness.speech.types import Transcript
    from tests.conftest import REPO

    decoded = decode_audio(REPO / "samples" / "briefing-en.wav")
    samples = resample(decoded.samples, decoded.sample_rate, 16000)[: 16000 * 6]

    def transcript_with(model: models.ResolvedModel) -> Transcript:
        options = TranscribeOptions(diarize=False)
        return transcribe(samples, Recognizer(model), options, exhibit_sha256="a" * 64)

    packaged = models.resolve_model("whisper-base")
    packs.import_pack(base_pack)
    model = models.resolve_model("whisper-base")
    assert (packaged.origin, model.origin) == ("package", "pack")
    transcript = transcript_with(model)
    assert (transcript.model_name, transcript.model_sha256) == ("whisper-base", BASE["model.bin"])
    # The same pipeline and the same weights: the same words as the packaged model's.
    assert [s.text for s in transcript.segments] == [
        s.text for s in transcript_with(packaged).segments
    ]


@pytest.mark.parametrize("member", ["model/model.bin", "model/tokenizer.json"])
def test_one_changed_byte_is_refused_naming_the_file(
    base_pack: Path, cache: Path, tmp_path: Path, member: str
) -> None:
    tampered = flip_byte(base_pack, member, tmp_path / "tampered.ewpack")
    before = snapshot(cache)
    with pytest.raises(models.ModelError) as refused:
        packs.import_pack(tampered)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"{tampered}: {member} has SHA-256 ")
    assert message.endswith("refused, nothing installed")
    assert snapshot(cache) == before == []
    with pytest.raises(models.ModelError, match=r"not installed here.*models pack"):
        models.resolve_model("large-v3")  # and nothing half-installed answers to a name


def test_a_manifest_that_lies_about_a_pinned_hash_is_refused(cache: Path, tmp_path: Path) -> None:
    # The tokenizer altered and the manifest rewritten to match it: only the pins catch it.
    altered = b'{"altered": true}'
    files = {name: b"x" for name in BASE} | {"tokenizer.json": altered}
    document = json.loads(manifest_for("whisper-base", files))
    for entry in document["files"]:
        if entry["path"] != "tokenizer.json":
            entry["sha256"] = BASE[entry["path"]]
    pack = write_tar(
        tmp_path / "liar.ewpack",
        [regular("manifest.json", json.dumps(document).encode())]
        + [regular(f"model/{n}", d) for n, d in files.items()],
    )
    with pytest.raises(models.ModelError) as refused:
        packs.import_pack(pack)
    assert str(refused.value) == (
        f"{pack}: manifest.json: tokenizer.json: the manifest gives SHA-256 "
        f"{hashlib.sha256(altered).hexdigest()}, but the published whisper-base file is "
        f"{BASE['tokenizer.json']}; refused"
    )
    assert snapshot(cache) == []


def test_a_known_model_carries_no_file_of_its_own(cache: Path, tmp_path: Path) -> None:
    document = json.loads(manifest_for("whisper-base", {n: b"x" for n in BASE} | {"x.py": b""}))
    for entry in document["files"]:
        if entry["path"] in BASE:
            entry["sha256"] = BASE[entry["path"]]
    pack = write_tar(
        tmp_path / "extra.ewpack", [regular("manifest.json", json.dumps(document).encode())]
    )
    with pytest.raises(models.ModelError, match=r"x\.py is not a file of whisper-base; refused"):
        packs.import_pack(pack)


@pytest.mark.parametrize(
    ("hostile", "complaint"),
    [
        (regular("../x", b"evil"), r"'\.\./x' climbs out with '\.\.'"),
        (regular("model/../../x", b"evil"), r"climbs out"),
        (regular("/etc/cron.d/x", b"evil"), r"'/etc/cron.d/x' is an absolute path"),
        (regular("model/sub/x", b"evil"), r"'model/sub/x' is not a model file of a pack"),
        (regular("model/extra.bin", b"evil"), r"'model/extra.bin' is not listed in the manifest"),
        (regular("model/model.bin", b"again" * 140), r"'model/model.bin' appears twice"),
    ],
)
def test_hostile_members_are_refused(
    cache: Path, tmp_path: Path, hostile: tuple[tarfile.TarInfo, bytes], complaint: str
) -> None:
    pack = small_pack(tmp_path / "hostile.ewpack", hostile)
    with pytest.raises(models.ModelError, match=complaint) as refused:
        packs.import_pack(pack)
    assert "\n" not in str(refused.value)
    assert snapshot(cache) == []
    assert not (tmp_path.parent / "x").exists()


@pytest.mark.parametrize(
    ("kind", "complaint"),
    [
        (tarfile.SYMTYPE, "a symbolic link"),
        (tarfile.LNKTYPE, "a hard link"),
        (tarfile.CHRTYPE, "a device"),
        (tarfile.DIRTYPE, "a directory"),
    ],
)
def test_links_devices_and_folders_are_refused(
    cache: Path, tmp_path: Path, kind: bytes, complaint: str
) -> None:
    info = tarfile.TarInfo("model/config.json")
    info.type, info.linkname = kind, "/etc/passwd"
    pack = small_pack(tmp_path / "link.ewpack", (info, None))
    with pytest.raises(models.ModelError, match=f"'model/config.json' is {complaint}"):
        packs.import_pack(pack)
    assert snapshot(cache) == []


def test_sizes_must_equal_the_manifest(cache: Path, tmp_path: Path) -> None:
    members = [regular("manifest.json", manifest_for("tiny-test", SMALL))]
    members += [regular("model/model.bin", SMALL["model.bin"] + b"!")]
    members += [regular("model/tokenizer.json", SMALL["tokenizer.json"])]
    pack = write_tar(tmp_path / "long.ewpack", members)
    with pytest.raises(
        models.ModelError, match=r"model/model.bin is 701 bytes, the manifest says 700"
    ):
        packs.import_pack(pack)
    missing = write_tar(tmp_path / "short.ewpack", members[:1] + members[2:])
    with pytest.raises(models.ModelError, match=r"model/model.bin is in the manifest but not in"):
        packs.import_pack(missing)
    assert snapshot(cache) == []


def test_a_truncated_archive_is_one_line_and_installs_nothing(
    base_pack: Path, cache: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.ewpack"
    with open(base_pack, "rb") as whole, open(cut, "wb") as part:
        part.write(whole.read(50_000_000))  # inside model.bin
    with pytest.raises(models.ModelError) as refused:
        packs.import_pack(cut)
    assert (
        str(refused.value)
        == f"{cut}: truncated or damaged (unexpected end of data); nothing installed"
    )
    assert snapshot(cache) == []
    (tmp_path / "junk.ewpack").write_bytes(b"not a tar at all" * 100)
    with pytest.raises(models.ModelError, match=r"not an Earwitness model pack"):
        packs.import_pack(tmp_path / "junk.ewpack")


def test_an_unknown_model_installs_unpinned_and_a_second_import_replaces_it(
    cache: Path, tmp_path: Path
) -> None:
    first = packs.import_pack(small_pack(tmp_path / "a.ewpack"))
    assert (first.name, first.pinned, first.sha256) == (
        "tiny-test",
        (),
        hashlib.sha256(SMALL["model.bin"]).hexdigest(),
    )
    again = packs.import_pack(small_pack(tmp_path / "b.ewpack"))
    assert again.directory == first.directory
    assert snapshot(cache / "packs") == sorted(
        ["tiny-test", *(f"tiny-test/{n}" for n in [*SMALL, "SHA256SUMS", "manifest.json"])]
    )


def test_an_installed_pack_altered_later_is_refused_at_load(base_pack: Path, cache: Path) -> None:
    directory = packs.import_pack(base_pack).directory
    tokenizer = directory / "tokenizer.json"
    tokenizer.write_bytes(tokenizer.read_bytes().replace(b'"', b"'", 1))
    with pytest.raises(models.ModelError, match=r"tokenizer.json: SHA-256 is .* refusing to load"):
        models.resolve_model("whisper-base")
    shutil.copyfile(
        models.install_packaged(models.PACKAGED["whisper-base"]) / "tokenizer.json", tokenizer
    )
    assert models.resolve_model("whisper-base").origin == "pack"
    (directory / "planted.py").write_text("print('hi')")
    with pytest.raises(models.ModelError, match=r"planted.py: not part of the installed pack"):
        models.resolve_model("whisper-base")


def test_pack_refuses_a_source_file_that_differs_from_its_pin(cache: Path, tmp_path: Path) -> None:
    source = tmp_path / "base-copy"
    shutil.copytree(models.install_packaged(models.PACKAGED["whisper-base"]), source)
    (source / "config.json").write_text("{}")
    output = tmp_path / "out.ewpack"
    with pytest.raises(models.ModelError, match=r"config.json: SHA-256 is .*refusing to pack"):
        pack_builder.pack("whisper-base", output, source_dir=source)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["base-copy", "models"]
    with pytest.raises(models.ModelError, match=r"'large-v9': not a model Earwitness knows"):
        pack_builder.pack("large-v9", output)


def _converted_translation_model(folder: Path) -> Path:
    """What CTranslate2's converter writes for an OPUS-MT model (contents stand in)."""
    folder.mkdir()
    for name in ["model.bin", "config.json", "shared_vocabulary.json", "source.spm", "target.spm"]:
        (folder / name).write_bytes(f"{name} of a converted model".encode())
    return folder


def test_a_translation_pack_is_found_by_its_source_language(cache: Path, tmp_path: Path) -> None:
    assert models.installed_translation_model("ru") is None
    source = _converted_translation_model(tmp_path / "zle-en")
    manifest = pack_builder.pack("opus-mt-zle-en", tmp_path / "zle.ewpack", source_dir=source)
    assert (manifest.kind, manifest.languages, manifest.target_language) == (
        "translation",
        ("be", "ru", "uk"),
        "en",
    )
    assert not any(f.pinned for f in manifest.files)  # nothing published to pin it to
    packs.import_pack(tmp_path / "zle.ewpack")
    for language in ["ru", "rus", "uk", "be-BY"]:
        found = models.installed_translation_model(language)
        assert found is not None and found.name == "opus-mt-zle-en" and found.kind == "translation"
        assert found.sha256 == hashlib.sha256(b"model.bin of a converted model").hexdigest()
        assert found.directory == cache / "packs" / "opus-mt-zle-en"
    assert models.installed_translation_model("de") is None
    (cache / "packs" / "opus-mt-zle-en" / "source.spm").write_bytes(b"swapped")
    with pytest.raises(models.ModelError, match=r"source.spm: SHA-256 is"):
        models.installed_translation_model("ru")


def test_converting_without_transformers_says_what_to_install(tmp_path: Path) -> None:
    pytest.importorskip("ctranslate2")
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("transformers and torch are installed here: the conversion would run")
    checkpoint = tmp_path / "marian"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text("{}")
    with pytest.raises(models.ModelError, match=r"needs transformers, torch and sentencepiece"):
        pack_builder.pack("opus-mt-ru-en", tmp_path / "x.ewpack", source_dir=checkpoint)


def test_a_catalogue_name_not_installed_is_refused_with_the_way_to_bring_it(cache: Path) -> None:
    for name in ["large-v3", "large-v3-turbo", "medium", "small", "opus-mt-zle-en"]:
        with pytest.raises(models.ModelError) as refused:
            models.resolve_model(name)
        assert str(refused.value) == (
            f"model {name!r} is not installed here; Earwitness never downloads: on a connected "
            f"machine run `earwitness models pack {name} -o {name}.ewpack`, then "
            f"`earwitness models import {name}.ewpack` here"
        )


def test_the_catalogue_pins_only_well_formed_hashes() -> None:
    for model in catalogue.MODELS:
        assert model.kind in catalogue.KINDS
        assert model.revision is None or len(model.revision) == 40
        for _, digest in model.files:
            assert digest is None or (
                len(digest) == 64 and set(digest) <= set(string.hexdigits.lower())
            )
        if model.kind == catalogue.SPEECH:
            assert model.fully_pinned and "model.bin" in model.pins()
        else:
            assert model.target_language == "en" and model.languages
    assert catalogue.CATALOGUE["whisper-base"].pins() == BASE


# --- the manifest parser against hostile JSON ----------------------------------------------

JSON_VALUES = json_values(allow_nan=False, leaves=30)
VALID = json.loads(manifest_for("tiny-test", SMALL))


def _parses_or_refuses_in_one_line(raw: bytes) -> None:
    try:
        parse_manifest(raw, "pack: manifest.json")
    except models.ModelError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("pack: manifest.json: ")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=200) | JSON_VALUES.map(lambda v: json.dumps(v).encode()))
def test_any_input_parses_or_is_refused_in_one_line(raw: bytes) -> None:
    _parses_or_refuses_in_one_line(raw)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(VALID)),
    JSON_VALUES | st.text(alphabet="\n\r./\\\x00ab", max_size=10),
)
def test_a_valid_manifest_with_one_field_replaced_never_escapes(field: str, value: object) -> None:
    document = json.loads(json.dumps(VALID))
    if field == "source":
        document["source"]["revision"] = value
    elif field == "files":
        document["files"][0]["path"] = value
    else:
        document[field] = value
    _parses_or_refuses_in_one_line(json.dumps(document).encode())


def test_structural_attacks_on_the_manifest_are_refused() -> None:
    valid = json.dumps(VALID)
    attacks = {
        "[" * 100_000 + "]" * 100_000: "not valid JSON",
        valid.replace('"kind"', '"kind": "translation", "kind"', 1): "a key appears twice",
        valid.replace('"size": 700', '"size": NaN', 1): "not valid JSON",
        valid.replace('"size": 700', '"size": 7e2', 1): "size is not a whole number",
        valid.replace('"size": 700', '"size": true', 1): "size is not a whole number",
        valid.replace('"model.bin"', '"../model.bin"', 1): "path is missing or malformed",
        valid.replace('"model.bin"', '"SHA256SUMS"', 1): "a name the pack reserves",
        valid.replace('"tiny-test"', '"../../etc"', 1): "'name' is missing or malformed",
    }
    for raw, complaint in attacks.items():
        with pytest.raises(models.ModelError, match=complaint):
            parse_manifest(raw.encode(), "m")
    with pytest.raises(models.ModelError, match="larger than"):
        parse_manifest(b" " * (packs.MAX_MANIFEST_BYTES + 1), "m")


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[a-z][a-z0-9._-]{0,20}", fullmatch=True),
            st.integers(0, 2**32),
            st.binary(min_size=1, max_size=8),
            st.booleans(),
        ),
        max_size=5,
    )
)
def test_a_written_manifest_reads_back_the_same(extra: list[tuple[str, int, bytes, bool]]) -> None:
    files = {"model.bin": PackFile("model.bin", 1, "0" * 64, True)}
    for path, size, seed, pinned in extra:
        if path not in ("manifest.json",):
            files.setdefault(path, PackFile(path, size, hashlib.sha256(seed).hexdigest(), pinned))
    files.setdefault("tokenizer.json", PackFile("tokenizer.json", 2, "f" * 64, False))
    manifest = Manifest(
        "tiny-test",
        "speech recognition",
        ("ru",),
        None,
        "a/b",
        "c" * 40,
        None,
        "0.1.0",
        "2026-12-05T06:00:00Z",
        tuple(files.values()),
    )
    assert parse_manifest(manifest.to_json(), "m") == manifest


_PACK_WITHOUT_SOCKETS = """
import sys
seen = []
def hook(event, args):
    if event.startswith("socket."):
        seen.append(event)
        raise RuntimeError("network used: " + event)
sys.addaudithook(hook)
from earwitness.speech.models import ModelError
from earwitness.speech.pack_builder import pack
try:
    pack("small", sys.argv[1])
except ModelError as exc:
    print("refused:", exc)
print("sockets:", seen)
"""


def test_pack_takes_a_model_already_in_the_hugging_face_cache_without_the_network(
    tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    small = catalogue.CATALOGUE["small"]
    snapshot = tmp_path / "hub" / "models--Systran--faster-whisper-small" / "snapshots"
    snapshot = snapshot / str(small.revision)
    snapshot.mkdir(parents=True)
    for name, _ in small.files:  # the right names, not the published bytes
        (snapshot / name).write_bytes(b"not " + name.encode())
    environ = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub")}
    result = subprocess.run(
        [sys.executable, "-c", _PACK_WITHOUT_SOCKETS, str(tmp_path / "small.ewpack")],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=True,
    )
    refused, sockets = result.stdout.splitlines()
    found = hashlib.sha256(b"not config.json").hexdigest()
    assert refused == (
        f"refused: {snapshot / 'config.json'}: SHA-256 is {found}, the published small file is "
        f"{small.pins()['config.json']}; refusing to pack"
    )
    assert sockets == "sockets: []"
    assert not (tmp_path / "small.ewpack").exists()
