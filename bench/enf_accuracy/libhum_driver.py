"""Runs inside .venv-libhum (never imported by earwitness): libhum's ENF track for WAV files.

libhum (LGPL-3.0) is used as an external comparison only, through its public API
(``libhum.io.read_audio`` and ``libhum.analysis.compute_enf``, as its ``compute_enf`` command
does); none of its code is copied. Usage:

    .venv-libhum/bin/python libhum_driver.py JOBS.json OUT.json

JOBS.json: {"nominal": 50.0, "files": [path, ...]}. OUT.json: per path, the track (Hz, null
where libhum masks a point as unreliable), its rate (points per second), the harmonics it
combined, and the seconds spent reading and computing.
"""

from __future__ import annotations

import json
import os
import sys
import time

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # one core, as our side is measured

import numpy as np  # noqa: E402
from libhum.analysis import compute_enf  # noqa: E402
from libhum.io import read_audio  # noqa: E402


def one(path: str, nominal: float) -> dict:
    started = time.perf_counter()
    samples, rate = read_audio(path)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    result = compute_enf(samples, rate, network_frequency=nominal)
    compute_s = time.perf_counter() - started
    if result is None:
        return {"freqs": None, "read_s": read_s, "compute_s": compute_s}
    enf = result.enf
    values = np.ma.filled(enf.signal.astype(np.float64), np.nan) + enf.network_frequency
    return {
        "freqs": [None if not np.isfinite(v) else float(v) for v in values],
        "rate": float(enf.signal_frequency),
        "harmonic": int(result.frequency_harmonic),
        "extra_harmonics": [int(h) for h in result.extra_frequency_harmonics],
        "read_s": read_s,
        "compute_s": compute_s,
    }


def main() -> None:
    jobs_path, out_path = sys.argv[1], sys.argv[2]
    with open(jobs_path) as handle:
        jobs = json.load(handle)
    out = {path: one(path, float(jobs["nominal"])) for path in jobs["files"]}
    with open(out_path, "w") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    main()
