"""The transcription pipeline on the packaged model and real recordings."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import jsonschema
import numpy as np
import pytest

from earwitness.media.decode import decode_audio, resample
from earwitness.speech.align import align_translation
from earwitness.speech.asr import DecodeOptions, Recognizer
from earwitness.speech.models import resolve_model
from earwitness.speech.recogniser import Recogniser
from earwitness.speech.transcribe import TranscribeOptions, transcribe
from earwitness.speech.types import Segment, Transcript
from tests.conftest import REPO, SHARED, shared

SPEECH = SHARED / "data" / "real" / "speech"
NO_SPEAKERS = TranscribeOptions(diarize=False)


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower().replace("ё", "е"))


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1] / max(len(ref), 1)


def load(path) -> np.ndarray:
    decoded = decode_audio(shared(path) if path.is_relative_to(SHARED) else path)
    return resample(decoded.samples, decoded.sample_rate, 16000)


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer(resolve_model())


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(shared("schemas/transcript.schema.json").read_text())


def run(samples: np.ndarray, recognizer: Recognizer, options=NO_SPEAKERS) -> Transcript:
    return transcribe(samples, recognizer, options, exhibit_sha256="a" * 64)


@pytest.mark.slow
def test_the_whisper_recognizer_is_a_recogniser(recognizer: Recognizer) -> None:
    engine: Recogniser = recognizer  # what mypy holds to the protocol's signatures
    assert isinstance(engine, Recogniser)
    assert engine.model.sha256 == resolve_model().sha256 and engine.device in ("cpu", "cuda")


@pytest.mark.slow
def test_english_speech_with_word_times(recognizer: Recognizer, schema: dict) -> None:
    transcript = run(load(SPEECH / "en/whisper.cpp/jfk.wav"), recognizer)
    text = " ".join(s.text for s in transcript.segments)
    assert transcript.language == "en" and transcript.language_probability > 0.9
    assert word_error_rate((SPEECH / "en/whisper.cpp/jfk.txt").read_text(), text) < 0.1
    all_words = [w for s in transcript.segments for w in s.words]
    assert len(all_words) >= 20
    for seg in transcript.segments:
        assert all(seg.start - 1e-6 <= w.start <= w.end <= seg.end + 1e-6 for w in seg.words)
    starts = [w.start for w in all_words]
    assert starts == sorted(starts) and 0 < all_words[-1].end <= 11.1
    assert all(0 <= w.probability <= 1 for w in all_words)
    # "... for your country": the last word is where it was said (whisper.cpp: 8.0-11.0 s).
    country = [w for w in all_words if "country" in w.word][-1]
    assert 9.5 < country.start < 11.0
    document = transcript.to_dict()
    jsonschema.validate(document, schema)
    assert document["model"]["sha256"] == resolve_model().sha256
    # What it ran on, for whoever reproduces it on another CPU (speech/runtime.py).
    runtime = document["processing"]["runtime"]
    assert runtime["engine"].startswith("ctranslate2 ") and runtime["device"] == recognizer.device
    assert Transcript.from_dict(json.loads(json.dumps(document))) == transcript


@pytest.mark.slow
def test_russian_speech_is_recognised_as_russian(recognizer: Recognizer) -> None:
    for clip in ("ru/deepspeech-smoke/ru.wav", "ru/pisets/test_sound_ru.wav"):
        transcript = run(load(SPEECH / clip), recognizer)
        assert transcript.language == "ru", clip
        reference = (SPEECH / clip).with_suffix(".txt").read_text()
        text = " ".join(s.text for s in transcript.segments)
        assert word_error_rate(reference, text) <= 0.5, (clip, text)


@pytest.mark.slow
def test_the_language_is_heard_in_the_first_batch_encoding(
    recognizer: Recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spoken language comes from the encoding the first batch is decoded from: Whisper's
    encoder runs no extra pass for it (each pass is one the recogniser counts)."""
    passes: list[int] = []
    encode = recognizer._whisper.encode

    def counting(features: np.ndarray) -> Any:
        passes.append(len(features))
        return encode(features)

    monkeypatch.setattr(recognizer._whisper, "encode", counting)
    briefing = load(REPO / "samples" / "briefing-ru.mp3")
    samples = np.concatenate([briefing, np.zeros(16000, dtype=np.float32)] * 3)
    transcript = run(samples, recognizer)
    assert transcript.language == "ru" and transcript.language_probability > 0.5
    assert len(passes) == transcript.processing["encoder_passes"]["encoded"] >= 1
    told = run(samples, recognizer, TranscribeOptions(DecodeOptions(language="ru"), diarize=False))
    assert told.language == "ru" and told.language_probability is None  # told, not heard
    assert [s.text for s in told.segments] == [s.text for s in transcript.segments]


@pytest.mark.slow
def test_translation_is_english_and_aligned_with_the_segments(recognizer: Recognizer) -> None:
    options = TranscribeOptions(translate_to="en", diarize=False)
    transcript = run(load(REPO / "samples" / "briefing-ru.mp3"), recognizer, options)
    assert transcript.language == "ru" and len(transcript.segments) >= 2
    assert transcript.translation is not None and transcript.translation_language == "en"
    assert [(s.id, s.start, s.end) for s in transcript.translation] == [
        (s.id, s.start, s.end) for s in transcript.segments
    ]
    english = " ".join(s.text for s in transcript.translation).lower()
    assert "ministry" in english and "listen" in english
    assert not re.search("[а-я]", english)


def test_each_task_decodes_with_its_own_beam(
    recognizer: Recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The transcription keeps its beam; the translate task decodes greedily by default."""
    asked: list[tuple[str, int]] = []
    for owner, pipeline in recognizer._pipelines.items():
        decode = pipeline.transcribe

        def spying(*args: object, _decode: Any = decode, _owner: str = owner, **kwargs: Any) -> Any:
            assert kwargs["task"] == _owner  # each task keeps to its own pipeline
            asked.append((str(kwargs["task"]), int(kwargs["beam_size"])))
            return _decode(*args, **kwargs)

        monkeypatch.setattr(pipeline, "transcribe", spying)
    samples = load(REPO / "samples" / "briefing-ru.mp3")[: 16000 * 12]
    run(samples, recognizer, TranscribeOptions(translate_to="en", diarize=False))
    assert {task for task, _ in asked} == {"transcribe", "translate"}
    assert all(beam == (6 if task == "transcribe" else 1) for task, beam in asked), asked


@pytest.mark.slow
def test_translation_reads_the_encoder_pass_of_the_transcription(recognizer: Recognizer) -> None:
    """Both tasks decode the same windows: each batch is encoded once, not once per task
    (the counts are the transcript's own, whatever the recogniser did before)."""
    samples = load(REPO / "samples" / "briefing-ru.mp3")
    options = TranscribeOptions(translate_to="en", diarize=False)
    transcript = run(samples, recognizer, options)
    passes = transcript.processing["encoder_passes"]
    assert transcript.translation is not None and any(s.text for s in transcript.translation)
    assert passes["reused"] >= 1 and passes["reused"] >= passes["encoded"] - 1
    assert transcript.translation_model_sha256 == transcript.model_sha256
    assert transcript.to_dict()["translation"]["model"]["sha256"] == transcript.model_sha256
    alone = run(samples, recognizer, NO_SPEAKERS)
    assert alone.processing["encoder_passes"]["reused"] == 0
    assert [s.text for s in alone.segments] == [s.text for s in transcript.segments]


@pytest.mark.slow
def test_the_english_decoded_beside_the_transcription_is_the_same(
    recognizer: Recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a second worker the translate task decodes each batch in a thread of its own, at
    the same time as the transcription, and the next batch is encoded there ahead of its
    turn: nothing in the transcript may change but the time it takes, and no batch may be
    encoded twice (the features made ahead must be the pipeline's, value for value)."""
    beside = Recognizer(recognizer.model, workers=2)
    threads: set[str] = set()
    ahead: list[int] = []
    decode = beside._pipelines["translate"].transcribe
    encode_ahead = beside._encoder.encode_ahead

    def noting_thread(*args: Any, **kwargs: Any) -> Any:
        threads.add(threading.current_thread().name)
        return decode(*args, **kwargs)

    def noting_ahead(features: np.ndarray) -> Any:
        ahead.append(len(features))
        return encode_ahead(features)

    monkeypatch.setattr(beside._pipelines["translate"], "transcribe", noting_thread)
    monkeypatch.setattr(beside._encoder, "encode_ahead", noting_ahead)
    briefing = load(REPO / "samples" / "briefing-ru.mp3")
    pause = np.zeros(16000, dtype=np.float32)
    samples = np.concatenate([briefing, pause] * 4)  # a minute: windows for three batches
    options = TranscribeOptions(DecodeOptions(batch_size=1), translate_to="en", diarize=False)
    alone, together = run(samples, recognizer, options), run(samples, beside, options)
    assert together.translation is not None and alone.translation is not None
    assert [s.to_dict() for s in together.segments] == [s.to_dict() for s in alone.segments]
    assert [s.to_dict() for s in together.translation] == [s.to_dict() for s in alone.translation]
    assert together.processing["encoder_passes"] == alone.processing["encoder_passes"]
    assert any(name.startswith("translate") for name in threads), threads
    assert len(ahead) >= 1  # batches after the first were encoded ahead


def test_speaker_turns_are_found_beside_the_decoding(
    recognizer: Recognizer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The turns need only the voices: they are found in a thread of their own while the
    words are decoded, and placed on the words once both are done."""
    from earwitness.speech import transcribe as pipeline

    found_in: list[str] = []
    find_turns = pipeline.find_turns

    def noting_thread(*args: Any) -> Any:
        found_in.append(threading.current_thread().name)
        return find_turns(*args)

    monkeypatch.setattr(pipeline, "find_turns", noting_thread)
    samples = load(REPO / "samples" / "briefing-ru.mp3")
    transcript = run(samples, recognizer, TranscribeOptions())
    assert len(found_in) == 1 and found_in[0].startswith("speakers"), found_in
    assert transcript.processing["diarization"]["speakers"]
    assert all(s.speaker for s in transcript.segments)
    run(samples, recognizer, NO_SPEAKERS)
    assert len(found_in) == 1  # not asked for, not looked for


@pytest.mark.slow
def test_a_prompt_never_moves_the_english_onto_other_segments(recognizer: Recognizer) -> None:
    """The prompt names people in the recording's language; Whisper's English is decoded
    without it, so each English line stays on the segment it was said in."""
    samples = load(REPO / "samples" / "briefing-ru.mp3")
    plain = TranscribeOptions(translate_to="en", diarize=False)
    prompted = TranscribeOptions(
        DecodeOptions(initial_prompt="Иван Петрович"), translate_to="en", diarize=False
    )
    without = run(samples, recognizer, plain)
    with_prompt = run(samples, recognizer, prompted)
    assert without.translation is not None and with_prompt.translation is not None
    english = {(s.start, s.end): s.text for s in without.translation}
    for segment in with_prompt.translation:
        if (segment.start, segment.end) in english:  # the same segment, cut the same way
            assert segment.text == english[(segment.start, segment.end)]
    assert set(english) & {(s.start, s.end) for s in with_prompt.translation}


@pytest.mark.slow
def test_english_is_not_translated_into_english(recognizer: Recognizer) -> None:
    options = TranscribeOptions(translate_to="en", diarize=False)
    transcript = run(load(SPEECH / "en/whisper.cpp/jfk.wav")[: 16000 * 4], recognizer, options)
    assert transcript.translation is None


@pytest.mark.slow
def test_silence_and_noise_produce_no_text(recognizer: Recognizer) -> None:
    rng = np.random.default_rng(7)
    hum = 0.05 * np.sin(2 * np.pi * 50 * np.arange(16000 * 40) / 16000)
    noisy = (hum + 0.005 * rng.standard_normal(len(hum))).astype(np.float32)
    for samples in (np.zeros(16000 * 40, dtype=np.float32), noisy):
        transcript = run(samples, recognizer)
        assert transcript.segments == ()
        assert transcript.processing["speech_seconds"] < 2.0


@pytest.mark.slow
def test_long_pause_keeps_times_on_the_recording_clock(recognizer: Recognizer) -> None:
    jfk = load(SPEECH / "en/whisper.cpp/jfk.wav")
    padded = np.concatenate([np.zeros(16000 * 45, dtype=np.float32), jfk])
    transcript = run(padded, recognizer)
    first = transcript.segments[0].words[0]
    assert 45.0 <= first.start < 46.0
    assert transcript.duration == pytest.approx(45 + len(jfk) / 16000, abs=1e-3)


@pytest.mark.slow
def test_speakers_are_labelled_on_a_two_speaker_recording(recognizer: Recognizer) -> None:
    sample = load(SHARED / "data/real/diarization/pyannote-audio/sample/sample.wav")
    options = TranscribeOptions(diarize=True, num_speakers=2)
    transcript = run(sample, recognizer, options)
    labels = [s.speaker for s in transcript.segments]
    assert set(labels) == {"S1", "S2"}
    for segment in transcript.segments:  # a segment is one voice: cut where the speaker changes
        assert {w.speaker for w in segment.words} == {segment.speaker}

    # pyannote's reference: speaker91 talks alone from 21.78 to 27.85 s, speaker90 from 10.57
    # to 14.49 s; each stretch must be mostly one label, and not the same label.
    def label_between(start: float, end: float) -> str:
        inside = [w.speaker for s in transcript.segments for w in s.words if start < w.start < end]
        return max(set(inside), key=inside.count)

    assert label_between(22.5, 27.5) != label_between(11.0, 14.0)
    assert transcript.processing["diarization"]["speakers"] == ["S1", "S2"]
    assert all(w.speaker in {"S1", "S2"} for s in transcript.segments for w in s.words)


def test_translation_alignment_gives_each_line_to_the_segment_it_overlaps() -> None:
    originals = [Segment(0, 0.0, 4.0, "a"), Segment(1, 5.0, 9.0, "b"), Segment(2, 10, 12, "c")]
    english = [Segment(0, 0.2, 3.0, "A1"), Segment(1, 3.0, 4.5, "A2"), Segment(2, 5.5, 9.5, "B")]
    aligned = align_translation(originals, english)
    assert [s.text for s in aligned] == ["A1 A2", "B", ""]
    assert [(s.id, s.start, s.end) for s in aligned] == [(0, 0.0, 4.0), (1, 5.0, 9.0), (2, 10, 12)]


def test_decode_options_change_the_parameters_hashed_into_the_artefact() -> None:
    assert DecodeOptions(language="ru").parameters() != DecodeOptions().parameters()
    base = TranscribeOptions().parameters()
    assert TranscribeOptions(translate_to="en").parameters() != base
    assert TranscribeOptions(num_speakers=2).parameters() != base


def test_a_segment_is_cut_where_the_speaker_of_its_words_changes() -> None:
    from earwitness.speech.transcribe import split_at_speaker_changes
    from earwitness.speech.types import Word

    said = (
        Word(0.0, 0.4, " Who", 0.9, "S1"),
        Word(0.4, 0.8, " signs?", 0.9, "S1"),
        Word(1.0, 1.5, " The", 0.9, "S2"),
        Word(1.5, 2.0, " ministry.", 0.9, "S2"),
    )
    one = Segment(0, 0.0, 2.0, "Who signs? The ministry.", said, "S1")
    kept = Segment(1, 3.0, 4.0, "Yes.", (Word(3.0, 4.0, " Yes.", 0.9, "S1"),), "S1")
    result = split_at_speaker_changes([one, kept])
    assert [(s.id, s.start, s.end, s.speaker, s.text) for s in result] == [
        (0, 0.0, 0.8, "S1", "Who signs?"),
        (1, 1.0, 2.0, "S2", "The ministry."),
        (2, 3.0, 4.0, "S1", "Yes."),
    ]


@pytest.mark.slow
def test_weak_windows_are_read_again_with_the_text_before_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With every window counted weak, each window after the first is decoded again with the
    text before it as its prompt; a reading is kept only where it is surer, and the transcript
    stays in time order and says the same (real FLEURS speech, two windows or more)."""
    from earwitness.speech import asr

    clips = sorted((SPEECH / "en" / "fleurs-en-cuttledoc").glob("fleurs-en-*.ogg"))[:5]
    gap = np.zeros(8000, dtype=np.float32)
    samples = np.concatenate([part for clip in clips for part in (load(clip), gap)])
    reference = " ".join(clip.with_suffix(".txt").read_text() for clip in clips)

    monkeypatch.setattr(asr, "REREAD_BELOW_LOGPROB", None)
    once = run(samples, Recognizer(resolve_model()))
    monkeypatch.setattr(asr, "REREAD_BELOW_LOGPROB", 0.0)
    twice = run(samples, Recognizer(resolve_model()))

    assert once.processing["second_readings"] == {"windows": 0, "kept": 0}
    readings = twice.processing["second_readings"]
    assert readings["windows"] >= 1 and 0 <= readings["kept"] <= readings["windows"]
    starts = [s.start for s in twice.segments]
    assert starts == sorted(starts) and twice.segments[-1].end <= len(samples) / 16000
    first = " ".join(s.text for s in once.segments)
    second = " ".join(s.text for s in twice.segments)
    assert word_error_rate(reference, second) <= word_error_rate(reference, first) + 0.05


def test_our_language_list_is_the_one_faster_whisper_checks() -> None:
    from faster_whisper.tokenizer import _LANGUAGE_CODES  # private: compared here, used nowhere

    from earwitness.speech.options import WHISPER_LANGUAGES

    assert list(WHISPER_LANGUAGES) == list(_LANGUAGE_CODES)
