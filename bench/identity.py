"""Before/after identity: the examinations of the tamper benchmark and the transcripts of the
speech benchmark, captured with one version of the code and compared file by file with another.

    # once: the tamper recordings (bench/tamper/README.md), and the old code beside this one
    .venv/bin/python bench/tamper/generate.py --out bench/work/tamper --jobs 2
    git worktree add ../baseline c7db6e4
    # before and after (about 10 + 20 minutes each on 2 busy cores; --no-long saves 5-8)
    .venv/bin/python bench/identity.py capture --code ../baseline \\
        --out bench/work/identity/baseline
    .venv/bin/python bench/identity.py capture --code . --out bench/work/identity/current
    .venv/bin/python bench/identity.py compare bench/work/identity/baseline \\
        bench/work/identity/current

A capture runs the public command line, ``earwitness examine FILE --format json`` and
``earwitness transcribe FILE --format json --speakers none --language L``, outside any case, in
worker processes started as ``PYTHONPATH=CODE .venv/bin/python`` (each checks that it imported
``earwitness`` from CODE). The command line is the one interface both the old and the
redesigned code keep, so nothing here follows internal APIs. Each worker calls
``earwitness.cli.main`` once per file rather than starting a process per file: a start costs
seconds of imports, more than many examinations.

Files: OUT/tamper/CODEC/NAME.json (one per file of bench/work/tamper/manifest.jsonl) and
OUT/speech/SET/ITEM.json (the sets of bench/speech/run.py, "ours" only), plus OUT/capture.json
(code folder, commit, timings, failures). The speech inputs are the benchmark's own files, except
the two channels of the stereo recording, split into mono WAVs, and the long recordings, which
bench/speech/run.py builds and caches; ``prepare`` writes them and their list into
bench/work/identity/speech-inputs/ once, so that every capture reads the same bytes.

``compare A B`` exits 1 on any difference. Fields listed in ``VOLATILE`` are ignored; a key
present in B and absent in A is a new field, listed but never a difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import wave
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
TAMPER_DATA = ROOT / "bench" / "work" / "tamper"
SPEECH_INPUTS = ROOT / "bench" / "work" / "identity" / "speech-inputs"
SHORT_SETS = ("en-real", "ru-real", "ru-festival", "be-espeak", "uk-espeak")
LONG_SETS = ("long-en", "long-ru")

# Fields that change from run to run by design, as dotted paths from the top of a JSON file
# ("[]" stands for any list index). Everything else must be equal.
VOLATILE = (
    "created_at",  # examination: when it was made
    "processing.seconds",  # timings, should a transcript or examination ever carry them
    "processing.timings",
    "processing.runtime",  # where the engine ran (a record, not a result; speech/runtime.py)
    "timings",
)


# -- the jobs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    argv: list[str]  # earwitness command line, without -o
    out: str  # the JSON file to write


def safe_name(name: str) -> str:
    """A file name for an item name such as ``stereo_diarization.wav:LEFT``."""
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name)


def tamper_jobs(data: Path, out: Path, limit: int | None) -> list[Job]:
    with open(data / "manifest.jsonl", encoding="utf-8") as manifest:
        entries = [json.loads(line) for line in manifest if line.strip()]
    entries = entries[:limit] if limit else entries
    return [
        Job(
            ["examine", str((data / e["path"]).resolve()), "--format", "json"],
            str(out / "tamper" / f"{e['path']}.json"),
        )
        for e in entries
    ]


def speech_jobs(inputs: list[dict[str, str]], out: Path, sets: set[str]) -> list[Job]:
    return [
        Job(
            [
                *("transcribe", item["path"], "--format", "json", "--speakers", "none"),
                *("--language", item["language"]),
            ],
            str(out / "speech" / item["set"] / f"{safe_name(item['item'])}.json"),
        )
        for item in inputs
        if item["set"] in sets
    ]


# -- workers: run under PYTHONPATH=CODE ---------------------------------------------------------


def worker(code: Path, jobs_file: Path) -> int:
    """Run every job of ``jobs_file`` through ``earwitness.cli.main`` in this process; write
    the seconds each took and the failures beside it (JOBS.done.json)."""
    import earwitness

    imported = Path(earwitness.__file__).resolve()
    if not imported.is_relative_to(code.resolve()):
        raise SystemExit(f"earwitness was imported from {imported}, not from {code}")
    from earwitness.cli import main

    jobs = [Job(**job) for job in json.loads(jobs_file.read_text(encoding="utf-8"))]
    seconds: dict[str, float] = {}
    failures: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="identity-cwd-") as neutral:
        os.chdir(neutral)  # no case above it
        run_jobs(main, jobs, seconds, failures)
    done = {"earwitness": str(imported), "seconds": seconds, "failures": failures}
    jobs_file.with_suffix(".done.json").write_text(json.dumps(done, indent=1), encoding="utf-8")
    return 0


def run_jobs(
    main: Any, jobs: list[Job], seconds: dict[str, float], failures: dict[str, str]
) -> None:
    for job in jobs:
        Path(job.out).parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        try:
            main([*job.argv, "-o", job.out])
        except SystemExit as exc:
            if exc.code not in (0, None):
                failures[job.out] = f"exit {exc.code}"
        except Exception as exc:  # one broken file must not end the capture
            failures[job.out] = f"{exc.__class__.__name__}: {exc}"
        seconds[job.out] = round(time.perf_counter() - started, 3)
        if job.out not in failures and not Path(job.out).is_file():
            failures[job.out] = "no output written"


def child_env(code: Path, single_thread: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "EARWITNESS_CASE"}
    env["PYTHONPATH"] = str(code.resolve())
    if single_thread:  # as bench/tamper/run.py: one process per core, no oversubscription
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[name] = "1"
    return env


def run_workers(
    code: Path, jobs: list[Job], processes: int, scratch: Path, single_thread: bool
) -> dict[str, Any]:
    """Split ``jobs`` over ``processes`` workers (interleaved, so each gets a similar mix) and
    wait for them; the merged seconds and failures."""
    scratch.mkdir(parents=True, exist_ok=True)
    running = []
    for index in range(min(processes, len(jobs))):
        part = jobs[index::processes]
        jobs_file = scratch / f"jobs-{index}.json"
        jobs_file.write_text(json.dumps([job.__dict__ for job in part]), encoding="utf-8")
        log = open(scratch / f"worker-{index}.log", "w", encoding="utf-8")  # noqa: SIM115
        command = [str(PYTHON), str(Path(__file__).resolve()), "worker", "--code", str(code)]
        process = subprocess.Popen(
            [*command, str(jobs_file)],
            env=child_env(code, single_thread),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        running.append((process, jobs_file, log))
    merged: dict[str, Any] = {"seconds": {}, "failures": {}}
    for process, jobs_file, log in running:
        process.wait()
        log.close()
        done_file = jobs_file.with_suffix(".done.json")
        if process.returncode != 0 or not done_file.exists():
            tail = Path(log.name).read_text(encoding="utf-8")[-2000:]
            raise SystemExit(f"worker {jobs_file.name} failed ({process.returncode}):\n{tail}")
        done = json.loads(done_file.read_text(encoding="utf-8"))
        merged["earwitness"] = done["earwitness"]
        merged["seconds"].update(done["seconds"])
        merged["failures"].update(done["failures"])
    return merged


# -- speech inputs -----------------------------------------------------------------------------


def split_channels(source: Path, folder: Path) -> list[Path]:
    """Each channel of a 16-bit PCM WAV as a mono WAV of its own, sample for sample."""
    with wave.open(str(source), "rb") as reader:
        channels, width, rate = reader.getnchannels(), reader.getsampwidth(), reader.getframerate()
        frames = reader.readframes(reader.getnframes())
    step = channels * width
    paths = []
    for channel, side in enumerate(("LEFT", "RIGHT")[:channels]):
        data = b"".join(
            frames[start + channel * width : start + (channel + 1) * width]
            for start in range(0, len(frames), step)
        )
        path = folder / f"{source.stem}-{side}.wav"
        with wave.open(str(path), "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(width)
            writer.setframerate(rate)
            writer.writeframes(data)
        paths.append(path)
    return paths


def prepare(code: Path, long: bool) -> int:
    """Write SPEECH_INPUTS/inputs.json: every item of bench/speech/run.py's sets (its file, set
    and language). Runs under PYTHONPATH=CODE: run.py puts this checkout first on sys.path,
    so ``earwitness`` is imported from CODE before run.py is."""
    import earwitness.media.decode  # noqa: F401  (from CODE, before run.py's sys.path insert)

    sys.path.insert(0, str(ROOT / "bench" / "speech"))
    import run as speech  # type: ignore[import-not-found]

    speech.ensure_generated(espeak=True)
    SPEECH_INPUTS.mkdir(parents=True, exist_ok=True)
    en = speech.SPEECH / "en"
    stereo = split_channels(en / "faster-whisper" / "stereo_diarization.wav", SPEECH_INPUTS)
    files: dict[str, tuple[str, list[Path]]] = {
        # the same files, in the same order, as run.english_real / russian_real / generated
        "en-real": (
            "en",
            [
                en / "whisper.cpp" / "jfk.wav",
                en / "deepspeech-smoke" / "LDC93S1.wav",
                *sorted((en / "fleurs-en-cuttledoc").glob("fleurs-en-*.ogg")),
                speech.SPEECH / "ru" / "pisets" / "test_sound_en.wav",
                *stereo,
            ],
        ),
        "ru-real": (
            "ru",
            [
                speech.SPEECH / "ru" / "deepspeech-smoke" / "ru.wav",
                speech.SPEECH / "ru" / "pisets" / "test_sound_ru.wav",
            ],
        ),
        "ru-festival": ("ru", sorted((speech.WORK / "ru-festival").glob("*.wav"))),
        "be-espeak": ("be", sorted((speech.WORK / "be-espeak").glob("*.wav"))),
        "uk-espeak": ("uk", sorted((speech.WORK / "uk-espeak").glob("*.wav"))),
    }
    if long:  # built from the decoded sets and cached as WAV by run.py itself
        en_set, ru_set = speech.english_real(), speech.russian_real()
        festival = speech.generated("ru-festival", "ru", "")
        speech.long_recording("long-en", "en", en_set.items, 5, 1, "")
        speech.long_recording("long-ru", "ru", festival.items + ru_set.items, 2, 2, "")
        files["long-en"] = ("en", [speech.WORK / "long-en.wav"])
        files["long-ru"] = ("ru", [speech.WORK / "long-ru.wav"])
    inputs = [
        {"set": name, "language": language, "item": path.name, "path": str(path.resolve())}
        for name, (language, paths) in files.items()
        for path in paths
    ]
    missing = [item["path"] for item in inputs if not Path(item["path"]).is_file()]
    if missing:
        raise SystemExit(f"speech inputs missing: {missing}")
    (SPEECH_INPUTS / "inputs.json").write_text(json.dumps(inputs, indent=1), encoding="utf-8")
    counts = Counter(item["set"] for item in inputs)
    print(f"speech inputs: {dict(counts)} in {SPEECH_INPUTS / 'inputs.json'}")
    return 0


def speech_inputs(code: Path, long: bool) -> list[dict[str, str]]:
    listing = SPEECH_INPUTS / "inputs.json"
    have = json.loads(listing.read_text(encoding="utf-8")) if listing.exists() else []
    if not have or (long and not {"long-en", "long-ru"} <= {item["set"] for item in have}):
        command = [str(PYTHON), str(Path(__file__).resolve()), "prepare", "--code", str(code)]
        subprocess.run(
            [*command, *([] if long else ["--no-long"])], env=child_env(code, False), check=True
        )
        have = json.loads(listing.read_text(encoding="utf-8"))
    return have


# -- capture -----------------------------------------------------------------------------------


def git_state(code: Path) -> dict[str, str]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(code), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else "?"

    return {"commit": git("rev-parse", "HEAD"), "changed_files": git("status", "--porcelain")}


def capture(args: argparse.Namespace) -> int:
    code, out = args.code.resolve(), args.out.resolve()
    areas = [a for a, skip in (("tamper", args.no_tamper), ("speech", args.no_speech)) if not skip]
    taken = [area for area in areas if (out / area).exists()]
    if taken:
        raise SystemExit(f"{out} already holds {', '.join(taken)}: capture into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    record = out / "capture.json"  # a second capture may add the area the first one skipped
    if record.exists() and json.loads(record.read_text(encoding="utf-8"))["code"] != str(code):
        raise SystemExit(f"{out} was captured from another checkout than {code}")
    info: dict[str, Any] = {"code": str(code), **git_state(code), "started": time.ctime()}
    failures: dict[str, str] = {}
    scratch = out / "logs"  # the workers' job lists and output; not compared
    if not args.no_tamper:
        manifest = args.tamper_data.resolve() / "manifest.jsonl"
        info["tamper_manifest_sha256"] = hashlib.sha256(manifest.read_bytes()).hexdigest()
        jobs = tamper_jobs(args.tamper_data.resolve(), out, args.limit)
        started = time.perf_counter()
        done = run_workers(code, jobs, args.jobs, scratch / "tamper", single_thread=True)
        info["tamper"] = {"files": len(jobs), "wall_s": round(time.perf_counter() - started)}
        info["earwitness"] = done["earwitness"]
        failures.update(done["failures"])
        print(f"tamper: {len(jobs)} files in {info['tamper']['wall_s']} s", flush=True)
    if not args.no_speech:
        inputs = speech_inputs(code, long=not args.no_long)
        listing = (SPEECH_INPUTS / "inputs.json").read_bytes()
        info["speech_inputs_sha256"] = hashlib.sha256(listing).hexdigest()
        sets = set(SHORT_SETS) | (set() if args.no_long else set(LONG_SETS))
        for name in [*SHORT_SETS, *LONG_SETS]:
            if name not in sets:
                continue
            jobs = speech_jobs(inputs, out, {name})
            started = time.perf_counter()
            done = run_workers(code, jobs, 1, scratch / name, single_thread=False)
            seconds = round(time.perf_counter() - started)
            info.setdefault("speech", {})[name] = {"files": len(jobs), "wall_s": seconds}
            info["earwitness"] = done["earwitness"]
            failures.update(done["failures"])
            print(f"speech {name}: {len(jobs)} files in {seconds} s", flush=True)
    info["failures"] = failures
    info["finished"] = time.ctime()
    if record.exists():  # merged as late as possible: two areas may be captured side by side
        earlier = json.loads(record.read_text(encoding="utf-8"))
        info = {**earlier, **info, "failures": {**earlier.get("failures", {}), **failures}}
    record.write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    for path, why in list(failures.items())[:20]:
        print(f"FAILED {path}: {why}")
    print(f"capture in {out}: {len(failures)} failure(s)")
    return 1 if failures else 0


# -- compare -----------------------------------------------------------------------------------


def generic(path: str) -> str:
    """``segments[3].words[0].end`` → ``segments[].words[].end``."""
    return re.sub(r"\[\d+\]", "[]", path)


def is_volatile(path: str) -> bool:
    path = generic(path)
    return path in VOLATILE or any(path.startswith(v + ".") for v in VOLATILE)


def differences(a: Any, b: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """("difference", where and what) for every mismatch of ``b`` against ``a``, and
    ("new", path) for every key ``b`` has and ``a`` has not."""
    if is_volatile(path):
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a:
            where = f"{path}.{key}" if path else key
            if key not in b:
                if not is_volatile(where):
                    yield "difference", f"{where}: missing in B"
            else:
                yield from differences(a[key], b[key], where)
        for key in b:
            if key not in a:
                yield "new", generic(f"{path}.{key}" if path else key)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            yield "difference", f"{path}: {len(a)} items in A, {len(b)} in B"
        for index, (item_a, item_b) in enumerate(zip(a, b, strict=False)):
            yield from differences(item_a, item_b, f"{path}[{index}]")
    elif type(a) is not type(b) or a != b:
        yield "difference", f"{path}: {_short(a)} in A, {_short(b)} in B"


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def captured(folder: Path) -> dict[str, Path]:
    return {
        str(path.relative_to(folder)): path
        for area in ("tamper", "speech")
        for path in sorted((folder / area).rglob("*.json"))
    }


def recorded(folder: Path, key: str) -> Any:
    record = folder / "capture.json"
    return json.loads(record.read_text(encoding="utf-8")).get(key) if record.exists() else None


def group_of(relative: str) -> str:
    parts = relative.split("/")
    return parts[0] if parts[0] == "tamper" else "/".join(parts[:2])


def compare(a_dir: Path, b_dir: Path, show: int) -> int:
    a_files, b_files = captured(a_dir), captured(b_dir)
    if not a_files:
        raise SystemExit(f"{a_dir} holds no capture (no tamper/ or speech/ JSON files)")
    rows: dict[str, Counter[str]] = {}
    first: list[str] = []
    new_fields: Counter[str] = Counter()
    for relative, a_path in a_files.items():
        counts = rows.setdefault(group_of(relative), Counter())
        counts["compared"] += 1
        b_path = b_files.get(relative)
        if b_path is None:
            counts["differing"] += 1
            first.append(f"{relative}: missing in B")
            continue
        a = json.loads(a_path.read_text(encoding="utf-8"))
        b = json.loads(b_path.read_text(encoding="utf-8"))
        found = None
        for kind, what in differences(a, b):
            if kind == "new":
                new_fields[what] += 1
            elif found is None:
                found = what
        if found is None:
            counts["identical"] += 1
        else:
            counts["differing"] += 1
            first.append(f"{relative}: {found}")
    extra = sorted(set(b_files) - set(a_files))
    for key in ("tamper_manifest_sha256", "speech_inputs_sha256"):
        if recorded(a_dir, key) != recorded(b_dir, key):
            print(f"WARNING: {key} differs: A and B may not have read the same inputs")
    print(f"A = {a_dir}\nB = {b_dir}\nignored (volatile): {', '.join(VOLATILE)}\n")
    print("| files | compared | identical | differing |")
    print("| --- | ---: | ---: | ---: |")
    total: Counter[str] = Counter()
    for name, counts in sorted(rows.items()):
        total.update(counts)
        print(f"| {name} | {counts['compared']} | {counts['identical']} | {counts['differing']} |")
    print(f"| **all** | {total['compared']} | {total['identical']} | {total['differing']} |")
    if first:
        print(f"\nfirst difference of each differing file ({len(first)}):")
        for line in first[:show]:
            print(f"  {line}")
        if len(first) > show:
            print(f"  … and {len(first) - show} more (--show N)")
    if new_fields:
        print("\nnew fields (in B only; not differences):")
        for field_path, count in sorted(new_fields.items()):
            print(f"  {field_path} ({count} occurrence(s))")
    if extra:
        print(f"\nfiles only in B (not differences): {len(extra)}, e.g. {extra[0]}")
    verdict = "IDENTICAL" if not total["differing"] else f"{total['differing']} file(s) DIFFER"
    print(f"\n{verdict}")
    return 1 if total["differing"] else 0


# -- command line ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture", help="examine/transcribe every benchmark file with CODE")
    cap.add_argument("--code", type=Path, required=True, help="checkout whose earwitness runs")
    cap.add_argument("--out", type=Path, required=True, help="new folder for the JSON files")
    cap.add_argument("--tamper-data", type=Path, default=TAMPER_DATA)
    cap.add_argument("--jobs", type=int, default=2, help="processes for the tamper files")
    cap.add_argument("--limit", type=int, help="only the first N tamper files")
    cap.add_argument("--no-tamper", action="store_true")
    cap.add_argument("--no-speech", action="store_true")
    cap.add_argument("--no-long", action="store_true", help="skip long-en and long-ru")
    cmp = sub.add_parser("compare", help="compare two captures file by file")
    cmp.add_argument("a", type=Path, help="before")
    cmp.add_argument("b", type=Path, help="after")
    cmp.add_argument("--show", type=int, default=40, help="differing files to list")
    prep = sub.add_parser("prepare", help="(internal) list and build the speech inputs")
    prep.add_argument("--code", type=Path, required=True)
    prep.add_argument("--no-long", action="store_true")
    work = sub.add_parser("worker", help="(internal) run a list of jobs under PYTHONPATH=CODE")
    work.add_argument("--code", type=Path, required=True)
    work.add_argument("jobs_file", type=Path)
    args = parser.parse_args(argv)
    if args.command == "capture":
        return capture(args)
    if args.command == "compare":
        return compare(args.a, args.b, args.show)
    if args.command == "prepare":
        return prepare(args.code, long=not args.no_long)
    return worker(args.code, args.jobs_file)


if __name__ == "__main__":
    raise SystemExit(main())
