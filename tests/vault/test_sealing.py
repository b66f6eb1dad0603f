import io
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.vault import sealing
from earwitness.vault.sealing import CHUNK_BYTES, TAG_BYTES, SealBroken

KEY = bytes(range(32))
HEADER = len(sealing.MAGIC) + sealing.PREFIX_BYTES


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=4096))
def test_small_round_trip(data: bytes) -> None:
    sealed = sealing.seal_bytes(KEY, data)
    assert sealing.open_bytes(KEY, sealed, "x") == data
    if len(data) >= 16:
        assert data not in sealed


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 2 * CHUNK_BYTES]
)
def test_round_trip_at_chunk_boundaries(size: int) -> None:
    data = os.urandom(size)
    sealed = sealing.seal_bytes(KEY, data)
    chunks = max(1, -(-size // CHUNK_BYTES))
    assert len(sealed) == HEADER + size + chunks * TAG_BYTES
    assert sealing.open_bytes(KEY, sealed, "x") == data


def test_wrong_key_is_refused() -> None:
    sealed = sealing.seal_bytes(KEY, b"the minister said")
    with pytest.raises(SealBroken, match="chunk 0 does not open"):
        sealing.open_bytes(bytes(32), sealed, "x")


def test_flipped_byte_is_refused() -> None:
    sealed = bytearray(sealing.seal_bytes(KEY, b"a" * 100))
    sealed[HEADER + 10] ^= 1
    with pytest.raises(SealBroken):
        sealing.open_bytes(KEY, bytes(sealed), "x")


def test_cut_at_a_chunk_boundary_is_refused() -> None:
    data = os.urandom(2 * CHUNK_BYTES + 10)
    sealed = sealing.seal_bytes(KEY, data)
    cut = sealed[: HEADER + 2 * (CHUNK_BYTES + TAG_BYTES)]  # the final chunk dropped
    with pytest.raises(SealBroken):
        sealing.open_bytes(KEY, cut, "x")


def test_swapped_chunks_are_refused() -> None:
    data = os.urandom(3 * CHUNK_BYTES)
    sealed = sealing.seal_bytes(KEY, data)
    size = CHUNK_BYTES + TAG_BYTES
    first, second = sealed[HEADER : HEADER + size], sealed[HEADER + size : HEADER + 2 * size]
    swapped = sealed[:HEADER] + second + first + sealed[HEADER + 2 * size :]
    with pytest.raises(SealBroken):
        sealing.open_bytes(KEY, swapped, "x")


def test_chunk_moved_between_files_is_refused() -> None:
    one = sealing.seal_bytes(KEY, b"one" * 10)
    two = sealing.seal_bytes(KEY, b"two" * 10)
    with pytest.raises(SealBroken):
        sealing.open_bytes(KEY, one[:HEADER] + two[HEADER:], "x")


def test_not_a_sealed_file() -> None:
    with pytest.raises(SealBroken, match="not a sealed Earwitness file"):
        list(sealing.open_stream(KEY, io.BytesIO(b"RIFF...."), "x.wav"))


def test_open_file_leaves_nothing_when_broken(tmp_path: Path) -> None:
    plain = tmp_path / "plain.bin"
    plain.write_bytes(os.urandom(CHUNK_BYTES + 5))
    sealed = tmp_path / "sealed.bin"
    sealing.seal_file(KEY, plain, sealed)
    broken = bytearray(sealed.read_bytes())
    broken[-1] ^= 1
    sealed.write_bytes(bytes(broken))
    restored = tmp_path / "restored.bin"
    with pytest.raises(SealBroken):
        sealing.open_file(KEY, sealed, restored)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.bin", "sealed.bin"]
