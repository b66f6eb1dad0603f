"""No network, no telemetry, no traces outside our own folders: set for the whole process.

Earwitness handles leaked recordings; a request to a model hub, a telemetry upload or a device
id left in someone else's cache can tell a third party that this machine holds them. The
libraries under the speech stack read their switches from the environment, most of them once,
when they are first imported, so ``keep_offline`` runs from ``earwitness/__init__.py``, before
any of them can be imported through us:

* **Hugging Face hub** (faster-whisper resolves hub names with it): offline, no telemetry, no
  token sent. Earwitness never downloads a model anyway (``speech.models``); this also stops
  the hub library from asking the network whether a cached model is current.
* **onnxruntime** (Silero VAD): its import otherwise starts Microsoft's telemetry client,
  which writes a device id and an event queue under ``$XDG_CACHE_HOME/Microsoft/`` and a
  session file ``$TMPDIR/.ses``. ``ORT_DISABLE_TELEMETRY`` is the only switch read early enough;
  ``onnxruntime.disable_telemetry_events()`` comes after those files are written.
* **matplotlib** (plots) keeps its font cache under Earwitness's own cache folder instead of
  ``~/.cache/matplotlib``, unless the user chose a place with ``MPLCONFIGDIR``.

Variables we force are overwritten whatever they were: a user cannot turn the network on by
accident with a leftover ``HF_HUB_OFFLINE=0``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

FORCED: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "DO_NOT_TRACK": "1",
    "ORT_DISABLE_TELEMETRY": "1",
}


def own_cache_root(environ: MutableMapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/earwitness`` (default ``~/.cache/earwitness``)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "earwitness"


def offline_environment(environ: MutableMapping[str, str]) -> dict[str, str]:
    """The variables ``keep_offline`` sets, given the environment as it is."""
    wanted = dict(FORCED)
    if not environ.get("MPLCONFIGDIR"):
        wanted["MPLCONFIGDIR"] = str(own_cache_root(environ) / "matplotlib")
    return wanted


def keep_offline(environ: MutableMapping[str, str] | None = None) -> None:
    """Set ``offline_environment`` in ``environ`` (the process's), and the same switches in
    the libraries already imported, should one have been imported before us."""
    environ = os.environ if environ is None else environ
    environ.update(offline_environment(environ))
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        for name in ("HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "HF_HUB_DISABLE_IMPLICIT_TOKEN"):
            setattr(constants, name, True)
    onnxruntime = sys.modules.get("onnxruntime")
    if onnxruntime is not None and hasattr(onnxruntime, "disable_telemetry_events"):
        onnxruntime.disable_telemetry_events()
