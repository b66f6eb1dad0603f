import hashlib
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.vault.hashing import hash_and_copy, sha256_file


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=5000), chunk=st.integers(min_value=1, max_value=997))
def test_one_pass_gives_the_same_digests_and_copy_as_hashlib(data: bytes, chunk: int) -> None:
    sink = io.BytesIO()
    seen: list[int] = []
    digests = hash_and_copy(io.BytesIO(data), sink, seen.append, chunk_bytes=chunk)
    assert digests.sha256 == hashlib.sha256(data).hexdigest()
    assert digests.md5 == hashlib.md5(data).hexdigest()
    assert digests.size == len(data) == sum(seen)
    assert sink.getvalue() == data


def test_file_hash_matches_hashlib(tmp_path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"earwitness" * 1000)
    assert sha256_file(path, chunk_bytes=7) == hashlib.sha256(b"earwitness" * 1000).hexdigest()
