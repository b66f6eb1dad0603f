"""Where a bag's bytes go: nothing at the destination until it is complete, nothing left
beside it when writing fails, and the digests are of what was written."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from earwitness.vault.bag_sinks import missing_folders, partial_output, remove_empty

CONTENT = [b"first chunk ", b"second chunk"]


@pytest.mark.parametrize("as_zip", [True, False])
def test_a_committed_bag_appears_whole_with_the_digests_of_its_bytes(
    tmp_path: Path, as_zip: bool
) -> None:
    destination = tmp_path / ("bag.zip" if as_zip else "bag")
    with partial_output(destination, as_zip) as sink:
        digests = sink.write("data/a.txt", iter(CONTENT), stored=True, size=None)
        assert not destination.exists()  # nothing at the destination before commit
        sink.commit()
    expected = hashlib.sha256(b"".join(CONTENT)).hexdigest()
    assert digests.hexdigests()["sha256"] == expected and digests.size == 24
    if as_zip:
        with zipfile.ZipFile(destination) as archive:
            assert archive.read("bag/data/a.txt") == b"".join(CONTENT)
    else:
        assert (destination / "data/a.txt").read_bytes() == b"".join(CONTENT)
    assert [p.name for p in tmp_path.iterdir()] == [destination.name]  # no partial left


@pytest.mark.parametrize("as_zip", [True, False])
def test_a_failed_bag_leaves_nothing_beside_the_destination(tmp_path: Path, as_zip: bool) -> None:
    destination = tmp_path / ("bag.zip" if as_zip else "bag")

    def failing() -> Iterator[bytes]:
        yield b"part of it"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), partial_output(destination, as_zip) as sink:
        sink.write("data/a.txt", failing(), stored=False, size=None)
    assert list(tmp_path.iterdir()) == []


def test_only_the_folders_an_export_made_are_removed(tmp_path: Path) -> None:
    created = missing_folders(tmp_path / "one" / "two")
    assert created == [tmp_path / "one" / "two", tmp_path / "one"]
    (tmp_path / "one" / "two").mkdir(parents=True)
    (tmp_path / "one" / "kept.txt").write_text("someone else's")
    remove_empty(created)
    assert not (tmp_path / "one" / "two").exists() and (tmp_path / "one" / "kept.txt").exists()
