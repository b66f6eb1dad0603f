"""Attack (or accident): an export that fails or is interrupted half way.

Before: a hidden ``.earwitness-bag-*`` copy of all the evidence was left beside the destination,
the log recorded an export that did not exist, and a missing object or an unwritable folder
ended in a traceback. Now the bag is written straight into a partial file (or hidden folder)
beside the destination and renamed when complete; the export event, signed first, ends the
bag's own log and reaches the case's log only then. Any failure leaves nothing behind.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from earwitness.vault import custody
from tests.cli.helpers import EARWITNESS, run
from tests.conftest import write_wav


@pytest.fixture
def case_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "case"
    run("init", folder, check=True)
    wavs = [write_wav(tmp_path / "in" / f"call {n}.wav", 40.0, seed=n) for n in range(2)]
    run("ingest", "--case", folder, *wavs, check=True)
    return folder


def vault_state(case_dir: Path) -> dict[str, bytes | None]:
    """What an export may not change when it fails: the log, the keys, the objects."""
    meta = case_dir / ".earwitness"
    state: dict[str, bytes | None] = {"custody.jsonl": (meta / "custody.jsonl").read_bytes()}
    for path in sorted((meta / "keys").iterdir()):
        state[f"keys/{path.name}"] = path.read_bytes()
    for path in sorted((meta / "objects").rglob("*")):
        state[str(path.relative_to(meta))] = None
    return state


def exhibit_objects(case_dir: Path) -> list[Path]:
    ingests = [
        event
        for event in custody.iter_events(case_dir / ".earwitness" / "custody.jsonl")
        if event.action == "ingest"
    ]
    objects = case_dir / ".earwitness" / "objects"
    return [objects / event.exhibit[:2] / event.exhibit[2:] for event in ingests if event.exhibit]


def one_line_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("earwitness: error: ")
    for text in expected:
        assert text in line


def test_a_destination_below_a_file_is_one_line_and_changes_nothing(
    case_dir: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file, not a folder")
    before = vault_state(case_dir)
    result = run("export", "--case", case_dir, "-o", blocker / "deeper" / "bag.zip")
    one_line_error(result, "export failed", "nothing was exported or logged")
    assert vault_state(case_dir) == before
    assert blocker.read_text() == "a file, not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_an_unwritable_folder_is_one_line_and_changes_nothing(
    case_dir: Path, tmp_path: Path
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    before = vault_state(case_dir)
    result = run("export", "--case", case_dir, "-o", locked / "bag.zip")
    one_line_error(result, "export failed", "Permission denied")
    assert vault_state(case_dir) == before
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("name", ["bag.zip", "bag"])
def test_a_full_disk_leaves_no_partial_output_and_no_event(
    case_dir: Path, tmp_path: Path, name: str
) -> None:
    """A file size limit makes every write past 500 kB of a file fail, as a full disk would:
    the case's own files stay below it, the first original (640 kB) does not."""
    out = tmp_path / "out"
    out.mkdir()
    before = vault_state(case_dir)

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (500_000, 500_000))

    result = subprocess.run(
        [*EARWITNESS, "export", "--case", str(case_dir), "-o", str(out / "new" / name)],
        capture_output=True,
        text=True,
        preexec_fn=limit_file_size,
        timeout=120,
    )
    one_line_error(result, "export failed", "File too large", "nothing was exported or logged")
    assert list(out.iterdir()) == []  # no partial file, no hidden folder, no "new/"
    assert vault_state(case_dir) == before


def test_a_missing_object_is_one_line_and_changes_nothing(case_dir: Path, tmp_path: Path) -> None:
    second = exhibit_objects(case_dir)[1]
    os.chmod(second.parent, 0o755)
    second.unlink()
    before = vault_state(case_dir)
    result = run("export", "--case", case_dir, "-o", tmp_path / "out" / "bag.zip")
    one_line_error(result, "export refused: original 'call 1.wav'", "the stored object is missing")
    assert vault_state(case_dir) == before
    assert not (tmp_path / "out").exists()


def _as_from_a_terminal() -> None:
    """Ctrl-C reaches the command as it would from a shell, whatever the test runner's own
    process blocks or ignores (a pytest-xdist worker's mask and dispositions are inherited)."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("name", ["bag.zip", "bag"])
def test_an_interrupted_export_leaves_nothing(case_dir: Path, tmp_path: Path, name: str) -> None:
    """The second original is a pipe nobody writes to: the export blocks on it, half written,
    until it is interrupted as a user's Ctrl-C would."""
    second = exhibit_objects(case_dir)[1]
    os.chmod(second.parent, 0o755)
    second.unlink()
    os.mkfifo(second)
    before = vault_state(case_dir)
    out = tmp_path / "out"
    out.mkdir()
    process = subprocess.Popen(
        [*EARWITNESS, "export", "--case", str(case_dir), "-o", str(out / name)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_terminal,
    )
    deadline = time.monotonic() + 60
    while not any(p.name.startswith((f"{name}.part-", f".{name}.part-")) for p in out.iterdir()):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.05)
    time.sleep(0.3)  # let it reach the pipe, with the first original already written
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert list(out.iterdir()) == []
    assert vault_state(case_dir) == before


@pytest.mark.parametrize("name", ["bag.zip", "bag"])
def test_a_finished_export_is_logged_once_and_ends_its_own_log(
    case_dir: Path, tmp_path: Path, name: str
) -> None:
    log = case_dir / ".earwitness" / "custody.jsonl"
    before = log.read_bytes()
    run("export", "--case", case_dir, "-o", tmp_path / name, check=True)

    after = log.read_bytes()
    assert after.startswith(before)
    [added] = after[len(before) :].splitlines(keepends=True)
    event = custody.parse_line(added.rstrip(b"\n"), 0)
    assert event.action == "export"
    if name.endswith(".zip"):
        with zipfile.ZipFile(tmp_path / name) as archive:
            bag_log = archive.read("bag/data/custody/custody.jsonl")
    else:
        bag_log = (tmp_path / name / "data" / "custody" / "custody.jsonl").read_bytes()
    assert bag_log == after  # the package's log is the case's, ending with its own export
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["case", "in", name])
