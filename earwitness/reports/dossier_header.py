"""The top of the dossier: the masthead (name, hash, key facts, custody at a glance, tools) and
the full tables of the exhibit's facts and chain of custody. All input text is escaped."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from earwitness.forensics.recording import ExhibitFacts
from earwitness.reports.dossier_transcript import number
from earwitness.reports.signoffs import SIGNOFF_ACTION, signoff_of
from earwitness.text import shown, timecode
from earwitness.vault.commitments import PRIVATE_FIELDS
from earwitness.vault.custody import Event

esc = html.escape


@dataclass(frozen=True)
class DossierExhibit:
    """The recording as the dossier presents it: its file facts and how it was received."""

    sha256: str
    filename: str
    size_bytes: int
    media: dict[str, Any] | None = None  # as probed; None when the file could not be read
    received_at: str | None = None
    received_by: str | None = None
    source: str | None = None
    note: str | None = None

    @classmethod
    def from_facts(
        cls,
        facts: ExhibitFacts,
        *,
        received_by: str | None = None,
        source: str | None = None,
        note: str | None = None,
    ) -> DossierExhibit:
        """The examination's facts of the file, with who received it, from where, and why."""
        return cls(
            sha256=facts.sha256,
            filename=facts.filename,
            size_bytes=facts.size_bytes,
            media=facts.media,
            received_at=facts.received_at,
            received_by=received_by,
            source=source,
            note=note,
        )


@dataclass(frozen=True)
class ToolVersions:
    """What made the dossier's results: earwitness's version and each model's SHA-256."""

    earwitness: str = "?"
    models: dict[str, str] = field(default_factory=dict)


def name_html(name: str) -> str:
    """A file name from outside as a page shows it: escaped as HTML, and each character that
    does not show (a right-to-left override, a zero width, a control) written as an escape,
    so that one name cannot read as another."""
    return esc(shown(name))


def prose_html(text: str) -> str:
    """Prose from a stored report (a summary, a conclusion, a finding's description, which
    may quote a file's tags) as a page shows it: escaped as HTML, every character that does
    not show written as an escape, line breaks kept. Stored artefacts are read as hostile."""
    return esc(shown(text, keep_lines=True))


def text_value(value: Any, limit: int = 400) -> str:
    """Any value as escaped text: strings as they are, the rest as compact JSON; characters
    that do not show are written as escapes (tags and names come from hostile files)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    text = shown(text, keep_lines=True)
    return esc(text if len(text) <= limit else text[: limit - 1] + "…")


def media_tags(media: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every tag the probe found, the container's and each stream's, as (where:key, value):
    an encoder tag sits on the stream in Ogg and MP4 files, and a report that looked only at
    the container's would say "no tags" of a file the examination lists one in."""
    found: list[tuple[str, Any]] = []
    tags = media.get("tags")
    if isinstance(tags, dict):
        found += [(f"container:{key}", value) for key, value in tags.items()]
    streams = media.get("streams")
    for stream in streams if isinstance(streams, list) else []:
        if isinstance(stream, dict) and isinstance(stream.get("tags"), dict):
            where = f"stream{str(stream.get('index', '?'))[:8]}"  # escaped where shown
            found += [(f"{where}:{key}", value) for key, value in stream["tags"].items()]
    return found


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in pairs if v)


def _size(size: Any) -> str:
    count = int(number(size))
    for unit, factor in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= factor:
            return f"{count:,} bytes ({count / factor:.1f} {unit})"
    return f"{count:,} bytes"


def _audio_line(media: dict[str, Any]) -> str:
    stream: dict[str, Any] = next(
        (s for s in media.get("streams") or [] if s.get("type") == "audio"), {}
    )
    parts = [str(media.get("codec") or stream.get("codec") or "unknown codec")]
    if stream.get("codec_long"):
        parts[0] += f" ({stream['codec_long']})"
    if media.get("sample_rate"):
        parts.append(f"{int(number(media['sample_rate'])):,} Hz")
    if media.get("channels"):
        parts.append(f"{int(number(media['channels']))} channel(s)")
    if stream.get("bits_per_sample"):
        parts.append(f"{stream['bits_per_sample']}-bit")
    return esc(" · ".join(parts))


def _streams(media: dict[str, Any]) -> str:
    lines = []
    for stream in media.get("streams") or []:
        facts = [f"#{stream.get('index', '?')}", str(stream.get("type", "?"))]
        facts += [str(stream[k]) for k in ("codec", "channel_layout") if stream.get(k)]
        if stream.get("sample_rate"):
            facts.append(f"{stream['sample_rate']} Hz")
        if stream.get("duration_s") is not None:
            facts.append(f"{number(stream['duration_s']):.3f} s")
        lines.append(esc(" ".join(facts)))
    return "<br>".join(lines)


def _mono(value: Any) -> str:
    return f'<code class="mono">{esc(str(value))}</code>' if value else ""


def render_facts(exhibit: DossierExhibit, tool: ToolVersions, duration_s: float) -> str:
    """The exhibit's full facts and receipt (a block of the "Items received" section)."""
    media = exhibit.media or {}
    duration = number(media.get("duration_s")) or duration_s
    tag_lines = "<br>".join(f"{text_value(k)} = {text_value(v)}" for k, v in media_tags(media))
    recording = [
        ("File name", name_html(exhibit.filename)),
        ("SHA-256", _mono(exhibit.sha256)),
        ("Size", _size(exhibit.size_bytes)),
        (
            "Container",
            esc(
                str(media.get("container", "unknown"))
                + (f" ({media['container_long']})" if media.get("container_long") else "")
            ),
        ),
        ("Audio", _audio_line(media)),
        ("Duration", f"{timecode(duration)} ({duration:.3f} s)"),
        (
            "Bit rate",
            f"{number(media['bit_rate']) / 1000:,.1f} kb/s" if media.get("bit_rate") else "",
        ),
        ("Tags", tag_lines or "none"),
        ("Streams", _streams(media)),
        ("Probe warnings", "<br>".join(text_value(w) for w in media.get("warnings") or [])),
    ]
    receipt = [
        ("Received", esc(exhibit.received_at or "not recorded")),
        ("Received by", esc(exhibit.received_by or "not recorded")),
        ("Source", text_value(exhibit.source or "not recorded")),
        ("Note", text_value(exhibit.note or "")),
        ("Tool", f"earwitness {esc(tool.earwitness)}"),
        (
            "Models",
            "<br>".join(f"{esc(str(n))}: {_mono(h)}" for n, h in tool.models.items()) or "none",
        ),
    ]
    return (
        '<div class="facts"><h3 id="facts-h">Exhibit details</h3>'
        '<div class="fact-columns">'
        f'<table class="facts-table"><caption>Recording</caption>{_rows(recording)}</table>'
        f'<table class="facts-table"><caption>Receipt and tools</caption>{_rows(receipt)}</table>'
        "</div></div>"
    )


def _public(value: Any) -> Any:
    """Details fit for a page that may be published: no private intake field (even one an old
    log holds in clear) and no local path, only the last part of one."""
    if isinstance(value, dict):
        return {k: _public(v) for k, v in value.items() if k not in PRIVATE_FIELDS}
    if isinstance(value, list):
        return [_public(v) for v in value]
    if isinstance(value, str):
        return _LOCAL_PATH.sub(_last_part, value)
    return value


# An absolute (or home-relative) path inside a text, up to a space, quote or colon; the
# dossier keeps its last part, which is what the reader needs to recognise the file.
_LOCAL_PATH = re.compile(r"(?<![\w.:/\\])(?:~|[A-Za-z]:)?[/\\](?:[^\s/\\:'\"]+[/\\])*[^\s/\\:'\"]*")


def _last_part(found: re.Match[str]) -> str:
    return PurePath(found[0].replace("\\", "/")).name or "…"


def _custody_details(event: Event) -> str:
    details = event.details or {}
    action = event.action
    if action == "ingest":
        text = f"received as '{details.get('original_name', '?')}'"
        if details.get("source"):
            text += "; source recorded privately"
        return text_value(text)
    if action == "init":
        return text_value(f"case created (earwitness {details.get('tool_version', '?')})")
    if isinstance(details.get("artefact"), dict):
        artefact = details["artefact"]
        return text_value(
            f"{artefact.get('stage', '?')} → {artefact.get('filename', '?')} "
            f"(object {str(artefact.get('object_sha256', ''))[:16]}…)"
        )
    if action == SIGNOFF_ACTION:
        signoff = signoff_of(event)
        if signoff is not None:
            return text_value(
                f"signed off by {signoff.name} ({signoff.role}): examination "
                f"{signoff.examination_sha256[:16]}…"
            )
    if action == "verify":
        problems = details.get("problems") or []
        return "case intact" if details.get("ok") else text_value(f"{len(problems)} problem(s)")
    if action == "export":
        return text_value(f"exported as {_public(str(details.get('destination', '?')))}")
    return text_value(_public(details), 200)


def render_custody(custody: Sequence[Event]) -> str:
    rows = []
    for event in custody:
        signature = event.sig
        signer = event.signer or ""
        signed = f"signed, key {esc(signer[:12])}…" if signature and signer else "signed"
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{text_value(getattr(event, key))}</td>"
                for key in ("seq", "time", "actor", "action")
            )
            + f"<td>{_custody_details(event)}</td>"
            f'<td><code class="mono hash">{text_value(event.hash)}</code>'
            f'<span class="signed">{signed if signature else "unsigned"}</span></td></tr>'
        )
    body = "".join(rows) or '<tr><td colspan="6">No custody events were supplied.</td></tr>'
    return (
        '<section class="custody" aria-labelledby="custody-h">'
        f'<h2 id="custody-h">Chain of custody <span class="count">{len(custody)} event(s)</span>'
        '</h2><div class="scroll"><table class="custody-table"><thead><tr><th scope="col">#</th>'
        '<th scope="col">Time (UTC)</th><th scope="col">Actor</th><th scope="col">Action</th>'
        '<th scope="col">Details</th><th scope="col">Event hash</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
        '<p class="note">Each event is hash-chained to the one before it in the case log and '
        "signed; <code>earwitness verify</code> checks the chain and the signatures.</p></section>"
    )


def _short_time(value: Any) -> str:
    """2026-11-28T10:06:13.283140Z → 2026-11-28 10:06:13Z; anything else as it is."""
    text = str(value or "")
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:?\d\d)?", text)
    return esc(f"{match[1]} {match[2]}{match[3] or ''}" if match else text)


def format_line(media: dict[str, Any], *, bit_rate: bool = False) -> str:
    """The recording's format in a few words, as text: "mp3 · 16,000 Hz · mono" (with
    ``bit_rate``, "· 64.7 kb/s" after it). Values that are not numbers count as absent."""
    parts = list(dict.fromkeys(str(media[k]) for k in ("container", "codec") if media.get(k)))
    if number(media.get("sample_rate")) > 0:
        parts.append(f"{int(number(media['sample_rate'])):,} Hz")
    channels = int(number(media.get("channels")))
    if channels > 0:
        parts.append({1: "mono", 2: "stereo"}.get(channels, f"{channels} channels"))
    if bit_rate and number(media.get("bit_rate")) > 0:
        parts.append(f"{number(media['bit_rate']) / 1000:,.1f} kb/s")
    return " · ".join(parts) or "unknown format"


def render_masthead(
    exhibit: DossierExhibit,
    custody: Sequence[Event],
    tool: ToolVersions,
    duration_s: float,
    generated_at: str,
) -> str:
    """The page header: what the recording is, where it came from, what examined it."""
    media = exhibit.media or {}
    duration = number(media.get("duration_s")) or duration_s
    received = _short_time(exhibit.received_at or "time not recorded")
    if exhibit.received_by:
        received += f" by {esc(exhibit.received_by)}"
    if custody:
        latest = custody[-1]
        history = (
            f'<a href="#custody-h">{len(custody)} event(s)</a>, latest: '
            f"{text_value(latest.action)}, {_short_time(latest.time)}"
        )
    else:
        history = "no events supplied"
    tools = f"earwitness {esc(tool.earwitness)}" + "".join(
        f' · {esc(str(name))} <code title="SHA-256 {esc(str(digest))}">'
        f"{esc(str(digest)[:12])}…</code>"
        for name, digest in tool.models.items()
    )
    items = [
        ("Size", esc(_size(exhibit.size_bytes).split(" (")[0])),
        ("Format", esc(format_line(media))),
        ("Duration", f"{timecode(duration)}"),
        ("Received", received),
        ("Source", text_value(exhibit.source or "not recorded", 120)),
        ("Custody", history),
        ("Tools and models", tools),
    ]
    strip = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in items)
    generated = esc(generated_at) if generated_at else "—"
    return (
        '<header class="masthead"><p class="kicker">Earwitness · exhibit dossier</p>'
        f"<h1>{name_html(exhibit.filename or 'unnamed recording')}</h1>"
        '<p class="hash"><span class="k">SHA-256</span> '
        f'<code id="sha256">{esc(exhibit.sha256)}</code></p>'
        f'<dl class="strip">{strip}</dl>'
        f'<p class="generated">Dossier generated {generated} by earwitness '
        f"{esc(tool.earwitness)}</p></header>"
    )
