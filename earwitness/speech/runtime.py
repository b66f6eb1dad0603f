"""What the speech engine ran on, recorded in each transcript beside the model's hash.

CTranslate2 chooses its matrix kernels by the CPU's instruction set (AVX-512, AVX2, AVX, NEON)
and Intel MKL chooses its own code paths by CPU vendor, so the same model on the same
recording can write another word on another machine: whisper-base read "министерства" on an
Intel AVX-512 machine and "стерства" on an AMD AVX2 one. The transcript says what it ran on,
so whoever reproduces it elsewhere knows why a word may differ. It is a record, not part of
the transcript's identity (its parameters): a case moved to another machine reuses its
transcripts rather than rewriting them unasked.
"""

from __future__ import annotations

import functools
import os
import platform
from pathlib import Path
from typing import Any

# The CPU features CTranslate2 and MKL dispatch on (x86 and Arm), as /proc/cpuinfo names them.
KERNEL_FEATURES = (
    "sse4_1",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512cd",
    "avx512bw",
    "avx512dq",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "amx_int8",
    "amx_bf16",
    "asimd",
    "asimddp",
    "sve",
)
# Settings that override the kernels' choice; recorded only when set.
KERNEL_SETTINGS = (
    "CT2_FORCE_CPU_ISA",
    "CT2_USE_MKL",
    "MKL_CBWR",
    "MKL_ENABLE_INSTRUCTIONS",
    "MKL_DEBUG_CPU_TYPE",
)
_CPUINFO = Path("/proc/cpuinfo")
_LONGEST_FIELD = 200  # a model name is a few dozen characters; the file is the kernel's


def cpu_from_cpuinfo(text: str) -> dict[str, Any]:
    """The first processor's model, vendor and kernel-relevant features in ``/proc/cpuinfo``
    text (x86: "model name", "vendor_id", "flags"; Arm: "CPU implementer", "Features").
    Unknown or missing fields are left out; never raises."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break  # the first processor's block is enough: all cores of a machine match
            continue
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip().lower(), value.strip())
    found: dict[str, Any] = {}
    model = fields.get("model name") or fields.get("cpu model") or fields.get("processor", "")
    if model and not model.isdigit():
        found["model"] = model[:_LONGEST_FIELD]
    vendor = fields.get("vendor_id") or fields.get("cpu implementer")
    if vendor:
        found["vendor"] = vendor[:_LONGEST_FIELD]
    flags = set((fields.get("flags") or fields.get("features") or "").split())
    found["features"] = [name for name in KERNEL_FEATURES if name in flags]
    return found


@functools.cache
def engine_runtime(device: str) -> dict[str, Any]:
    """The record a transcript keeps of where its engine ran: CTranslate2's version, the
    machine's architecture, for a CPU its model, vendor and features, and any kernel setting
    in the environment."""
    import ctranslate2

    record: dict[str, Any] = {
        "engine": f"ctranslate2 {ctranslate2.__version__}",
        "device": device,
        "machine": platform.machine(),
    }
    if device == "cpu":
        try:
            cpu = cpu_from_cpuinfo(_CPUINFO.read_text("utf-8", errors="replace"))
        except OSError:  # not Linux: what the platform says, which is less
            cpu = {"model": platform.processor()} if platform.processor() else {}
        record["cpu"] = cpu
    settings = {
        name: os.environ[name][:_LONGEST_FIELD] for name in KERNEL_SETTINGS if name in os.environ
    }
    if settings:
        record["kernel_settings"] = settings
    return record


# The widest vector instructions a CPU offers, widest first, as people name them.
_WIDEST = (
    ("avx512f", "AVX-512"),
    ("avx2", "AVX2"),
    ("avx", "AVX"),
    ("sse4_1", "SSE4.1"),
    ("sve", "SVE"),
    ("asimd", "NEON"),
)


def runtime_phrase(record: object) -> str | None:
    """A stored transcript's runtime record as a reader's phrase: "ctranslate2 4.8.5 on cpu,
    AMD EPYC (x86_64, AVX2)". The record is read as hostile (it comes from a stored
    artefact): None unless it is a mapping of strings as ``engine_runtime`` writes it."""
    if not isinstance(record, dict):
        return None
    engine, device = record.get("engine"), record.get("device")
    if not isinstance(engine, str) or not isinstance(device, str):
        return None
    said = f"{engine[:_LONGEST_FIELD]} on {device[:20]}"
    cpu = record.get("cpu")
    if isinstance(cpu, dict):
        details = [str(record.get("machine") or "")[:20]]
        features = cpu.get("features")
        if isinstance(features, list):
            details += [name for flag, name in _WIDEST if flag in features][:1]
        model = cpu.get("model")
        inside = ", ".join(d for d in details if d)
        if isinstance(model, str) and model:
            said += f", {model[:_LONGEST_FIELD]}"
        if inside:
            said += f" ({inside})"
    settings = record.get("kernel_settings")
    if isinstance(settings, dict) and settings:
        said += "; " + ", ".join(
            f"{str(k)[:40]}={str(v)[:60]}" for k, v in list(settings.items())[:5]
        )
    return said
