"""The translation stage: a real (tiny, random) OPUS-MT model, sentences, and the split back.

No OPUS-MT weights can be downloaded here, so the session builds one the way OPUS-MT ships:
SentencePiece models trained on generated Russian and English, a Marian transformer in Marian's
own npz layout with its vocabulary and decoder.yml, converted by CTranslate2's OPUS-MT
converter. Its weights are random, so its English is gibberish; what is tested is the mechanics:
that it loads, that every word of every English sentence lands once, in order, on a segment
that contributed to the sentence, and that times, ids and speakers stay the originals'.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.speech.align import distribute
from earwitness.speech.models import ModelError
from earwitness.speech.translator import (
    METHOD,
    TextTranslator,
    assign_english,
    split_sentences,
    target_token,
    translate_segments,
)
from earwitness.speech.types import Segment, Word

RU = [
    *("мы", "они", "он", "она", "это", "встреча", "деньги", "завтра", "сегодня", "город"),
    *("документ", "поезд", "приказ", "вчера", "война", "мир", "люди", "штаб", "склад", "дорога"),
]
EN = [
    *("we", "they", "he", "she", "this", "meeting", "money", "tomorrow", "today", "city"),
    *("document", "train", "order", "yesterday", "war", "peace", "people", "headquarters"),
    *("warehouse", "road"),
]


@dataclass(frozen=True)
class Installed:
    """What the translator needs of a model (``models.ResolvedModel`` has the same)."""

    name: str
    directory: Path
    sha256: str


def _train_spm(folder: Path, name: str, words: list[str], rng: random.Random) -> Path:
    import sentencepiece

    lines = [
        " ".join(rng.choice(words) for _ in range(rng.randint(3, 9))).capitalize()
        + rng.choice(".?!,")
        for _ in range(300)
    ]
    text = folder / f"{name}.txt"
    text.write_text("\n".join(lines), encoding="utf-8")
    sentencepiece.SentencePieceTrainer.train(
        input=str(text),
        model_prefix=str(folder / name),
        vocab_size=100,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    return (folder / f"{name}.model").rename(folder / f"{name}.spm")


def _quoted(token: str) -> str:
    return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _marian(folder: Path, source: Path, target: Path, extra_tokens: list[str]) -> None:
    """A two-layer (one each side) Marian transformer, as OPUS-MT distributes it."""
    import sentencepiece

    tokens = ["</s>", "<unk>"]
    for spm in (source, target):
        processor = sentencepiece.SentencePieceProcessor(model_file=str(spm))
        for i in range(processor.get_piece_size()):
            piece = processor.id_to_piece(i)
            if not (processor.is_control(i) or processor.is_unknown(i)) and piece not in tokens:
                tokens.append(piece)
    english = {p for p in tokens if p.startswith("▁") and p[1:].isascii() and len(p) > 1}
    tokens += extra_tokens
    vocab, dim, ffn, heads = len(tokens), 16, 32, 2
    (folder / "vocab.yml").write_text(
        "".join(f"{_quoted(t)}: {i}\n" for i, t in enumerate(tokens)), encoding="utf-8"
    )
    config = {
        "type": "transformer",
        "enc-depth": 1,
        "dec-depth": 1,
        "transformer-heads": heads,
        "transformer-dim-ffn": ffn,
        "dim-emb": dim,
        "transformer-ffn-activation": "swish",  # OPUS-MT's
        "transformer-preprocess": "",
        "transformer-postprocess": "dan",
        "transformer-postprocess-emb": "d",
        "transformer-decoder-autoreg": "self-attention",
        "transformer-no-projection": False,
        "transformer-guided-alignment-layer": "last",
        "tied-embeddings-all": True,
    }
    generator = np.random.default_rng(3)
    weights: dict[str, np.ndarray] = {}

    def random_(*shape: int) -> np.ndarray:
        return (generator.standard_normal(shape) * 0.3).astype(np.float32)

    def norm(name: str) -> None:
        weights[f"{name}_ln_scale"] = np.ones((1, dim), np.float32)
        weights[f"{name}_ln_bias"] = np.zeros((1, dim), np.float32)

    def attention(scope: str) -> None:
        for kind in "qkvo":
            weights[f"{scope}_W{kind}"] = random_(dim, dim)
            weights[f"{scope}_b{kind}"] = random_(1, dim)
        norm(f"{scope}_Wo")

    def feed_forward(scope: str) -> None:
        weights[f"{scope}_W1"], weights[f"{scope}_b1"] = random_(dim, ffn), random_(1, ffn)
        weights[f"{scope}_W2"], weights[f"{scope}_b2"] = random_(ffn, dim), random_(1, dim)
        norm(f"{scope}_ffn")

    # Small embeddings and a separate output layer: the position, not the last word, then
    # steers each step, so the gibberish varies instead of repeating one word.
    weights["Wemb"] = random_(vocab, dim) / 3
    weights["decoder_ff_logit_out_W"] = random_(dim, vocab) / 0.3
    attention("encoder_l1_self")
    feed_forward("encoder_l1_ffn")
    attention("decoder_l1_self")
    attention("decoder_l1_context")
    feed_forward("decoder_l1_ffn")
    # Random weights would write any piece; only English word starts gives English "words" to
    # share out, and a reluctant end-of-sentence gives several of them.
    bias = np.array([[0.0 if t in english else -10.0 for t in tokens]], np.float32)
    bias[0, 0] = -2.0
    weights["decoder_ff_logit_out_b"] = bias
    text = yaml.safe_dump(config).encode() + b"\0"  # Marian stores its options NUL-terminated
    weights["special:model.yml"] = np.frombuffer(text, dtype=np.int8)
    np.savez(folder / "model.npz", **weights)  # type: ignore[arg-type]
    decoder = {"models": ["model.npz"], "vocabs": ["vocab.yml", "vocab.yml"]}
    (folder / "decoder.yml").write_text(yaml.safe_dump(decoder), encoding="utf-8")


def _converted(root: Path, name: str, extra_tokens: list[str], spms: tuple[Path, Path]) -> Path:
    from ctranslate2.converters import OpusMTConverter

    marian = root / f"{name}-marian"
    marian.mkdir()
    _marian(marian, *spms, extra_tokens)
    output = root / name
    OpusMTConverter(str(marian)).convert(str(output))
    for spm in spms:  # beside model.bin, as ct2-transformers-converter --copy_files puts them
        shutil.copyfile(spm, output / spm.name)
    return output


@pytest.fixture(scope="session")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("opus-mt")
    rng = random.Random(7)
    spms = (_train_spm(root, "source", RU, rng), _train_spm(root, "target", EN, rng))
    return {
        "single": _converted(root, "opus-mt-ru-en", [], spms),
        "multi": _converted(root, "opus-mt-zle-mul", [">>eng<<", ">>fra<<", ">>ukr<<"], spms),
    }


def _installed(directory: Path) -> Installed:
    digest = hashlib.sha256((directory / "model.bin").read_bytes()).hexdigest()
    return Installed(directory.name, directory, digest)


@pytest.fixture(scope="session")
def translator(model_dirs: dict[str, Path]) -> TextTranslator:
    return TextTranslator(_installed(model_dirs["single"]), threads=1)


def _segments(*texts: str) -> list[Segment]:
    return [
        Segment(
            id=10 + i,
            start=2.0 * i,
            end=2.0 * i + 1.5,
            text=text,
            words=(Word(2.0 * i, 2.0 * i + 0.5, text.split()[0] if text.split() else ""),),
            speaker=f"S{i % 2 + 1}",
            avg_logprob=-0.3,
        )
        for i, text in enumerate(texts)
    ]


def test_a_converted_opus_mt_model_gives_every_segment_its_line(
    translator: TextTranslator,
) -> None:
    originals = _segments(
        " Мы завтра встреча.", " Деньги в городе!", "  ", " Поезд вчера? Приказ штаба."
    )
    sentences = split_sentences(originals)
    assert [s.text for s in sentences] == [
        "Мы завтра встреча.",
        "Деньги в городе!",
        "Поезд вчера?",
        "Приказ штаба.",
    ]
    alone = translator.translate_sentences([s.text for s in sentences], beam_size=2)
    assert all(len(line.split()) >= 2 for line in alone), alone  # the model writes words
    english = translate_segments(originals, translator, beam_size=2)
    assert len(english) == len(originals)
    for original, line in zip(originals, english, strict=True):
        assert (line.id, line.start, line.end, line.speaker) == (
            original.id,
            original.start,
            original.end,
            original.speaker,
        )
        assert line.words == ()
    # Sentences within one segment map directly; a blank segment gets no neighbour's words.
    assert [line.text for line in english] == [alone[0], alone[1], "", f"{alone[2]} {alone[3]}"]


def test_a_sentence_over_three_segments_is_shared_at_word_boundaries(
    translator: TextTranslator,
) -> None:
    originals = _segments(
        " Мы завтра", " встреча в городе, деньги и документ", " поезд.", " Война!"
    )
    sentences = split_sentences(originals)
    assert [[p.segment for p in s.parts] for s in sentences] == [[0, 1, 2], [3]]
    assert sentences[0].text == "Мы завтра встреча в городе, деньги и документ поезд."
    alone = translator.translate_sentences([s.text for s in sentences], beam_size=1)
    english = translate_segments(originals, translator, beam_size=1)
    spread = [line.text.split() for line in english[:3]]
    # Every word once, in order, none cut in two.
    assert [w for words in spread for w in words] == alone[0].split()
    assert len(alone[0].split()) >= 3
    assert english[3].text == alone[1]  # nothing from the long sentence on the next segment
    # The middle segment gave most of the sentence, so it carries most of its English.
    assert len(spread[1]) >= max(len(spread[0]), len(spread[2]))


def test_a_sentence_is_cut_between_its_segments_at_a_clause_end() -> None:
    originals = _segments(" Приказ пришёл из министерства", " вчера, никто не знает.")
    sentences = split_sentences(originals)
    english = ["The order came from the ministry yesterday, nobody knows."]
    lines = assign_english(originals, sentences, english)
    # In proportion alone the cut would fall after "ministry"; the comma says where.
    assert [line.text for line in lines] == [
        "The order came from the ministry yesterday,",
        "nobody knows.",
    ]


def test_sentences_go_in_batches_and_the_model_is_named(
    translator: TextTranslator,
) -> None:
    originals = _segments(*(f" {word.capitalize()} {RU[i + 1]}." for i, word in enumerate(RU[:5])))
    calls: list[tuple[int, int]] = []
    english = translator.translate_sentences(
        [s.text for s in split_sentences(originals)],
        beam_size=1,
        batch_size=2,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(2, 5), (4, 5), (5, 5)]
    lines = translate_segments(originals, translator, beam_size=1, batch_size=2)
    assert [line.text for line in lines] == english  # batch order does not reorder lines
    assert translator.method == METHOD and translator.model.name == "opus-mt-ru-en"
    model_bin = translator.directory / "model.bin"
    assert translator.model.sha256 == hashlib.sha256(model_bin.read_bytes()).hexdigest()
    assert translate_segments([], translator) == ()


def test_a_multi_target_model_is_asked_for_english(
    model_dirs: dict[str, Path], translator: TextTranslator
) -> None:
    multi = TextTranslator(_installed(model_dirs["multi"]), threads=1)
    assert multi.source_tokens("Мы завтра")[0] == ">>eng<<"
    assert translator.source_tokens("Мы завтра")[0] != ">>eng<<"
    assert translator.prefix is None
    line = multi.translate_sentences(["Мы завтра."], beam_size=1)[0]
    assert line and ">>" not in line


def test_a_model_without_english_is_refused() -> None:
    with pytest.raises(ModelError, match=r"^m: a multi-target .* \(>>eng<<\)$"):
        target_token(["</s>", ">>fra<<", ">>deu<<"], Path("m"))
    assert target_token(["</s>", "▁>>"], Path("m")) is None


def test_missing_or_broken_tokenizers_are_refused_in_one_line(
    model_dirs: dict[str, Path], tmp_path: Path
) -> None:
    copy = tmp_path / "opus-mt-copy"
    shutil.copytree(model_dirs["single"], copy)
    (copy / "source.spm").unlink()
    with pytest.raises(ModelError) as missing:
        TextTranslator(_installed(copy))
    assert str(missing.value) == f"{copy}: not a CTranslate2 translation model, missing source.spm"
    (copy / "source.spm").write_bytes(b"not a sentencepiece model")
    with pytest.raises(ModelError, match=re.escape(str(copy / "source.spm"))) as broken:
        TextTranslator(_installed(copy))
    assert "\n" not in str(broken.value)
    with pytest.raises(ModelError, match="no such translation model directory"):
        TextTranslator(Installed("gone", tmp_path / "gone", "0" * 64))


# --- the sentence splitter and the split back, for any text ---------------------------------

_TEXT = st.text(alphabet='аб вгxy.!?…»")—,\n', max_size=40)
_FINAL = re.compile(r"[.!?…]+[»\")]*$")  # written apart from the module's, on purpose


def _segments_of(texts: list[str]) -> list[Segment]:
    return [Segment(id=i, start=float(i), end=i + 1.0, text=t) for i, t in enumerate(texts)]


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, max_size=8))
def test_sentences_cover_every_character_once_in_order(texts: list[str]) -> None:
    segments = _segments_of(texts)
    sentences = split_sentences(segments, max_chars=10**6)
    parts = [part for sentence in sentences for part in sentence.parts]
    assert [(p.segment, p.start) for p in parts] == sorted((p.segment, p.start) for p in parts)
    for index, text in enumerate(texts):
        mine = [text[p.start : p.end] for p in parts if p.segment == index]
        assert all(piece == piece.strip() and piece for piece in mine)
        assert "".join("".join(mine).split()) == "".join(text.split())
    for number, sentence in enumerate(sentences):
        pieces = [texts[p.segment][p.start : p.end] for p in sentence.parts]
        assert sentence.text == " ".join(pieces)
        assert len({p.segment for p in sentence.parts}) == len(sentence.parts)
        # Ended by punctuation (the last may run to the end), never split anywhere else.
        if number < len(sentences) - 1:
            assert _FINAL.search(sentence.text)
        for inner in pieces[:-1]:
            assert not _FINAL.search(inner)


@settings(max_examples=200, deadline=None)
@given(st.lists(_TEXT, max_size=8), st.integers(1, 30))
def test_long_unpunctuated_runs_are_closed_at_segment_boundaries(
    texts: list[str], max_chars: int
) -> None:
    for sentence in split_sentences(_segments_of(texts), max_chars=max_chars):
        if len(sentence.parts) > 1:
            assert len(sentence.text) <= max_chars


_WORD = st.text(alphabet="abcxyz'-", min_size=1, max_size=9)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, max_size=8), st.data())
def test_every_english_word_lands_once_in_order_on_a_contributing_segment(
    texts: list[str], data: st.DataObject
) -> None:
    segments = _segments_of(texts)
    sentences = split_sentences(segments, max_chars=data.draw(st.integers(1, 200)))
    english = []
    for number, _ in enumerate(sentences):
        words = data.draw(st.lists(_WORD, max_size=12))
        spaces = data.draw(st.sampled_from([" ", "  ", "\n", " \t"]))
        english.append(spaces.join(f"s{number}w{k}{word}" for k, word in enumerate(words)))
    lines = assign_english(segments, sentences, english)
    assert [(s.id, s.start, s.end) for s in lines] == [(s.id, s.start, s.end) for s in segments]
    landed = [(word, line.id) for line in lines for word in line.text.split()]
    assert [word for word, _ in landed] == " ".join(english).split()
    for word, segment in landed:
        number = int(word[1 : word.index("w")])
        assert segment in {part.segment for part in sentences[number].parts}


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORD, max_size=20), st.lists(st.integers(0, 50), min_size=1, max_size=6))
def test_shares_follow_the_source_proportions_to_within_a_word(
    words: list[str], weights: list[int]
) -> None:
    shares = distribute(" ".join(words), weights)
    assert len(shares) == len(weights)
    assert " ".join(shares).split() == words
    if not words or sum(weights) == 0:
        return
    assert all(not share for share, weight in zip(shares, weights, strict=True) if weight == 0)
    total = sum(len(w) + 1 for w in words)
    longest = max(len(w) + 1 for w in words)
    given_so_far = wanted = 0.0
    for share, weight in zip(shares, weights, strict=True):
        given_so_far += sum(len(w) + 1 for w in share.split())
        wanted += weight / sum(weights) * total
        assert abs(given_so_far - wanted) <= longest


def test_an_installed_translation_model_writes_the_english_instead_of_whisper(
    translator: TextTranslator,
) -> None:
    """The pipeline asks the engine only to transcribe; the English comes from the text
    model, aligned one line per segment, and the transcript records which model wrote it."""
    import jsonschema

    from earwitness.schemas import load_schema
    from earwitness.speech.options import TranscribeOptions
    from earwitness.speech.transcribe import transcribe
    from tests.speech.test_recogniser import ScriptedEngine, two_utterances

    engine = ScriptedEngine("Мы встреча завтра.", "Line")
    asked: list[str] = []

    def installed(language: str) -> TextTranslator | None:
        asked.append(language)
        return translator if language == "ru" else None

    transcript = transcribe(
        two_utterances(),
        engine,
        TranscribeOptions(translate_to="en", diarize=False),
        exhibit_sha256="e" * 64,
        translator_for=installed,
    )

    assert engine.asked == [("transcribe", None)] and asked == ["ru"]
    assert transcript.translation is not None and transcript.translation_method == METHOD
    assert [(t.id, t.start, t.end) for t in transcript.translation] == [
        (s.id, s.start, s.end) for s in transcript.segments
    ]
    assert all(t.text for t in transcript.translation)
    data = transcript.to_dict()
    jsonschema.validate(data, load_schema("transcript"))
    assert data["translation"]["model"] == {
        "name": translator.model.name,
        "sha256": translator.model.sha256,
    }
