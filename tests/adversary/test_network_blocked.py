"""Attack: learn that a machine holds a leak from what Earwitness sends or leaves behind.

The whole ``report`` (ingest, examination, transcription with the packaged model, dossier) runs
on the bundled sample in a network namespace of its own (``unshare --net``: no interface but a
loopback that is down, so every connection and every name lookup fails), with HOME, the XDG
folders and TMPDIR pointed at fresh folders. It must succeed, and afterwards the only files
outside the case are the signer's config (``$XDG_CONFIG_HOME/earwitness``) and Earwitness's own
cache (``$XDG_CACHE_HOME/earwitness``: the joined model and matplotlib's font list); no
onnxruntime device id or telemetry queue, nothing left in TMPDIR or HOME.

Where no network namespace can be made (no util-linux ``unshare``, no root and no user
namespaces) the test is skipped with that reason: a block we cannot enforce proves nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SAMPLE = REPO / "samples" / "briefing-en.wav"
# The namespace makes every attempt fail, so a library that tried and gave up quietly would
# still pass; this audit hook, installed before Earwitness is imported, reports each attempt
# made from Python (name lookups, connections other than local sockets) on stderr.
_WATCHED = """
import socket, sys
def watch(event, args):
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.sendto") or (
        event == "socket.connect" and args[0].family != socket.AF_UNIX
    ):
        print("NETWORK ATTEMPT:", event, args[1:], file=sys.stderr)
sys.addaudithook(watch)
from earwitness.cli import main
main()
"""
# Variables that could point Earwitness or a library at folders outside the fresh ones.
_UNSET = ("EARWITNESS_MODEL_CACHE", "EARWITNESS_CASE", "MPLCONFIGDIR", "HF_HOME", "HF_HUB_CACHE")


def _isolating_prefix() -> list[str]:
    """A command prefix that runs its command without any network, or skip the test."""
    if shutil.which("unshare") is None:
        pytest.skip("util-linux unshare is not installed: cannot block the network for real")
    for prefix in (["unshare", "--net"], ["unshare", "--net", "--map-root-user"]):
        tried = subprocess.run([*prefix, "true"], capture_output=True, timeout=30)
        if tried.returncode == 0:
            return prefix
    pytest.skip("unshare --net is not permitted here (needs root or user namespaces)")


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir()}


@pytest.mark.slow
def test_report_runs_with_the_network_blocked_and_leaves_nothing_outside(
    tmp_path: Path,
) -> None:
    prefix = _isolating_prefix()
    home, config, cache, temporary, work = (
        tmp_path / name for name in ("home", "config", "cache", "tmp", "work")
    )
    for folder in (home, config, cache, temporary, work):
        folder.mkdir()
    shutil.copy(SAMPLE, work / SAMPLE.name)
    env = {key: value for key, value in os.environ.items() if key not in _UNSET}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(config),
        XDG_CACHE_HOME=str(cache),
        TMPDIR=str(temporary),
        EARWITNESS_ACTOR="desk-7",
    )

    # The block is real: from inside, no address can be reached.
    probe = "import socket; socket.create_connection(('192.0.2.1', 443), timeout=5)"
    blocked = subprocess.run(
        [*prefix, sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    assert blocked.returncode != 0 and "unreachable" in blocked.stderr, blocked.stderr

    result = subprocess.run(
        [*prefix, sys.executable, "-c", _WATCHED, "report", SAMPLE.name, "-o", "dossiers"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "language en" in result.stdout
    assert "NETWORK ATTEMPT" not in result.stderr, result.stderr

    assert _files(home) == set()
    assert _files(temporary) == set()
    assert not (cache / "Microsoft").exists()
    assert {Path(name).parts[0] for name in _files(config)} == {"earwitness"}
    cached = _files(cache)
    models = {name for name in cached if name.startswith("earwitness/models/")}
    fonts = {name for name in cached if name.startswith("earwitness/matplotlib/fontlist-")}
    assert cached == models | fonts, cached - models - fonts
    assert {Path(name).name for name in models} == {
        "model.bin",
        "config.json",
        "tokenizer.json",
        "vocabulary.txt",
    }
    assert len(fonts) <= 1
    assert {Path(name).parts[0] for name in _files(work)} == {SAMPLE.name, "dossiers"}
    assert (work / "dossiers" / ".earwitness" / "custody.jsonl").is_file()
