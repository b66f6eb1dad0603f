import hashlib
import io
import os
import stat

import pytest

from earwitness.vault.store import ObjectStore


@pytest.fixture
def store(tmp_path) -> ObjectStore:
    return ObjectStore(tmp_path / "objects", tmp_path / "tmp")


def test_object_is_stored_once_read_only_under_fan_out_name(store: ObjectStore) -> None:
    data = b"a recording"
    digest = hashlib.sha256(data).hexdigest()
    first = store.put_bytes(data)
    second = store.put_bytes(data)
    path = store.path_for(digest)
    assert first == second
    assert path == store.root / digest[:2] / digest[2:]
    assert path.read_bytes() == data
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert list(store.iter_hashes()) == [digest]
    assert list(store.tmp.iterdir()) == []


def test_failed_copy_leaves_no_object_and_no_temporary(store: ObjectStore) -> None:
    class Exploding(io.BytesIO):
        def read(self, *args):  # type: ignore[override]
            raise OSError(5, "Input/output error")

    with pytest.raises(OSError):
        store.put_stream(Exploding(b"x"))
    assert list(store.iter_hashes()) == []
    assert list(store.tmp.iterdir()) == []


def test_stale_temporaries_of_dead_writers_are_removed_live_ones_kept(store: ObjectStore) -> None:
    store.tmp.mkdir(parents=True)
    dead = store.tmp / "999999999.abc.part"
    live = store.tmp / f"{os.getpid()}.abc.part"
    dead.write_bytes(b"half")
    live.write_bytes(b"busy")
    assert store.remove_stale_temporaries() == 1
    assert not dead.exists() and live.exists()


def test_rejects_names_that_are_not_sha256(store: ObjectStore) -> None:
    with pytest.raises(ValueError):
        store.path_for("../../etc/passwd")
