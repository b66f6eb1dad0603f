"""Checking an exported evidence package anywhere, without a case, as hostile input.

Members are read through :mod:`earwitness.vault.package_source` (streamed, counted, never
extracted). The bag is validated here rather than with the ``bagit`` library, which needs
files on disk and reads manifests whole: ``bagit.txt``, ``Payload-Oxum``, every payload file
listed in both payload manifests and every listed file present, every tag file (README
included) listed in both tag manifests and matching them, each file read once for both
checksums. Then the custody log is checked in batches, and every original and artefact named
in ``catalog.json`` must be recorded in the log and hash to what it says.

Memory stays bounded whatever the package holds: besides the member list and the manifests'
checksums (both at most ``PackageLimits.max_members`` entries), only the catalog's objects,
counts, the head and the signers are kept.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from earwitness.errors import PackageError
from earwitness.vault import custody
from earwitness.vault.bag_format import PAYLOAD_PREFIX, README
from earwitness.vault.package_bagit import StreamingBag
from earwitness.vault.package_source import (
    DEFAULT_LIMITS,
    LimitedReader,
    LineReader,
    PackageLimits,
    PackageSource,
    is_unsafe_member,
    open_source,
)
from earwitness.vault.private_fields import (
    DISCLOSURE_FILE,
    MAX_DISCLOSURE_BYTES,
    DisclosureCheck,
)
from earwitness.vault.verify import KeyAuthority, Problem, VerifyReport, check_lines

LOG_MEMBER = "data/custody/custody.jsonl"
CATALOG_MEMBER = "data/catalog.json"
KEYS_FOLDER = "data/custody/keys/"
LOG_BATCH_LINES = 2_000
LOG_BATCH_BYTES = 4 << 20

__all__ = ["PackageLimits", "is_unsafe_member", "package_log_lines", "verify_package"]


@contextlib.contextmanager
def package_log_lines(
    path: Path, limits: PackageLimits = DEFAULT_LIMITS
) -> Iterator[Iterator[bytes]]:
    """The complete lines (without newline) of the package's custody log, streamed from a bag
    folder or a zip member. A line longer than ``limits.max_log_line_bytes`` or a log larger
    than ``limits.max_log_bytes`` raises PackageError (one line) while iterating; so does a
    package that is unsafe to open or has no custody log. A torn last line is not yielded
    (it is left in the iterator's ``torn_tail``)."""
    with open_source(path, limits) as source, _open_log(source, limits) as stream:
        yield LineReader(stream, f"{source.where}: {LOG_MEMBER}", limits.max_log_line_bytes)


def _open_log(source: PackageSource, limits: PackageLimits) -> LimitedReader:
    if LOG_MEMBER not in source.members:
        raise PackageError(f"{source.where}: not an evidence package ({LOG_MEMBER} is missing)")
    return source.open_member(
        LOG_MEMBER, limits.max_log_bytes, f"custody log larger than {limits.max_log_bytes} bytes"
    )


def verify_package(path: Path, limits: PackageLimits = DEFAULT_LIMITS) -> VerifyReport:
    """Check a bag made by ``export_bag`` anywhere, without a case: BagIt structure, manifests
    and tag manifests, custody chain and signatures, and that every original and artefact is
    what the log says. An unsafe or oversized package raises PackageError (one line)."""
    report = VerifyReport()
    with open_source(path, limits) as source:
        _PackageCheck(source, limits, report).run()
    return report


class _PackageCheck:
    def __init__(self, source: PackageSource, limits: PackageLimits, report: VerifyReport) -> None:
        self.source = source
        self.limits = limits
        self.report = report
        self.hidden_problems = 0
        self.bag = StreamingBag(source, limits, self.problem)
        # ("original" | "artefact", sha256) named by catalog.json, and those the log records
        self.catalog_objects: set[tuple[str, str]] = set()
        self.logged_objects: set[tuple[str, str]] = set()
        self.last_export: custody.Event | None = None
        self.disclosures = DisclosureCheck(None)
        # (sha256, reason) of each object catalog.json says the export left out on purpose
        self.withheld: list[tuple[str, str]] = []

    def problem(self, kind: str, message: str) -> None:
        if len(self.report.problems) < self.limits.max_problems:
            self.report.problems.append(Problem(kind, message))
        else:
            self.hidden_problems += 1

    def run(self) -> None:
        self.bag.remember.add(README)
        self.bag.open()
        keys = self._read_keys()
        catalog = self._read_catalog()
        items = list(_catalog_items(catalog or [], self.problem, self.withheld))
        self.catalog_objects = {(kind, digest) for digest, _, kind in items}
        self.bag.remember.update(relative for _, relative, _ in items)
        # private-fields.json, when present: each value must open its commitment in the log
        member = f"data/custody/{DISCLOSURE_FILE}"
        present = member in self.source.members
        self.disclosures = DisclosureCheck(
            self.bag.read(member, MAX_DISCLOSURE_BYTES) if present else None
        )
        self._check_log(keys)
        for found in self.disclosures.problems():
            self.problem(found.kind, found.message)
        self.bag.read_rest()
        self.bag.finish()
        if catalog is not None:
            self._check_catalog_objects(items)
            self._check_withheld()
        self._check_readme()
        self.report.objects_checked = sum(
            1
            for name in self.source.members
            if (name.startswith("data/originals/") and name.count("/") == 3)
            or (name.startswith("data/artefacts/") and name.count("/") == 5)
        )
        if self.hidden_problems:
            self.report.problems.append(
                Problem("too_many_problems", f"{self.hidden_problems} more problem(s) not shown")
            )

    def _read_keys(self) -> dict[str, str]:
        keys: dict[str, str] = {}
        for name in sorted(self.source.members):
            if name.startswith(KEYS_FOLDER) and name.endswith(".pub"):
                text = self.bag.read(name, self.limits.max_tag_file_bytes)
                key, _, actor = text.decode("utf-8", errors="replace").strip().partition(" ")
                keys[key] = actor
        return keys

    def _read_catalog(self) -> list[Any] | None:
        if CATALOG_MEMBER not in self.source.members:
            self.problem("catalog_missing", f"{CATALOG_MEMBER} is missing or unreadable")
            return None
        text = self.bag.read(CATALOG_MEMBER, self.limits.max_catalog_bytes)
        try:
            entries = json.loads(text)["exhibits"]
            if not isinstance(entries, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            self.problem("catalog_missing", f"{CATALOG_MEMBER} is missing or unreadable")
            return None
        return entries

    # -- custody log --------------------------------------------------------------------------

    def _check_log(self, keys: dict[str, str]) -> None:
        """Check the log in batches, keeping only what the report and the catalog need."""
        if LOG_MEMBER not in self.source.members:
            self.problem("log_missing", f"{LOG_MEMBER}: custody log is missing")
            return
        previous: custody.Event | None = None
        authority = KeyAuthority()
        batch: list[bytes] = []
        batch_bytes = 0
        limit, line_limit = self.limits.max_log_bytes, self.limits.max_log_line_bytes
        too_long = f"custody log larger than {limit} bytes"
        with self.bag.lines(LOG_MEMBER, limit, line_limit, too_long) as lines:
            for line in lines:
                batch.append(line)
                batch_bytes += len(line)
                full = len(batch) >= LOG_BATCH_LINES or batch_bytes >= LOG_BATCH_BYTES
                # A batch ends on a line that parses, so the next one knows what it follows.
                if full and (_parses(line) or len(batch) >= 4 * LOG_BATCH_LINES):
                    previous = self._check_batch(batch, keys, previous, authority)
                    batch, batch_bytes = [], 0
            if batch:
                self._check_batch(batch, keys, previous, authority)
            torn = lines.torn_tail
        if torn:
            self.report.notes.append(
                f"{LOG_MEMBER}: last line is incomplete (an interrupted write); ignored"
            )
        self.report.authority = authority
        if self.report.events_checked == 0 and not any(
            p.kind == "malformed" for p in self.report.problems
        ):
            self.problem("log_empty", f"{LOG_MEMBER}: custody log holds no events")

    def _check_batch(
        self,
        batch: list[bytes],
        keys: dict[str, str],
        previous: custody.Event | None,
        authority: KeyAuthority,
    ) -> custody.Event | None:
        checked = check_lines(batch, keys, previous=previous, authority=authority)
        for problem in checked.problems:
            self.problem(problem.kind, problem.message)
        report = self.report
        report.events_checked += len(checked.events)
        for event in checked.events:
            if event.signer in report.signers:
                report.signers[event.signer] += 1
            elif len(report.signers) < self.limits.max_signers:
                report.signers[event.signer] = 1
            else:
                self.problem(
                    "too_many_signers", f"more than {self.limits.max_signers} signing keys"
                )
            if event.action == "export":
                self.last_export = event
            self.disclosures.see(event)
            for logged in _logged_objects(event):
                if logged in self.catalog_objects:
                    self.logged_objects.add(logged)
        if checked.events:
            report.head = checked.events[-1]
            return checked.events[-1] if _parses(batch[-1]) else None
        return previous

    # -- catalog and README -------------------------------------------------------------------

    def _check_catalog_objects(self, items: list[tuple[str, str, str]]) -> None:
        """Every object catalog.json names must be in the log and hash to its SHA-256."""
        for digest, relative, kind in items:
            label = f"{kind} {relative}"
            if (kind, digest) not in self.logged_objects:
                self.problem("not_in_log", f"{label}: not recorded in the custody log")
            actual = self.bag.sha256.get(relative)
            if actual is None:
                self.problem("object_missing", f"{label} ({digest[:12]}): object is missing")
            elif actual != digest:
                self.problem(
                    "object_altered",
                    f"{label} ({digest[:12]}): content altered, now hashes to {actual[:12]}",
                )

    def _check_withheld(self) -> None:
        """Objects left out on purpose (a redaction) must be the ones the signed export event
        lists, for the same reason: otherwise a removed object could pass as withheld."""
        if not self.withheld:
            return
        recorded = self.last_export.details.get("withheld") if self.last_export else None
        recorded = recorded if isinstance(recorded, dict) else {}
        for digest, reason in self.withheld:
            if recorded.get(digest) != reason:
                self.problem(
                    "withheld_not_logged",
                    f"{CATALOG_MEMBER}: object {digest[:12]} is marked withheld ({reason!r}) "
                    "but the export event does not record it so",
                )
        reasons = sorted({reason for _, reason in self.withheld})
        self.report.notes.append(
            f"{len(self.withheld)} object(s) withheld by the export ({', '.join(reasons)}): "
            "named in the custody log, not in this package"
        )

    def _check_readme(self) -> None:
        """The README must be the one the signed export event recorded (newer exports)."""
        if self.last_export is None:
            return
        recorded = self.last_export.details.get("readme_sha256")
        actual = self.bag.sha256.get(README)
        if recorded is not None and actual != recorded:
            self.problem(
                "readme_altered",
                f"{README} {'is missing' if actual is None else 'was edited'}: it is not the "
                f"one the export event (event {self.last_export.seq}) recorded",
            )


def _parses(line: bytes) -> bool:
    try:
        custody.parse_line(line, 0)
    except custody.MalformedLine:
        return False
    return True


def _logged_objects(event: custody.Event) -> list[tuple[str, str]]:
    """The originals and artefacts an event records as stored."""
    found = []
    if event.action == "ingest" and event.exhibit:
        found.append(("original", event.exhibit))
    artefact = event.details.get("artefact")
    if isinstance(artefact, dict) and isinstance(artefact.get("object_sha256"), str):
        found.append(("artefact", artefact["object_sha256"]))
    return found


def _ignore(kind: str, message: str) -> None:
    pass


def _catalog_items(
    entries: list[Any],
    problem: Callable[[str, str], None] = _ignore,
    withheld: list[tuple[str, str]] | None = None,
) -> Iterator[tuple[str, str, str]]:
    """(sha256, member name, "original" | "artefact") of each object catalog.json names;
    an entry that is malformed or names an unsafe path is reported to ``problem``. Objects
    marked withheld (no path, a reason) are added to ``withheld`` instead."""
    for entry in entries:
        try:
            items = [(entry["sha256"], entry["path"], "original", entry.get("withheld"))]
            items += [
                (a["object_sha256"], a["path"], "artefact", a.get("withheld"))
                for a in entry.get("artefacts", [])
            ]
        except (KeyError, TypeError, AttributeError):
            problem("catalog_invalid", f"{CATALOG_MEMBER}: an entry lacks sha256 or path")
            continue
        for digest, relative, kind, reason in items:
            if relative is None and isinstance(reason, str) and isinstance(digest, str):
                if withheld is not None:
                    withheld.append((digest, reason))
            elif not isinstance(digest, str) or not isinstance(relative, str):
                problem("catalog_invalid", f"{CATALOG_MEMBER}: an entry lacks sha256 or path")
            elif is_unsafe_member(relative) or not relative.startswith(PAYLOAD_PREFIX):
                problem("unsafe_path", f"catalog.json: unsafe path {relative!r}")
            else:
                yield digest, relative, kind
