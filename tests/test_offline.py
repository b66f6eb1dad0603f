"""The process-wide switches: hub offline, no onnxruntime telemetry, caches kept to our own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from earwitness.offline import FORCED, keep_offline, offline_environment


def test_the_switches_override_what_the_user_had() -> None:
    environ = {"HF_HUB_OFFLINE": "0", "ORT_DISABLE_TELEMETRY": "0", "XDG_CACHE_HOME": "/c"}
    keep_offline(environ)
    assert environ["HF_HUB_OFFLINE"] == "1" and environ["ORT_DISABLE_TELEMETRY"] == "1"
    assert environ["MPLCONFIGDIR"] == "/c/earwitness/matplotlib"
    assert FORCED.items() <= environ.items()


def test_a_matplotlib_folder_the_user_chose_is_kept() -> None:
    assert "MPLCONFIGDIR" not in offline_environment({"MPLCONFIGDIR": "/mine"})


def test_importing_earwitness_first_leaves_no_telemetry_behind(tmp_path: Path) -> None:
    """onnxruntime, imported after Earwitness and running the VAD model, writes nothing."""
    home, cache, temporary = (tmp_path / name for name in ("home", "cache", "tmp"))
    for folder in (home, cache, temporary):
        folder.mkdir()
    code = (
        "import earwitness, onnxruntime, huggingface_hub.constants as hub\n"
        "from earwitness.speech.models import vad_model_path\n"
        "onnxruntime.InferenceSession(str(vad_model_path()), providers=['CPUExecutionProvider'])\n"
        "print(hub.HF_HUB_OFFLINE, hub.HF_HUB_DISABLE_TELEMETRY)\n"
    )
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(cache),
        "TMPDIR": str(temporary),
        "HF_HUB_OFFLINE": "0",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert written == ["cache", "home", "tmp"]  # no Microsoft/…/deviceid, no $TMPDIR/.ses
