"""Attack: a package built to exhaust the reader's disk, memory or patience.

Before: a 3 MB zip with a 3 GB member was unpacked to disk before any check, a 1.5 GB
custody.jsonl member was read whole (1.65 GB of memory), and a folder bag whose manifest named
/dev/zero ended in a MemoryError traceback. Now a package is streamed, never extracted, every
member is counted as it is read against ``PackageLimits``, and nothing but regular files is
read from a folder bag.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from earwitness.errors import PackageError
from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from earwitness.vault.package_export import export_bag
from earwitness.vault.package_read import package_log_lines, verify_package
from earwitness.vault.package_source import PackageLimits
from tests.conftest import write_wav

MEMORY_LIMIT_MB = 200


# The child's own peak (VmHWM of its address space), written at exit. Not ru_maxrss: a child
# forked from pytest starts its count with pytest's own memory, copied in by the fork.
_MEASURED_CLI = (
    "import atexit, os, sys\n"
    "def report():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            os.write(int(os.environ['PEAK_FD']), line.split()[1].encode())\n"
    "atexit.register(report)\n"
    "from earwitness.cli import main\n"
    "main()\n"
)


def run_measured(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, str, int]:
    """Run the real CLI; (exit code, stderr, peak resident memory of the child in MB)."""
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-c", _MEASURED_CLI, *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {}), "PEAK_FD": str(write_end)},
        pass_fds=(write_end,),
    )
    os.close(write_end)
    _, stderr = process.communicate()
    with os.fdopen(read_end, "rb") as peak:
        peak_kb = int(peak.read() or 0)
    return process.returncode, stderr.decode(), peak_kb // 1024


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    case, _ = Case.init(tmp_path / "case")
    ingest_paths(case, [write_wav(tmp_path / "in" / "call.wav", 0.2, seed=1)])
    return export_bag(case, None, tmp_path / "bag")


def zeros_member(archive: zipfile.ZipFile, name: str, size: int) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as member:
        chunk = bytes(1 << 20)
        for _ in range(size // len(chunk)):
            member.write(chunk)


def test_a_zip_bomb_is_refused_quickly_without_touching_the_disk(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "bag/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
        )
        zeros_member(archive, "bag/data/originals/x/huge.wav", 120 << 20)
    assert bomb.stat().st_size < 1 << 20  # 120 MB in well under 1 MB
    scratch = tmp_path / "tmpdir"
    scratch.mkdir()

    rc, stderr, peak_mb = run_measured("verify-package", bomb, env={"TMPDIR": str(scratch)})

    assert rc == 1
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert "huge.wav: refused, expands more than 200 times" in stderr
    assert list(scratch.iterdir()) == []  # nothing unpacked anywhere
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.zip", "tmpdir"]
    assert peak_mb < MEMORY_LIMIT_MB, peak_mb


def test_byte_counts_not_declared_sizes_stop_a_member(tmp_path: Path) -> None:
    """The ratio is judged on bytes actually produced, with a limit set low for the test."""
    packed = tmp_path / "packed.zip"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bag/bagit.txt", "BagIt-Version: 1.0\n")
        archive.writestr("bag/data/a.txt", b"a" * 300_000)
    limits = PackageLimits(max_compression_ratio=10, ratio_floor_bytes=1000)
    with pytest.raises(PackageError, match=r"data/a\.txt: refused, expands more than 10 times"):
        verify_package(packed, limits)


def test_too_many_members_are_refused_before_zipfile_lists_them(tmp_path: Path) -> None:
    crowded = tmp_path / "crowded.zip"
    with zipfile.ZipFile(crowded, "w") as archive:
        for n in range(50):
            archive.writestr(f"bag/data/{n}.txt", b"")
    with pytest.raises(PackageError, match="refused, more than 20 members"):
        verify_package(crowded, PackageLimits(max_members=20))


@pytest.mark.slow
def test_as_many_members_as_allowed_are_read_in_bounded_memory(tmp_path: Path) -> None:
    """The member list and both manifests are the only things that grow with the member
    count; at the default limit they stay well within the memory goal."""
    crowded = tmp_path / "crowded.zip"
    count = PackageLimits().max_members - 10
    empty = {
        algorithm: hashlib.new(algorithm, b"").hexdigest() for algorithm in ("sha256", "sha512")
    }
    names = [f"data/artefacts/{n:064x}/stage/{n:064x}/artefact.json" for n in range(count)]
    with zipfile.ZipFile(crowded, "w") as archive:
        archive.writestr(
            "bag/bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
        )
        for algorithm, digest in empty.items():
            manifest = "".join(f"{digest}  {name}\n" for name in names)
            archive.writestr(f"bag/manifest-{algorithm}.txt", manifest)
        for name in names:
            archive.writestr(f"bag/{name}", b"")

    rc, stderr, peak_mb = run_measured("verify-package", crowded)

    assert rc == 1, stderr  # no custody log, no catalog: problems, but every member was read
    assert "Traceback" not in stderr
    assert peak_mb < MEMORY_LIMIT_MB, peak_mb


def test_a_folder_bag_with_too_many_files_is_refused(bag: Path) -> None:
    for n in range(30):
        (bag / "data" / f"extra-{n}.txt").write_bytes(b"")
    with pytest.raises(PackageError, match="refused, more than 20 files"):
        verify_package(bag, PackageLimits(max_members=20))


def test_a_custody_log_over_the_limits_is_refused_while_streamed(bag: Path) -> None:
    with pytest.raises(PackageError, match="custody log larger than 1000 bytes"):
        verify_package(bag, PackageLimits(max_log_bytes=1000))
    with pytest.raises(PackageError, match="line 1 is longer than 200 bytes"):
        verify_package(bag, PackageLimits(max_log_line_bytes=200))
    with (
        pytest.raises(PackageError, match="custody log larger than 1000 bytes"),
        package_log_lines(bag, PackageLimits(max_log_bytes=1000)) as lines,
    ):
        list(lines)


@pytest.mark.slow
def test_a_huge_custody_log_is_checked_in_bounded_memory(bag: Path) -> None:
    """300 MB of log lines: each is checked and let go, nothing is kept but counts."""
    log = bag / "data" / "custody" / "custody.jsonl"
    line = b'{"seq": "not an event", "padding": "' + b"x" * 900 + b'"}\n'
    with open(log, "ab") as sink:
        block = line * 1000
        for _ in range(300_000_000 // len(block)):
            sink.write(block)

    rc, stderr, peak_mb = run_measured("verify-package", bag)

    assert rc == 1, stderr
    assert "Traceback" not in stderr
    assert peak_mb < MEMORY_LIMIT_MB, peak_mb


def test_a_manifest_naming_dev_zero_through_a_symlink_is_refused(bag: Path) -> None:
    (bag / "data" / "zero").symlink_to("/dev/zero")
    with open(bag / "manifest-sha256.txt", "a") as manifest:
        manifest.write(f"{'0' * 64}  data/zero\n")

    rc, stderr, peak_mb = run_measured("verify-package", bag)

    assert rc == 1
    assert stderr.strip() == f"earwitness: error: {bag}: refused, 'data/zero' is a symbolic link"
    assert peak_mb < MEMORY_LIMIT_MB, peak_mb


def test_a_manifest_naming_dev_zero_directly_is_refused(bag: Path) -> None:
    with open(bag / "manifest-sha256.txt", "a") as manifest:
        manifest.write(f"{'0' * 64}  /dev/zero\n")
    with pytest.raises(
        PackageError, match=r"refused, unsafe path in manifest-sha256.txt: '/dev/zero'"
    ):
        verify_package(bag)


def test_a_pipe_in_a_folder_bag_is_refused(bag: Path) -> None:
    os.mkfifo(bag / "data" / "pipe")
    with pytest.raises(PackageError, match="'data/pipe' is not a regular file"):
        verify_package(bag)


def test_a_symlinked_original_is_refused(bag: Path) -> None:
    [original] = (bag / "data" / "originals").glob("*/*")
    secret = bag.parent / "secret.txt"
    secret.write_text("not part of the package")
    original.unlink()
    original.symlink_to(secret)
    with pytest.raises(PackageError, match="is a symbolic link"):
        verify_package(bag)


def test_a_zip_member_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    linked = tmp_path / "linked.zip"
    info = zipfile.ZipInfo("bag/data/zero")
    info.external_attr = 0o120777 << 16
    with zipfile.ZipFile(linked, "w") as archive:
        archive.writestr("bag/bagit.txt", "BagIt-Version: 1.0\n")
        archive.writestr(info, "/dev/zero")
    with pytest.raises(PackageError, match="is a symbolic link"):
        verify_package(linked)


@pytest.mark.parametrize("damage", ["crc", "deflate"])
def test_a_damaged_zip_member_is_one_line(tmp_path: Path, damage: str) -> None:
    """A flipped byte in a stored member fails its CRC-32; garbage where a deflate stream
    should be fails zlib: both are one line naming the member, never a traceback."""
    damaged = tmp_path / "damaged.zip"
    method = zipfile.ZIP_STORED if damage == "crc" else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(damaged, "w", method) as archive:
        archive.writestr("bag/bagit.txt", "BagIt-Version: 1.0\n")
        archive.writestr("bag/data/a.bin", b"a" * 100_000)
        start = archive.getinfo("bag/data/a.bin").header_offset + 30 + len("bag/data/a.bin")
    data = bytearray(damaged.read_bytes())
    if damage == "crc":
        data[start + 500] ^= 0x01
    else:
        data[start : start + 64] = b"\xff" * 64
    damaged.write_bytes(bytes(data))
    with pytest.raises(PackageError, match=r"data/a\.bin: cannot be read"):
        verify_package(damaged)
