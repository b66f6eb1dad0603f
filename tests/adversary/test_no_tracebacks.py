"""Every command, given broken inputs, answers in one line and never with a traceback.

A broken case of each kind (no case, corrupt catalog, malformed log line, torn log tail,
missing object, read-only log, garbage or RSA signing key) is built once per session and
copied for each test; every command that reads a case is run on every kind in a real
subprocess. Then bad paths and options, once each. The slow commands (report, transcribe,
publish) only get inputs that fail before any model loads.

Then, for each traceback the issue's table lists, a test of the exact answer: the file named,
the problem said, a non-zero exit, and the case left byte for byte as it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.helpers import EARWITNESS
from tests.conftest import write_wav

TRACEBACK = "Traceback (most recent call last)"
EXIT_USAGE = 2


@dataclass(frozen=True)
class Kit:
    """A case, the config folder holding its key, and an input file outside it."""

    root: Path
    case: Path
    config: Path
    wav: Path

    @property
    def meta(self) -> Path:
        return self.case / ".earwitness"

    @property
    def log(self) -> Path:
        return self.meta / "custody.jsonl"

    def signing_keys(self) -> list[Path]:
        return sorted(self.config.rglob("signing-key*.pem"))

    def earwitness(self, *args: str | Path) -> subprocess.CompletedProcess:
        env = os.environ.copy()
        env.pop("EARWITNESS_CASE", None)
        env.update(XDG_CONFIG_HOME=str(self.config), EARWITNESS_ACTOR="tester@lab", CI="true")
        env["EARWITNESS_PASSPHRASE"] = "correct horse battery staple"  # lock never prompts
        return subprocess.run(
            [*EARWITNESS, *map(str, args)],
            cwd=self.root,  # outside the case: only --case finds it
            stdin=subprocess.DEVNULL,  # a prompt must fail, not wait
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and its SHA-256: to show a command changed nothing."""
    if not folder.exists():
        return {}
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    root = tmp_path_factory.mktemp("no-tracebacks")
    kit = Kit(root, root / "case", root / "config", write_wav(root / "input.wav", 0.3))
    kit.config.mkdir()
    for args in (("init", kit.case), ("ingest", "--case", kit.case, kit.wav)):
        done = kit.earwitness(*args)
        assert done.returncode == 0, done.stderr
    return kit


def _chattr(flag: str, path: Path) -> bool:
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    return subprocess.run([chattr, flag, str(path)], capture_output=True).returncode == 0


def _object(kit: Kit) -> Path:
    return next(path for path in (kit.meta / "objects").rglob("*") if path.is_file())


def _rsa_pem() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _replace_keys(kit: Kit, content: bytes) -> None:
    keys = kit.signing_keys()
    assert keys, "the case's signing key is not in the config folder"
    for key in keys:
        key.write_bytes(content)


def _readonly_log(kit: Kit) -> None:
    # As root, chmod 444 does not stop a write; the immutable attribute does (ext4, xfs…).
    if not _chattr("+i", kit.log):
        pytest.skip("cannot make the custody log immutable here (chattr +i refused)")


BREAK: dict[str, Callable[[Kit], object]] = {
    "no_case": lambda kit: shutil.rmtree(kit.meta),
    "corrupt_catalog": lambda kit: (kit.meta / "catalog.sqlite").write_bytes(os.urandom(4096)),
    "malformed_last_line": lambda kit: kit.log.write_bytes(kit.log.read_bytes() + b"not json\n"),
    "malformed_first_line": lambda kit: kit.log.write_bytes(b"{" + kit.log.read_bytes()),
    "torn_tail": lambda kit: kit.log.write_bytes(kit.log.read_bytes() + b'{"seq": 3, "ti'),
    "missing_object": lambda kit: _object(kit).unlink(),
    "readonly_log": _readonly_log,
    "garbage_key": lambda kit: _replace_keys(kit, b"-----BEGIN PRIVATE KEY-----\nxyz\n"),
    "rsa_key": lambda kit: _replace_keys(kit, _rsa_pem()),
}


@pytest.fixture
def copy_of(pristine: Kit, tmp_path: Path) -> Iterator[Callable[[str], Kit]]:
    """A fresh copy of the pristine kit, broken the named way."""
    made: list[Kit] = []

    def make(kind: str) -> Kit:
        root = tmp_path / kind
        shutil.copytree(pristine.root, root, symlinks=True)
        kit = Kit(root, root / "case", root / "config", root / "input.wav")
        made.append(kit)
        if kind != "intact":
            BREAK[kind](kit)
        return kit

    yield make
    for kit in made:
        if kit.log.exists():
            _chattr("-i", kit.log)


# Commands that read or write a case; ``{wav}``, ``{out}`` and ``{ref}`` are filled in.
CASE_COMMANDS: list[list[str]] = [
    ["log"],
    ["log", "--json", "{ref}"],
    ["exhibits"],
    ["exhibits", "--json"],
    ["ingest", "{wav}"],
    ["verify"],
    ["reindex"],
    ["export", "-o", "{out}/bag.zip"],
    ["export", "-o", "{out}/bag"],
    ["export", "--format", "ftm", "-o", "{out}/entities.ftm"],
    ["examine", "{ref}", "--format", "json", "-o", "{out}/exam.json"],
    ["anchor", "-o", "{out}/anchor.json"],
    ["keys", "show"],
    ["keys", "list"],
    ["keys", "rotate"],
    ["disclose", "{ref}"],
    ["lock"],
    ["unlock"],
    ["transcribe", "{ref}", "--model", "{out}/no-such-model"],
    ["carry-review", "{ref}", "--by", "clara"],
    ["user", "list"],
]


def _fill(args: list[str], kit: Kit) -> list[str]:
    values = {"wav": str(kit.wav), "out": str(kit.root / "out"), "ref": "input.wav"}
    return [arg.format(**values) for arg in args]


def _one_line_answer(result: subprocess.CompletedProcess) -> None:
    output = result.stdout + result.stderr
    assert TRACEBACK not in output, output
    if result.returncode != 0:
        assert output.strip(), f"failed (rc {result.returncode}) without saying why"
        assert result.returncode != 130, f"taken for an interruption:\n{output}"


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(BREAK))
@pytest.mark.parametrize("command", CASE_COMMANDS, ids=lambda args: "-".join(args[:2]))
def test_no_command_answers_a_broken_case_with_a_traceback(
    copy_of: Callable[[str], Kit], kind: str, command: list[str]
) -> None:
    if command[0] == "transcribe" and kind not in ("no_case", "malformed_last_line"):
        pytest.skip("transcribe on a readable case would load a model")
    kit = copy_of(kind)
    (kit.root / "out").mkdir()
    result = kit.earwitness(*_fill(command, kit), "--case", kit.case)
    _one_line_answer(result)


BAD_INPUTS: list[list[str]] = [
    ["ingest", "{root}/no-such-file.wav"],
    ["ingest", "/proc/self/mem"],
    ["examine", "no-such-exhibit"],
    ["examine", "{ref}", "-o", "/nonexistent/x.html", "--format", "html"],
    ["examine", "{ref}", "--format", "json", "-o", "/proc/earwitness.json"],
    ["transcribe", "{ref}", "--language", "xx"],
    ["transcribe", "{ref}", "-o", "/nonexistent/x.txt"],
    ["transcribe", "{ref}", "--model", "/nonexistent/model"],
    ["report", "{wav}", "--language", "xx"],
    ["report", "{root}/no-such-file.wav"],
    ["publish", "{ref}", "-o", "/nonexistent/x.mp4"],
    ["export", "-o", "/proc/earwitness-bag"],
    ["export", "-o", "/proc/earwitness.zip"],
    ["export", "-o", "{case}"],
    ["export", "--format", "ftm", "-o", "{root}"],
    ["export", "--format", "ftm", "-o", "/proc/x/entities.ftm"],
    ["export", "no-such-exhibit", "-o", "{root}/bag.zip"],
    ["verify-package", "{root}/no-such-package.zip"],
    ["verify-package", "{wav}"],
    ["verify-package", "{root}"],
    ["verify", "--anchor", "{root}/no-such-anchor.json"],
    ["verify", "--anchor", "{wav}"],
    ["anchor", "-o", "/nonexistent/anchor.json"],
    ["keys", "trust", "not-a-fingerprint"],
    ["keys", "trust", "{wav}"],
    ["keys", "untrust", "nobody-at-all"],
    ["disclose", "no-such-exhibit"],
    ["disclose", "{ref}", "-o", "/nonexistent/disclosed.json"],
    ["init", "/proc/earwitness-case"],
    ["log", "no-such-exhibit"],
    ["signoff", "no-such-exhibit", "--name", "A. Examiner", "--role", "examiner"],
    ["signoff", "{ref}", "--name", " ", "--role", "examiner"],
    ["carry-review", "no-such-exhibit", "--by", "clara"],
    ["carry-review", "{ref}", "--by", " "],
    ["carry-review", "{ref}", "--by", "clara", "--from", "\u202eff"],
    ["serve", "--db", "mysql://x/y"],
    ["user", "add", "bad name", "--role", "owner", "--password-stdin"],
]


@pytest.mark.slow
@pytest.mark.parametrize("command", BAD_INPUTS, ids=lambda args: "-".join(args)[:60])
def test_no_command_answers_bad_paths_or_options_with_a_traceback(
    copy_of: Callable[[str], Kit], command: list[str]
) -> None:
    kit = copy_of("intact")
    values = {"wav": kit.wav, "root": kit.root, "case": kit.case, "ref": "input.wav"}
    args = [arg.format(**values) for arg in command]
    where: list[str | Path] = ["--case", kit.case] if _takes_case(args[0]) else []
    result = kit.earwitness(*args, *where)
    _one_line_answer(result)
    assert result.returncode != 0, result.stdout + result.stderr


def _takes_case(command: str) -> bool:
    return command not in ("init", "verify-package", "keys", "models")


def test_the_walk_covers_every_command() -> None:
    from earwitness.cli import cli

    walked = {args[0] for args in CASE_COMMANDS + BAD_INPUTS}
    assert set(cli.commands) - walked <= {"models"}, set(cli.commands) - walked


# --- The tracebacks of the table, each answered exactly -------------------------------


def _unchanged_after(kit: Kit, *args: str | Path) -> subprocess.CompletedProcess:
    before = snapshot(kit.case)
    result = kit.earwitness(*args)
    assert TRACEBACK not in result.stdout + result.stderr, result.stderr
    assert result.returncode != 0, result.stdout
    assert snapshot(kit.case) == before, "the command changed the case"
    return result


@pytest.mark.parametrize("command", [["log"], ["ingest", "{wav}"], ["exhibits"]])
def test_a_malformed_log_line_is_one_line_naming_the_file_and_line(
    copy_of: Callable[[str], Kit], command: list[str]
) -> None:
    kit = copy_of("malformed_last_line")
    result = _unchanged_after(kit, *_fill(command, kit), "--case", kit.case)
    [line] = result.stderr.splitlines()
    assert line.startswith(f"earwitness: error: {kit.log}: ")
    assert "line 3: not valid JSON" in line


def test_a_corrupt_catalog_is_reported_by_verify_and_refused_by_ingest(
    copy_of: Callable[[str], Kit],
) -> None:
    kit = copy_of("corrupt_catalog")
    checked = _unchanged_after(kit, "verify", "--case", kit.case)
    assert "PROBLEM [catalog_unreadable]" in checked.stdout
    assert str(kit.meta / "catalog.sqlite") in checked.stdout
    refused = _unchanged_after(kit, "ingest", kit.wav, "--case", kit.case)
    assert f"earwitness: error: {kit.meta / 'catalog.sqlite'}: the catalog cannot be read" in (
        refused.stderr
    )


@pytest.mark.parametrize(
    "command",
    [
        ["ingest", "{wav}"],
        ["export", "--format", "ftm", "-o", "{out}/entities.ftm"],
        ["examine", "{ref}", "--format", "json", "-o", "{out}/exam.json"],
    ],
)
def test_a_read_only_log_refuses_every_write_in_one_line(
    copy_of: Callable[[str], Kit], command: list[str]
) -> None:
    kit = copy_of("readonly_log")
    (kit.root / "out").mkdir()
    result = _unchanged_after(kit, *_fill(command, kit), "--case", kit.case)
    assert f"earwitness: error: {kit.log}: the custody log cannot be written" in result.stderr
    assert not (kit.root / "out" / "entities.ftm").exists()


@pytest.mark.parametrize("command", [["transcribe", "{ref}"], ["report", "{wav}"]])
def test_an_unknown_language_is_a_usage_error_listing_the_codes(
    copy_of: Callable[[str], Kit], command: list[str]
) -> None:
    kit = copy_of("intact")
    result = _unchanged_after(kit, *_fill(command, kit), "--language", "xx", "--case", kit.case)
    assert result.returncode == EXIT_USAGE
    assert "'xx' is not a language Whisper knows" in result.stderr
    assert "ru, sa" in result.stderr  # the valid codes are listed
    assert not (kit.root / "earwitness-report").exists()


def test_examine_to_a_missing_folder_fails_before_examining(
    copy_of: Callable[[str], Kit],
) -> None:
    kit = copy_of("intact")
    result = _unchanged_after(
        kit, "examine", "input.wav", "-o", "/nonexistent/x.html", "--format", "html",
        "--case", kit.case,
    )  # fmt: skip
    assert result.returncode == EXIT_USAGE
    assert "/nonexistent/x.html: folder /nonexistent does not exist" in result.stderr


def test_ftm_export_with_a_missing_object_names_it_and_writes_nothing(
    copy_of: Callable[[str], Kit],
) -> None:
    kit = copy_of("missing_object")
    target = kit.root / "entities.ftm"
    result = _unchanged_after(kit, "export", "--format", "ftm", "-o", target, "--case", kit.case)
    assert "missing from the case's store" in result.stderr or "missing" in result.stderr
    assert not target.exists()
    assert not [p for p in kit.root.iterdir() if p.name.startswith(".earwitness-ftm-")]


def test_ftm_export_onto_a_folder_writes_and_logs_nothing(copy_of: Callable[[str], Kit]) -> None:
    kit = copy_of("intact")
    result = _unchanged_after(kit, "export", "--format", "ftm", "-o", kit.root, "--case", kit.case)
    assert f"earwitness: error: {kit.root}: is a folder" in result.stderr
