"""Whisper's encoder run once per batch of windows, whoever asks for it and when.

faster-whisper's batched pipeline encodes whatever features it is handed. Transcription and
translation of a batch hand it the same features (the same windows of the same samples), and
with a second worker the next batch can be encoded ahead, while this one is still decoded
(``asr.Recognizer``). ``EncodeOnce`` stands in for the ``WhisperModel`` the pipeline uses and
keeps each encoding, by the value of its features, for whoever asks next: a request for an
encoding under way waits for it instead of running the encoder again.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class _Encoding:
    features: np.ndarray
    output: Future[Any] = field(default_factory=Future)
    uses: int = 0  # requests answered from it; 0 while it was only encoded ahead


class EncodeOnce:
    """The ``WhisperModel`` as the batched pipeline uses it, each distinct batch encoded once.

    ``forget`` drops the encodings already used once a batch is done; one encoded ahead and
    not yet used is kept for the next batch. So memory stays at a few batches whatever the
    recording's length.
    """

    def __init__(self, whisper: Any) -> None:
        self._whisper = whisper
        self._lock = threading.Lock()
        self._kept: list[_Encoding] = []
        self.encoded = 0  # encoder passes
        self.reused = 0  # requests answered from an encoding another request had used

    def __getattr__(self, name: str) -> Any:
        return getattr(self._whisper, name)

    def encode(self, features: np.ndarray) -> Any:
        """The encoder's output for ``features`` (what ``WhisperModel.encode`` returns)."""
        return self._request(features, use=True)

    def encode_ahead(self, features: np.ndarray) -> Any:
        """Encode ``features`` now for a request still to come (no request is counted); the
        encoder's output, for a look before that request."""
        return self._request(features, use=False)

    def forget(self) -> None:
        """Drop what was used, and all but the newest encoding made ahead."""
        with self._lock:
            ahead = [kept for kept in self._kept if kept.uses == 0 and kept.output.done()]
            self._kept = [k for k in self._kept if not k.output.done()] + ahead[-1:]

    def _request(self, features: np.ndarray, *, use: bool) -> Any:
        with self._lock:
            found = next((k for k in self._kept if _same(k.features, features)), None)
            owner = found is None
            if found is None:
                found = _Encoding(features)
                self._kept.append(found)
                self.encoded += 1
            elif use and found.uses:
                self.reused += 1
            if use:
                found.uses += 1
        if owner:
            try:
                found.output.set_result(self._whisper.encode(features))
            except BaseException as error:  # whoever waits for it gets the error too
                found.output.set_exception(error)
                with self._lock:
                    self._kept.remove(found)
                raise
        return found.output.result()


def _same(kept: np.ndarray, features: np.ndarray) -> bool:
    return kept.shape == features.shape and np.array_equal(kept, features)
