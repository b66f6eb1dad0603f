"""English from a translation model of its own: OPUS-MT through CTranslate2, sentence by sentence.

Whisper's translate task decodes the audio a second time and cuts it into its own segments,
which must then be paired with the transcript's by time. A text translation model reads the
transcript itself instead: consecutive segments are joined and split into sentences (a sentence
is what a translation model is trained on), the sentences are translated in batches, and each
English sentence is shared back among the segments it came from, in proportion to the source
characters each contributed, each cut moved to a clause end within a few words
(``align.at_clause_ends``). So every original segment gets exactly one English line, with its
id, times and speaker, and no English word lands on a segment that said none of that sentence.

Supported model layout (a directory):

* ``model.bin`` and ``config.json`` in CTranslate2 form, with its vocabulary as
  ``shared_vocabulary.json`` or ``source_vocabulary.json`` (``.txt`` from older CTranslate2),
  as ``ct2-opus-mt-converter``, ``ct2-marian-converter`` and ``ct2-transformers-converter``
  (from a Helsinki-NLP ``opus-mt-*`` model) write them;
* ``source.spm`` and ``target.spm``: OPUS-MT's SentencePiece models. The transformers converter
  copies them with ``--copy_files source.spm target.spm``; after the OPUS-MT converter, copy
  them from the OPUS-MT download beside ``model.bin``.

A model whose vocabulary holds target-language tokens (``>>eng<<``, ``>>fra<<``…: OPUS-MT's
multi-target models) gets ``>>eng<<`` (or ``>>en<<``) before every sentence; one that has such
tokens but none for English is refused. Single-target models (``opus-mt-ru-en``,
``opus-mt-zle-en``) need no token.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from earwitness.speech.align import at_clause_ends, distribute
from earwitness.speech.models import ModelError
from earwitness.speech.types import Segment

ENGINE = "ctranslate2"
METHOD = "opus-mt via CTranslate2, sentence by sentence, aligned to segments"

# A sentence ends at ., !, ?, … (or runs of them: "?!", "...") with any closing quotes or
# brackets, when whitespace or the end of the segment's text follows: "3.5" and "т.е" do not end.
_SENTENCE_END = re.compile(r"[.!?…。！？]+[\"'»”’)\]」』]*(?=\s|$)")
_TARGET_TOKEN = re.compile(r">>[A-Za-z_]+<<")
_ENGLISH_TOKENS = (">>eng<<", ">>en<<")
_VOCABULARIES = (
    "shared_vocabulary.json",
    "source_vocabulary.json",
    "shared_vocabulary.txt",
    "source_vocabulary.txt",
)
# OPUS-MT models have 512 positions; longer input would be cut by CTranslate2 anyway.
_MAX_TOKENS = 512


class ModelLike(Protocol):
    """What a translation model is known by: ``models.ResolvedModel`` has these."""

    @property
    def name(self) -> str: ...
    @property
    def directory(self) -> Path: ...
    @property
    def sha256(self) -> str: ...


class SentenceTranslator(Protocol):
    """Anything that turns source sentences into English ones, one for one, in order."""

    def translate_sentences(
        self,
        sentences: Sequence[str],
        *,
        beam_size: int = 4,
        batch_size: int = 16,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[str]: ...


@dataclass(frozen=True)
class SentencePart:
    """Characters ``start:end`` of ``segments[segment].text`` (an index, not a segment id)."""

    segment: int
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Sentence:
    """A source sentence and the parts of segments it was joined from, in order."""

    text: str
    parts: tuple[SentencePart, ...]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(segments: Sequence[Segment], *, max_chars: int = 400) -> tuple[Sentence, ...]:
    """The sentences in ``segments``' text, each with the segment spans it came from.

    A sentence runs across segments until one of them ends it with sentence-final punctuation.
    Whisper sometimes writes no punctuation for minutes; then a sentence is also closed at a
    segment boundary once it would pass ``max_chars``, because a translation model given one
    endless "sentence" drops words or stops early. Blank segments contribute nothing.
    """
    sentences: list[Sentence] = []
    parts: list[SentencePart] = []
    size = 0

    def close() -> None:
        nonlocal parts, size
        if parts:
            text = " ".join(segments[p.segment].text[p.start : p.end] for p in parts)
            sentences.append(Sentence(text, tuple(parts)))
        parts, size = [], 0

    def add(index: int, start: int, end: int) -> None:
        nonlocal size
        start, end = _trimmed(segments[index].text, start, end)
        if start == end:
            return
        if parts and parts[-1].segment != index and size + (end - start) > max_chars:
            close()
        parts.append(SentencePart(index, start, end))
        size += end - start + 1

    for index, segment in enumerate(segments):
        position = 0
        for match in _SENTENCE_END.finditer(segment.text):
            add(index, position, match.end())
            close()
            position = match.end()
        add(index, position, len(segment.text))
    close()
    return tuple(sentences)


def assign_english(
    originals: Sequence[Segment], sentences: Sequence[Sentence], english: Sequence[str]
) -> tuple[Segment, ...]:
    """One English segment per original: its share of each English sentence it contributed to.

    Same id, start, end and speaker as the original; no words, as for Whisper's translation.
    """
    if len(sentences) != len(english):
        raise ValueError(f"{len(sentences)} sentences but {len(english)} translations")
    lines: list[list[str]] = [[] for _ in originals]
    for sentence, text in zip(sentences, english, strict=True):
        # Cut where the English has a clause end near the proportional cut, as for Whisper's.
        shares = at_clause_ends(distribute(text, [part.length for part in sentence.parts]))
        for part, share in zip(sentence.parts, shares, strict=True):
            if share:
                lines[part.segment].append(share)
    return tuple(
        Segment(
            id=original.id,
            start=original.start,
            end=original.end,
            text=" ".join(line),
            speaker=original.speaker,
        )
        for original, line in zip(originals, lines, strict=True)
    )


Progress = Callable[[int, int], None]  # (sentences translated, sentences in all)


def translate_segments(
    originals: Sequence[Segment],
    translator: SentenceTranslator,
    *,
    beam_size: int = 4,
    batch_size: int = 16,
    progress: Progress | None = None,
) -> tuple[Segment, ...]:
    """English for ``originals``, one segment each, translated sentence by sentence."""
    return _translate(originals, translator, beam_size, batch_size, progress)[0]


def _translate(
    originals: Sequence[Segment],
    translator: SentenceTranslator,
    beam_size: int,
    batch_size: int,
    progress: Progress | None,
) -> tuple[tuple[Segment, ...], int]:
    sentences = split_sentences(originals)
    english = translator.translate_sentences(
        [s.text for s in sentences], beam_size=beam_size, batch_size=batch_size, progress=progress
    )
    return assign_english(originals, sentences, english), len(sentences)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _vocabulary(directory: Path) -> list[str]:
    for name in _VOCABULARIES:
        path = directory / name
        if path.is_file():
            try:
                if name.endswith(".json"):
                    tokens = json.loads(path.read_text(encoding="utf-8"))
                else:
                    tokens = path.read_text(encoding="utf-8").splitlines()
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                raise ModelError(f"{path}: unreadable vocabulary ({_first_line(exc)})") from None
            if not isinstance(tokens, list):
                raise ModelError(f"{path}: not a CTranslate2 vocabulary (expected a list)")
            return [str(token) for token in tokens]
    raise ModelError(
        f"{directory}: not a CTranslate2 translation model (no shared_vocabulary.json "
        "or source_vocabulary.json)"
    )


def target_token(vocabulary: Sequence[str], directory: Path) -> str | None:
    """The token that asks a multi-target model for English; None for a single-target one."""
    targets = {token for token in vocabulary if _TARGET_TOKEN.fullmatch(token)}
    if not targets:
        return None
    for token in _ENGLISH_TOKENS:
        if token in targets:
            return token
    raise ModelError(
        f"{directory}: a multi-target translation model without an English token (>>eng<<)"
    )


class TextTranslator:
    """A loaded CTranslate2 translation model with its SentencePiece models. Loading takes
    a moment: make one, translate many transcripts with it."""

    def __init__(self, model: ModelLike, *, threads: int = 0, compute_type: str = "int8") -> None:
        import ctranslate2
        import sentencepiece

        directory = Path(model.directory)
        if not directory.is_dir():
            raise ModelError(f"{directory}: no such translation model directory")
        needed = ("model.bin", "config.json", "source.spm", "target.spm")
        missing = [name for name in needed if not (directory / name).is_file()]
        if missing:
            raise ModelError(
                f"{directory}: not a CTranslate2 translation model, missing {', '.join(missing)}"
            )
        self.model = model
        self.directory = directory
        self.prefix = target_token(_vocabulary(directory), directory)
        self._source = self._pieces(sentencepiece, directory / "source.spm")
        self._target = self._pieces(sentencepiece, directory / "target.spm")
        try:
            self._translator = ctranslate2.Translator(
                str(directory),
                device="cpu",
                compute_type=compute_type,
                inter_threads=1,
                intra_threads=threads or _cpus(),
            )
        except (RuntimeError, ValueError, OSError) as exc:
            reason = _first_line(exc)
            raise ModelError(f"{directory}: CTranslate2 cannot load it ({reason})") from None

    @staticmethod
    def _pieces(sentencepiece: Any, path: Path) -> Any:
        try:
            return sentencepiece.SentencePieceProcessor(model_file=str(path))
        except (RuntimeError, OSError) as exc:
            raise ModelError(f"{path}: not a SentencePiece model ({_first_line(exc)})") from None

    def source_tokens(self, sentence: str) -> list[str]:
        """The tokens the model reads for ``sentence``, the target token first if it needs one."""
        pieces: list[str] = self._source.encode(sentence, out_type=str)
        return [self.prefix, *pieces] if self.prefix else pieces

    def translate_sentences(
        self,
        sentences: Sequence[str],
        *,
        beam_size: int = 4,
        batch_size: int = 16,
        progress: Callable[[int, int], None] | None = None,
    ) -> list[str]:
        """English for each sentence, in order. Sentences of similar length go in one batch,
        so little of a batch is padding; ``progress(done, total)`` follows each batch."""
        tokens = [self.source_tokens(sentence) for sentence in sentences]
        order = sorted(range(len(tokens)), key=lambda i: len(tokens[i]))
        english = [""] * len(tokens)
        for first in range(0, len(order), max(1, batch_size)):
            chunk = order[first : first + max(1, batch_size)]
            longest = max(len(tokens[i]) for i in chunk)
            results = self._translator.translate_batch(
                [tokens[i] for i in chunk],
                beam_size=beam_size,
                max_input_length=_MAX_TOKENS,
                # Room for English to be longer, but a model caught in a loop stops soon.
                max_decoding_length=min(_MAX_TOKENS, 2 * longest + 16),
            )
            for index, result in zip(chunk, results, strict=True):
                english[index] = self._target.decode(result.hypotheses[0]).strip()
            if progress is not None:
                progress(min(first + len(chunk), len(order)), len(order))
        return english

    @property
    def method(self) -> str:
        return METHOD

    def translate(
        self, originals: Sequence[Segment], progress: Progress | None = None
    ) -> tuple[Segment, ...]:
        """``translate_segments`` with this model: the pipeline's ``TranslationEngine``."""
        return translate_segments(originals, self, progress=progress)
