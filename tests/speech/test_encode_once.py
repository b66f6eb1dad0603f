"""``speech.encode_once``: each distinct batch of features goes through the encoder once,
whether it is asked for by two tasks at once or encoded ahead of its batch."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from earwitness.speech.encode_once import EncodeOnce


class SlowEncoder:
    """A stand-in for ``WhisperModel``: the sum of the features, after a pause in which
    another thread can ask for the same thing."""

    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.fail = fail
        self.n_mels = 80  # any other attribute the pipeline reads comes from the model

    def encode(self, features: np.ndarray) -> float:
        self.calls += 1
        time.sleep(0.05)
        if self.fail:
            raise RuntimeError("out of memory")
        return float(features.sum())


def features(value: float) -> np.ndarray:
    return np.full((2, 4, 6), value, dtype=np.float32)


def test_the_model_s_other_attributes_are_the_model_s() -> None:
    assert EncodeOnce(SlowEncoder()).n_mels == 80


def test_two_tasks_asking_at_once_share_one_encoder_pass() -> None:
    model = SlowEncoder()
    encoder = EncodeOnce(model)
    results: list[float] = []
    threads = [
        threading.Thread(target=lambda: results.append(encoder.encode(features(1.0))))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [48.0, 48.0]
    assert model.calls == 1 and (encoder.encoded, encoder.reused) == (1, 1)


def test_an_encoding_made_ahead_is_used_not_reused() -> None:
    model = SlowEncoder()
    encoder = EncodeOnce(model)
    encoder.encode_ahead(features(2.0))
    assert encoder.encode(features(2.0)) == 96.0
    assert model.calls == 1 and (encoder.encoded, encoder.reused) == (1, 0)
    assert encoder.encode(features(2.0)) == 96.0  # the second task of the batch
    assert (encoder.encoded, encoder.reused) == (1, 1)


def test_other_features_are_encoded_anew() -> None:
    model = SlowEncoder()
    encoder = EncodeOnce(model)
    encoder.encode(features(1.0))
    encoder.encode(features(1.0)[:1])  # another shape
    encoder.encode(np.nextafter(features(1.0), 2.0))  # another value, however close
    assert model.calls == 3 and encoder.reused == 0


def test_forgetting_keeps_only_the_newest_encoding_made_ahead() -> None:
    model = SlowEncoder()
    encoder = EncodeOnce(model)
    encoder.encode(features(1.0))  # this batch's, used
    encoder.encode_ahead(features(2.0))  # made ahead but never asked for
    encoder.encode_ahead(features(3.0))  # the next batch's
    encoder.forget()
    encoder.encode(features(3.0))
    assert model.calls == 3  # kept
    encoder.encode(features(1.0))
    encoder.encode(features(2.0))
    assert model.calls == 5  # both dropped, so encoded again


def test_a_failed_encoding_fails_whoever_waits_and_is_not_kept() -> None:
    model = SlowEncoder(fail=True)
    encoder = EncodeOnce(model)
    errors: list[str] = []

    def ask() -> None:
        try:
            encoder.encode(features(1.0))
        except RuntimeError as error:
            errors.append(str(error))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == ["out of memory", "out of memory"]
    model.fail = False
    assert encoder.encode(features(1.0)) == 48.0  # asked again, encoded again
    assert model.calls == 2


def test_an_encoding_ahead_that_failed_is_met_by_its_request() -> None:
    model = SlowEncoder(fail=True)
    encoder = EncodeOnce(model)
    with pytest.raises(RuntimeError):
        encoder.encode_ahead(features(1.0))
    model.fail = False
    assert encoder.encode(features(1.0)) == 48.0
