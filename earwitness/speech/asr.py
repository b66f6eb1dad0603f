"""Speech recognition with faster-whisper: batched windows of speech, word timestamps.

The recogniser is given only the compact speech timeline of ``vad.SpeechMap`` and windows of it
(``clip_timestamps``), so faster-whisper's batched pipeline decodes several windows at once and
never sees long silences. Every time it reports is mapped back to the recording's clock here.

Translation runs Whisper's translate task on the same windows (``task="translate"``); the
pipeline then pairs each English segment with the original it overlaps most
(``align.align_translation``). ``Recognizer.recognise_tasks`` decodes both tasks batch by batch
from one pass of Whisper's encoder (``encode_once``): the encoder took a third to a half of
the decoding time of a window on 2 CPU cores (bench/report.py), and both tasks read exactly
the same windows. With a second Whisper worker (``workers_for``: when English is asked for),
the translate task decodes each batch in a thread beside the transcription's beam search,
which keeps only about 1.6 of 2 cores busy, and the next batch is encoded there after it; the
weights are shared, and the output is the same.

``DecodeOptions`` (now in ``options``) and ``Detected`` (now in ``recogniser``) are still
importable from here.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

from earwitness.media.blocks import release
from earwitness.media.heap import bound_heap, trim_heap
from earwitness.speech.decoded_times import (
    compact_start,
    on_recording_clock,
    per_gap,
    rounded,
    unheard_stretches,
)
from earwitness.speech.encode_once import EncodeOnce
from earwitness.speech.models import ResolvedModel
from earwitness.speech.options import DecodeOptions
from earwitness.speech.recogniser import Detected, Task
from earwitness.speech.runtime import engine_runtime
from earwitness.speech.types import Segment
from earwitness.speech.vad import SAMPLE_RATE, SpeechMap

# Seconds of a window without any recognised word after which that stretch is decoded again
# (see ``Recognizer.recognise``); None turns the second look off.
REPAIR_MIN_GAP: float | None = 1.5
# A window whose text Whisper wrote with a mean log-probability per token below this is decoded
# again alone, with the text before it as the prompt (``Recognizer._reread``), and the surer
# reading kept. Plain sequential decoding always leans on the previous text; a batch cannot.
# Chosen on bench/speech's long recordings (2026-12-05; WER off -> at this value, windows read
# again): long-ru 0.159 -> 0.151 (3 windows), long-en 0.0923 -> 0.0915 (1); with white noise at
# 3 dB SNR, -0.45 and -0.35 took long-ru 0.255 to 0.252 and 0.240, long-en 0.450 to 0.443 and
# 0.442. At -0.3 clean long-ru got worse (0.161, 11 windows): rereading sure windows only
# costs time. Held out (bench/speech/reread_heldout.py, sentences written apart, 2026-12-06):
# clean, no window fell below it; at 3 dB SNR 9 windows were read again, 6 kept, WER 0.333 ->
# 0.330. None turns the second reading off.
REREAD_BELOW_LOGPROB: float | None = -0.4
# Whether a request for English gets a second Whisper worker (``workers_for``), so that the
# translate task decodes each batch beside the transcription. False: one after the other.
TRANSLATE_BESIDE = True
# Characters of the text before a window given as its prompt: Whisper's prompt holds at most
# 223 tokens, and the last sentence or two carry the context that matters.
REREAD_PROMPT_CHARS = 200
# Seconds of speech, from the start, that the spoken language is detected from (faster-whisper
# reads the first 30 s).
DETECT_SECONDS = 30.0

Finished = TypeVar("Finished")


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def workers_for(translate_to: str | None) -> int:
    """Whisper workers for a request: two when English is asked for and there are cores for
    both tasks, so the translate task decodes beside the transcription."""
    return 2 if translate_to and TRANSLATE_BESIDE and available_cpus() > 1 else 1


def pick_device(device: str = "auto", compute_type: str = "auto") -> tuple[str, str]:
    """int8 on CPU, float16 on a GPU: the fastest types that keep Whisper's accuracy."""
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


class Recognizer:
    """A loaded Whisper model, the shipped ``recogniser.Recogniser``. Loading takes a second or
    two: make one, use it for many files."""

    def __init__(
        self,
        model: ResolvedModel,
        *,
        device: str = "auto",
        compute_type: str = "auto",
        cpu_threads: int | None = None,
        workers: int = 1,
    ) -> None:
        """``workers`` > 1 lets the translate task decode a batch beside the transcription
        (``workers_for`` says when); each worker has its own buffers, so it costs memory."""
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        # Before CTranslate2's threads start: the batches' freed buffers are kept in two arenas
        # and the largest go back to the system (media/heap.py).
        bound_heap()
        self.model = model
        self.device, self.compute_type = pick_device(device, compute_type)
        self._whisper = WhisperModel(
            str(model.directory),
            device=self.device,
            compute_type=self.compute_type,
            cpu_threads=cpu_threads or available_cpus(),
            num_workers=max(workers, 1),  # the weights are shared; each has its own buffers
            local_files_only=True,
        )
        self._encoder = EncodeOnce(self._whisper)
        # Where it runs, for each transcript's record (speech/runtime.py says why).
        self.runtime = engine_runtime(self.device)
        # Weak windows read a second time, and how many of those readings were kept.
        self.rereads = {"windows": 0, "kept": 0}
        # One pipeline per task: each keeps its own word-timing state, so the two tasks of a
        # batch can be decoded at the same time (``_decode_group``).
        self._pipelines: dict[Task, Any] = {
            task: BatchedInferencePipeline(self._encoder) for task in ("transcribe", "translate")
        }
        # Second readings (``_reread``, ``_repair``) have a pipeline of their own: they run
        # beside the next batch's first reading (``_decode_group``).
        self._again = BatchedInferencePipeline(self._encoder)
        self._beside = ThreadPoolExecutor(1, "translate") if workers > 1 else None

    @property
    def multilingual(self) -> bool:
        return bool(self._whisper.model.is_multilingual)

    @property
    def encoder_passes(self) -> dict[str, int]:
        """Batches of windows encoded, and encodings a second task read again, so far."""
        return {"encoded": self._encoder.encoded, "reused": self._encoder.reused}

    def recognise(
        self,
        samples16k: np.ndarray,
        speech: SpeechMap,
        options: DecodeOptions,
        *,
        task: Task = "transcribe",
    ) -> tuple[Iterator[Segment], Detected]:
        """Segments on the recording's clock, yielded as each batch of windows is decoded.

        Windows are decoded ``batch_size`` at a time. Whisper sometimes stops writing before
        the end of a window, or passes over a sentence inside it; decoding one window at a
        time, faster-whisper would seek back and read on from its last timestamp, but a batch
        cannot. So after each batch, the stretches of its windows that are speech yet got no
        text (``decoded_times.unheard_stretches``, at least ``REPAIR_MIN_GAP`` s) are laid end
        to end and decoded once more, and what that finds is merged in by time before the
        batch's segments are yielded.
        """
        batches, detected = self.recognise_tasks(samples16k, speech, options, tasks=(task,))
        return (segment for batch in batches for segment in batch[task]), detected

    def recognise_tasks(
        self,
        samples16k: np.ndarray,
        speech: SpeechMap,
        options: DecodeOptions,
        *,
        tasks: tuple[Task, ...] = ("transcribe", "translate"),
        translate_from: Callable[[str], bool] = lambda language: language != "en",
    ) -> tuple[Iterator[dict[Task, list[Segment]]], Detected]:
        """Each batch of windows decoded for every task in ``tasks`` from one encoder pass.

        Yields, batch by batch, the segments of each task (numbered on per task, on the
        recording's clock), as ``recognise`` describes. The spoken language is found by the
        first task's first batch; "translate" is then decoded only if
        ``translate_from(language)`` says so (Whisper translates into English only, so English
        speech is not translated by default): the batches then hold no "translate" key.
        The translate task never reads ``options.initial_prompt``: the prompt is the
        recording's names and terms in its own language, and it must not change which English
        falls on which segment.
        """
        if not speech.windows or not tasks:
            return iter(()), Detected(options.language or "und", None)
        compact = speech.compact(samples16k)
        size = max(options.batch_size, 1)
        groups = [speech.windows[i : i + size] for i in range(0, len(speech.windows), size)]
        lead = tasks[0]
        heard = None
        if options.language is None and self.multilingual:
            heard = self._detect(compact, groups[0])
        told = heard.language if heard else options.language
        first, info = self._decode(compact, groups[0], options, told, lead)
        # Told, or the only language an English model knows: no probability to give.
        detected = heard or Detected(info.language, None)
        language = detected.language
        chosen = tuple(task for task in tasks if task != "translate" or translate_from(language))

        numbers = dict.fromkeys(chosen, 0)
        context = ""  # the text of the window before, for a second reading

        def finish(
            group: Sequence[tuple[float, float]],
            decoded: dict[Task, list[tuple[SpeechMap | None, Any]]],
        ) -> dict[Task, list[Segment]]:
            """The batch of ``group``: its second readings merged in, on the recording's clock.
            Batches are finished one at a time, in order: each reading leans on the text
            before it."""
            nonlocal context
            if "transcribe" in decoded:
                decoded["transcribe"], context = self._reread(
                    compact, group, decoded["transcribe"], options, language, context
                )
            for task in chosen:
                found = decoded[task]
                found += self._repair(compact, group, found, options, language, task)
            batch: dict[Task, list[Segment]] = {}
            for task in chosen:
                found = sorted(decoded[task], key=compact_start)
                batch[task] = [
                    on_recording_clock(item, repair, speech, numbers[task] + offset)
                    for offset, (repair, item) in enumerate(found)
                ]
                numbers[task] += len(found)
            return batch

        def batches() -> Iterator[dict[Task, list[Segment]]]:
            before: tuple[Sequence[tuple[float, float]], dict[Task, Any]] | None = None
            for index, group in enumerate(groups):
                ready = {lead: first} if index == 0 else {}
                after = groups[index + 1] if index + 1 < len(groups) else None
                then = functools.partial(finish, *before) if before else None
                decoded, finished = self._decode_group(
                    compact, group, options, language, chosen, ready, after, then
                )
                self._encoder.forget()
                if finished is not None:
                    yield finished.result()
                # A long recording's speech is a memory map: hand its pages back as we go,
                # and the pages the batch freed with them.
                release(compact)
                trim_heap()
                before = (group, decoded)
            if before:
                yield finish(*before)

        return batches(), detected

    def _decode_group(
        self,
        compact: np.ndarray,
        group: Sequence[tuple[float, float]],
        options: DecodeOptions,
        language: str,
        tasks: tuple[Task, ...],
        ready: dict[Task, Iterator[tuple[SpeechMap | None, Any]]],
        after: Sequence[tuple[float, float]] | None = None,
        then: Callable[[], Finished] | None = None,
    ) -> tuple[dict[Task, list[tuple[SpeechMap | None, Any]]], Future[Finished] | None]:
        """Every task's decoding of ``group``, the tasks in ``ready`` already under way, and
        ``then()`` done meanwhile (the batch before, finished).

        The encoder runs once for the group (``EncodeOnce``). With a second worker the other
        tasks decode in a thread beside the first, then the group ``after`` this one is
        encoded there, and then ``then`` runs there: the beam search of the transcription
        keeps only about 1.6 of 2 cores busy, and the greedy translation, the next encoding
        and the batch before's second readings fill the rest. Alone, ``then`` runs first.
        """

        def decoded(task: Task) -> list[tuple[SpeechMap | None, Any]]:
            raw = ready.get(task)
            if raw is None:
                raw, _ = self._decode(compact, group, options, language, task)
            return list(raw)

        first, *others = tasks
        if self._beside is None:
            finished = _done(then) if then else None
            return {task: decoded(task) for task in tasks}, finished
        beside = {task: self._beside.submit(decoded, task) for task in others}
        if after:
            # Not waited for: the pipeline's request for it finds it done or under way (and
            # meets any error it raised).
            self._beside.submit(self._encode_ahead, compact, after)
        finishing = self._beside.submit(then) if then else None
        found = {first: decoded(first)}
        return found | {task: future.result() for task, future in beside.items()}, finishing

    def _encode_ahead(self, compact: np.ndarray, windows: Sequence[tuple[float, float]]) -> Any:
        """Encode ``windows`` of ``compact`` into ``EncodeOnce`` as faster-whisper's batched
        pipeline will ask for them (its clip cutting and features, value for value: if they
        ever differ, the pipeline's request finds nothing and encodes them itself); the
        encoder's output."""
        from faster_whisper.audio import pad_or_trim

        extract = self._whisper.feature_extractor
        chunks = [
            compact[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)] for start, end in windows
        ]
        features = np.stack([pad_or_trim(extract(chunk)[..., :-1]) for chunk in chunks])
        return self._encoder.encode_ahead(features)

    def _detect(self, compact: np.ndarray, windows: Sequence[tuple[float, float]]) -> Detected:
        """The spoken language of the first ``DETECT_SECONDS`` of speech in ``windows``:
        Whisper's language probabilities of each window, averaged. faster-whisper would encode
        those seconds once more, laid end to end; the batch's encoding, which its decoding
        reads anyway, holds them window by window."""
        encoded = self._encode_ahead(compact, windows)
        ends = np.cumsum([end - start for start, end in windows])
        enough = min(int(np.searchsorted(ends, DETECT_SECONDS)) + 1, len(windows))
        if enough < len(windows) and self.device == "cpu":
            # Each window costs the decoder a step over its whole encoding.
            encoded = _first_rows(encoded, enough)
        per_window = self._whisper.model.detect_language(encoded)
        total: dict[str, float] = {}
        for found in per_window:
            for token, probability in found:
                total[token] = total.get(token, 0.0) + probability
        token, summed = max(total.items(), key=lambda item: item[1])
        return Detected(token.strip("<|>"), rounded(summed / len(per_window)))

    def _decode(
        self,
        audio: np.ndarray,
        windows: Sequence[tuple[float, float]],
        options: DecodeOptions,
        language: str | None,
        task: Task,
        *,
        again: bool = False,
    ) -> tuple[Iterator[tuple[SpeechMap | None, Any]], Any]:
        """faster-whisper's batched decoding of ``windows`` of ``audio`` (times in ``audio``);
        ``again``: a second reading, by the pipeline kept for those."""
        pipeline = self._again if again else self._pipelines[task]
        if again:
            pipeline.last_speech_timestamp = 0.0  # word timing of its own timeline
        raw, info = pipeline.transcribe(
            audio,
            language=language,
            task=task,
            beam_size=options.beam_for(task),
            batch_size=options.batch_size,
            word_timestamps=options.word_timestamps and task == "transcribe",
            without_timestamps=False,
            initial_prompt=options.initial_prompt if task == "transcribe" else None,
            clip_timestamps=[{"start": start, "end": end} for start, end in windows],
            vad_filter=False,
        )
        return ((None, item) for item in raw), info

    def _reread(
        self,
        compact: np.ndarray,
        windows: Sequence[tuple[float, float]],
        found: list[tuple[SpeechMap | None, Any]],
        options: DecodeOptions,
        language: str,
        context: str,
    ) -> tuple[list[tuple[SpeechMap | None, Any]], str]:
        """``found`` with each weak window's text (see ``REREAD_BELOW_LOGPROB``) decoded again
        with the text before it as the prompt, where that reading is surer; and the text of the
        last window, the context for the next batch.

        The user's prompt, if any, goes before the context: it names what the whole recording
        holds. A second reading is kept only if its mean log-probability is higher.
        """
        per_window: list[list[tuple[SpeechMap | None, Any]]] = [[] for _ in windows]
        for entry in found:
            per_window[_window_of(entry[1], windows)].append(entry)
        kept: list[tuple[SpeechMap | None, Any]] = []
        for (start, end), items in zip(windows, per_window, strict=True):
            weak = _logprob(items)
            if (
                REREAD_BELOW_LOGPROB is not None
                and context
                and weak is not None
                and weak < REREAD_BELOW_LOGPROB
            ):
                prompt = " ".join(p for p in (options.initial_prompt, context) if p)
                prompted = dataclasses.replace(options, initial_prompt=prompt)
                self.rereads["windows"] += 1
                raw, _ = self._decode(
                    compact, [(start, end)], prompted, language, "transcribe", again=True
                )
                again = list(raw)
                better = _logprob(again)
                if better is not None and better > weak and _plausible(again):
                    items = again
                    self.rereads["kept"] += 1
            kept += items
            text = "".join(item.text for _, item in items).strip()
            context = (context + " " + text).strip()[-REREAD_PROMPT_CHARS:] if text else context
        return kept, context

    def _repair(
        self,
        compact: np.ndarray,
        windows: Sequence[tuple[float, float]],
        found: list[tuple[SpeechMap | None, Any]],
        options: DecodeOptions,
        language: str,
        task: Task,
    ) -> list[tuple[SpeechMap | None, Any]]:
        """Segments for the stretches of ``windows`` that the first decoding left without text,
        decoded again as a timeline of their own, paired with the map (``repair``) from that
        timeline back to ``compact``."""
        if REPAIR_MIN_GAP is None:
            return []
        unheard = unheard_stretches(windows, [item for _, item in found], REPAIR_MIN_GAP)
        if not unheard:
            return []
        repair = SpeechMap.build(unheard)
        raw, _ = self._decode(
            repair.compact(compact), repair.windows, options, language, task, again=True
        )
        return [(repair, part) for _, item in raw for part in per_gap(item, repair)]


def _first_rows(encoded: Any, count: int) -> Any:
    """The first ``count`` windows of an encoder output held in CPU memory."""
    import ctranslate2

    return ctranslate2.StorageView.from_array(np.ascontiguousarray(np.asarray(encoded)[:count]))


def _done(work: Callable[[], Finished]) -> Future[Finished]:
    """``work()`` done now, as a future (what a worker would have handed back)."""
    future: Future[Finished] = Future()
    try:
        future.set_result(work())
    except Exception as error:
        future.set_exception(error)
    return future


def _window_of(item: Any, windows: Sequence[tuple[float, float]]) -> int:
    """The index of the window (compact timeline) ``item`` was decoded from."""
    middle = (item.start + item.end) / 2
    for index, (_, end) in enumerate(windows):
        if middle < end:
            return index
    return len(windows) - 1


def _logprob(items: Sequence[tuple[SpeechMap | None, Any]]) -> float | None:
    """The mean log-probability per token of a window's text, weighted by tokens."""
    weighted = [(item.avg_logprob, len(item.tokens or ())) for _, item in items]
    tokens = sum(count for _, count in weighted)
    if not tokens:
        return None
    return sum(value * count for value, count in weighted) / tokens


def _plausible(items: Sequence[tuple[SpeechMap | None, Any]]) -> bool:
    """No segment of a second reading repeats itself as hallucinations do (faster-whisper's
    own limit on the compression ratio of a segment's text)."""
    return all(item.compression_ratio <= 2.4 for _, item in items)


def duration_of(samples16k: np.ndarray) -> float:
    return len(samples16k) / SAMPLE_RATE
