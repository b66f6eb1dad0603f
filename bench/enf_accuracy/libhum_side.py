"""libhum in its own virtualenv, run as a subprocess: it is LGPL and only a yardstick, so it
never enters our environment or our code; we exchange WAV files and JSON with it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

DRIVER = Path(__file__).with_name("libhum_driver.py")
PACKAGE = "libhum"


def ensure_venv(venv: Path) -> tuple[Path | None, str]:
    """(python of a venv with libhum, its version) — created on first use; (None, why not)
    when it cannot be made."""
    python = venv / "bin" / "python"
    if not python.exists():
        base = shutil.which("python3") or sys.executable
        made = subprocess.run([base, "-m", "venv", str(venv)], capture_output=True, text=True)
        if made.returncode:
            return None, f"python3 -m venv failed: {made.stderr.strip()[-500:]}"
    check = [str(python), "-c", "import libhum.analysis, importlib.metadata as m; "
             f"print(m.version('{PACKAGE}'))"]  # fmt: skip
    found = subprocess.run(check, capture_output=True, text=True)
    if found.returncode:
        pip = [str(python), "-m", "pip", "install", "--quiet", PACKAGE]
        installed = subprocess.run(pip, capture_output=True, text=True)
        if installed.returncode:
            return None, f"pip install {PACKAGE} failed: {installed.stderr.strip()[-800:]}"
        found = subprocess.run(check, capture_output=True, text=True)
        if found.returncode:
            return None, f"libhum installed but not importable: {found.stderr.strip()[-500:]}"
    return python, found.stdout.strip()


def run_libhum(python: Path, files: list[Path], nominal: float, work: Path) -> dict[str, dict]:
    """libhum's result per file (keyed by the path as given), from one subprocess."""
    jobs, out = work / "libhum_jobs.json", work / "libhum_out.json"
    jobs.write_text(json.dumps({"nominal": nominal, "files": [str(f) for f in files]}))
    subprocess.run([str(python), str(DRIVER), str(jobs), str(out)], check=True)
    return json.loads(out.read_text())
