"""Attacks on intake: what a folder holds besides plain readable files, and files that change
while they are read.

Before: symlinks and unreadable subfolders were skipped silently (rc 0), one unreadable file
refused the batch, and a file rewritten in place with its mtime restored was stored as a copy
matching neither version. Now each entry not taken in is one line (rc 3), the rest is
ingested, and a file whose size, mtime, ctime, inode or device moved during the read is refused
before its copy enters the store.

Unreadable entries: the tests run as root, whom ``chmod 000`` does not stop. The CLI is run
with the capabilities that let root ignore permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)
dropped from its bounding set by ``setpriv``, so the kernel really refuses the reads; as any
other user a plain ``chmod 000`` does the same.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from earwitness.vault.case import Case
from earwitness.vault.intake import IntakeProblem, Status, ingest_paths, preserve
from tests.cli.helpers import EARWITNESS, run
from tests.conftest import write_wav

EXIT_WARNINGS = 3
_NO_OVERRIDE = ["--inh-caps=-dac_override,-dac_read_search"]
_NO_OVERRIDE += ["--bounding-set=-dac_override,-dac_read_search"]


def run_as_if_unprivileged(*args: str | Path) -> subprocess.CompletedProcess:
    """Run the CLI so that file permissions bind it, even when the tests run as root."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot make a file unreadable")
        prefix = [setpriv, *_NO_OVERRIDE]
    return subprocess.run(
        [*prefix, *EARWITNESS, *map(str, args)],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


def skipped_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("earwitness: skipped: ")]


def ingested_names(case_dir: Path) -> set[str]:
    case = Case.open(case_dir)
    with case.session() as session:
        from earwitness.vault.catalog import Intake

        return {row.original_name for row in session.query(Intake)}


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "case"
    run("init", folder, check=True)
    return folder


def test_symlinks_in_a_folder_are_reported_one_line_each_and_the_rest_ingested(
    case_dir: Path, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    write_wav(drop / "real.wav", 0.2, seed=1)
    elsewhere = write_wav(tmp_path / "elsewhere" / "secret.wav", 0.2, seed=2)
    (drop / "link.wav").symlink_to(elsewhere)
    (drop / "linked-folder").symlink_to(elsewhere.parent, target_is_directory=True)

    result = run("ingest", "--case", case_dir, drop)

    assert result.returncode == EXIT_WARNINGS, result.stderr
    lines = skipped_lines(result.stderr)
    assert len(lines) == 2
    assert any(str(drop / "link.wav") in line and "symbolic link" in line for line in lines)
    assert any(str(drop / "linked-folder") in line for line in lines)
    assert "2 skipped" in result.stderr
    assert ingested_names(case_dir) == {"real.wav"}


def test_unreadable_subfolder_and_file_are_reported_and_the_rest_ingested(
    case_dir: Path, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    write_wav(drop / "readable.wav", 0.2, seed=1)
    write_wav(drop / "sealed" / "inside.wav", 0.2, seed=2)
    locked = write_wav(drop / "locked.wav", 0.2, seed=3)
    (drop / "sealed").chmod(0)
    locked.chmod(0)
    try:
        result = run_as_if_unprivileged("ingest", "--case", case_dir, drop)
    finally:
        (drop / "sealed").chmod(0o755)
        locked.chmod(0o644)

    assert "Traceback" not in result.stderr
    assert result.returncode == EXIT_WARNINGS, result.stderr
    lines = skipped_lines(result.stderr)
    assert len(lines) == 2, result.stderr
    assert any(str(drop / "sealed") in line and "Permission denied" in line for line in lines)
    assert any(str(locked) in line and "Permission denied" in line for line in lines)
    assert ingested_names(case_dir) == {"readable.wav"}


def test_an_unreadable_file_named_on_the_command_line_fails_alone(
    case_dir: Path, tmp_path: Path
) -> None:
    good = write_wav(tmp_path / "good.wav", 0.2, seed=1)
    locked = write_wav(tmp_path / "locked.wav", 0.2, seed=2)
    locked.chmod(0)
    try:
        result = run_as_if_unprivileged("ingest", "--case", case_dir, locked, good)
    finally:
        locked.chmod(0o644)
    assert result.returncode == 1, result.stderr
    assert f"earwitness: error: {locked}: cannot read (Permission denied)" in result.stderr
    assert ingested_names(case_dir) == {"good.wav"}


def test_pipes_and_sockets_in_a_folder_are_skipped_without_blocking(
    case_dir: Path, tmp_path: Path
) -> None:
    drop = tmp_path / "drop"
    write_wav(drop / "take.wav", 0.2)
    os.mkfifo(drop / "pipe")  # opening it for reading would wait forever for a writer
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(drop / "sock"))
    try:
        result = run("ingest", "--case", case_dir, drop)
    finally:
        server.close()
    assert result.returncode == EXIT_WARNINGS, result.stderr
    lines = skipped_lines(result.stderr)
    assert any("pipe" in line and "named pipe" in line for line in lines)
    assert any("sock" in line and "a socket" in line for line in lines)
    assert ingested_names(case_dir) == {"take.wav"}


def rewrite_in_place_keeping_mtime(path: Path) -> None:
    """What an adversary does to a file mid-read: same size, new bytes, mtime set back."""
    old = path.stat()
    data = bytearray(path.read_bytes())
    data[-100:] = bytes(100)
    with open(path, "r+b") as handle:
        handle.write(bytes(data))
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))


def test_a_file_rewritten_during_the_read_with_its_mtime_restored_is_refused(
    case: Case, tmp_path: Path
) -> None:
    path = write_wav(tmp_path / "moving.wav", 30.0)  # several read blocks
    time.sleep(0.05)  # file times tick with the kernel's coarse clock: let the next change show
    stored_before = set(case.store.iter_hashes())
    log_before = case.paths.custody.read_bytes()
    rewritten: list[bool] = []

    def during_read(_bytes: int) -> None:
        if not rewritten:
            rewrite_in_place_keeping_mtime(path)
            rewritten.append(True)

    with pytest.raises(IntakeProblem, match="changed while it was being read") as caught:
        preserve(case.store, path, during_read)
    assert "change time" in str(caught.value)
    assert "modification time" not in str(caught.value)  # the mtime was restored: ctime tells
    assert set(case.store.iter_hashes()) == stored_before  # no copy of the mix was kept

    [outcome] = ingest_paths(case, [path], on_bytes=lambda _n: None)  # now stable: taken in
    assert outcome.status in (Status.INGESTED, Status.WARNING)
    assert case.paths.custody.read_bytes().startswith(log_before)


def test_a_file_replaced_during_the_read_is_refused_and_nothing_logged(
    case: Case, tmp_path: Path
) -> None:
    path = write_wav(tmp_path / "swapped.wav", 30.0)
    decoy = write_wav(tmp_path / "decoy.wav", 30.0, seed=9)
    log_before = case.paths.custody.read_bytes()
    swapped: list[bool] = []

    def during_read(_bytes: int) -> None:
        if not swapped:
            os.replace(decoy, path)  # a new inode under the same name
            swapped.append(True)

    [outcome] = ingest_paths(case, [path], on_bytes=during_read)
    assert outcome.status is Status.ERROR
    assert "changed while it was being read" in outcome.message and "inode" in outcome.message
    assert case.paths.custody.read_bytes() == log_before
    assert stat.S_ISREG(path.stat().st_mode)
