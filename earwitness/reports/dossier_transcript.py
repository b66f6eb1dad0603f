"""The dossier's transcript: one table row per segment, original beside the translation.

Every word is a ``<span class="w">`` with ``data-start``/``data-end`` so the page's script can
highlight it while the audio plays and seek to it when clicked. The same table is the printed
transcript. All text from the transcript is escaped.
"""

from __future__ import annotations

import html
import re
from typing import Any

from earwitness.formats.speaker_palette import BASE_COLOURS, speaker_palette
from earwitness.speech.confidence import UNSURE_BELOW, is_unsure, needs_checking
from earwitness.speech.runtime import runtime_phrase
from earwitness.speech.types import Segment, Transcript, Word
from earwitness.text import shown, timecode

# One threshold for every output (see speech.confidence for why it is 0.5).
UNRELIABLE_PROBABILITY = UNSURE_BELOW
# The first eight speakers' colours; more are generated (formats.speaker_palette).
SPEAKER_COLOURS = BASE_COLOURS
LANGUAGE_NAMES = {
    "ar": "Arabic",
    "de": "German",
    "en": "English",
    "es": "Spanish",
    "fa": "Persian",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "zh": "Chinese",
}

esc = html.escape


def language_label(code: str | None) -> str:
    if not code:
        return "unknown language"
    name = LANGUAGE_NAMES.get(code.lower())
    return f"{name} ({code})" if name else code


def number(value: Any) -> float:
    try:
        result = float(value)
    except (TypeError, ValueError):
        return 0.0
    return result if result == result and abs(result) != float("inf") else 0.0


def seconds_attr(value: Any) -> str:
    return f"{number(value):.3f}"


def speaker_colours(transcript: Transcript | None) -> dict[str, str]:
    """Speaker label → colour, in order of first appearance."""
    order: list[str] = []
    for segment in transcript.segments if transcript else ():
        for label in [segment.speaker] + [w.speaker for w in segment.words]:
            if label and label not in order:
                order.append(str(label))
    return dict(zip(order, speaker_palette(len(order)), strict=True))


def unreliable_reason(word: Word) -> str | None:
    """Why a word's timing should not be relied on, or None."""
    start, end = number(word.start), number(word.end)
    probability = word.probability
    if end - start <= 0:
        return "no reliable timing: zero length"
    if is_unsure(word):
        return f"uncertain: probability {number(probability):.2f}"
    return None


def _word(word: Word, segment_speaker: str | None, colours: dict[str, str]) -> str:
    text = word.word
    match = re.match(r"(\s*)(.*?)(\s*)$", text, re.DOTALL)
    lead, body, trail = match.groups() if match else ("", text, "")
    classes = ["w"]
    attrs = [
        f'data-start="{seconds_attr(word.start)}"',
        f'data-end="{seconds_attr(word.end)}"',
    ]
    reason = unreliable_reason(word)
    if reason:
        classes.append("unreliable")
        attrs.append(f'title="{esc(reason)}"')
    if body.strip() and is_unsure(word):
        classes.append("unsure")  # what "next unsure word" steps through
    if word.probability is not None:
        attrs.append(f'data-p="{number(word.probability):.3f}"')
    speaker = word.speaker
    if speaker and speaker != segment_speaker and str(speaker) in colours:
        classes.append("other-speaker")
        attrs.append(f'data-speaker="{esc(str(speaker))}" style="--spk:{colours[str(speaker)]}"')
    return f'{esc(lead)}<span class="{" ".join(classes)}" {" ".join(attrs)}>{esc(body)}</span>' + (
        esc(trail)
    )


def _words_cell(segment: Segment, colours: dict[str, str]) -> str:
    words = segment.words
    if not words:
        # No word timing: the whole segment is one clickable unit.
        return (
            f'<span class="w segment-only" data-start="{seconds_attr(segment.start)}" '
            f'data-end="{seconds_attr(segment.end)}" title="no word-level timing">'
            f"{esc(segment.text.strip())}</span>"
        )
    return "".join(_word(w, segment.speaker, colours) for w in words).strip()


def _translation_cell(segment: Segment | None) -> str:
    if segment is None:
        return '<span class="missing">(no aligned translation)</span>'
    return esc(segment.text.strip())


def render_transcript(transcript: Transcript | None) -> str:
    """The transcript section's table (and its legend), or a note that there is none."""
    if not transcript or not transcript.segments:
        return '<p class="note">No transcript was supplied for this recording.</p>'
    colours = speaker_colours(transcript)
    translation = transcript.translation or None
    translation_language = transcript.translation_language or "en"
    by_id = {s.id: s for s in translation or ()}
    original = language_label(transcript.language)
    head = f'<th scope="col">Time</th><th scope="col">Speaker</th><th scope="col">{esc(original)}'
    head += " — original</th>"
    if translation:
        head += f'<th scope="col">{esc(language_label(translation_language))}</th>'
    rows = []
    for segment in transcript.segments:
        speaker = segment.speaker
        colour = colours.get(str(speaker), "#57606a") if speaker else "#57606a"
        start = number(segment.start)
        chip = f'<span class="chip">{esc(str(speaker))}</span>' if speaker else "—"
        cells = [
            f'<td class="t"><button type="button" class="seek" data-start="{start:.3f}" '
            f'aria-label="Play from {timecode(start)}">{timecode(start)}</button></td>',
            f'<td class="spk">{chip}</td>',
            f'<td class="orig" dir="auto" lang="{esc(transcript.language)}">'
            f"{_words_cell(segment, colours)}</td>",
        ]
        if translation:
            cells.append(
                f'<td class="tr" dir="auto" lang="{esc(translation_language)}">'
                f"{_translation_cell(by_id.get(segment.id))}</td>"
            )
        rows.append(
            f'<tr class="seg" data-start="{start:.3f}" '
            f'data-end="{seconds_attr(segment.end)}" style="--spk:{colour}">'
            + "".join(cells)
            + "</tr>"
        )
    legend = "".join(
        f'<li><span class="chip" style="--spk:{colour}">{esc(label)}</span></li>'
        for label, colour in colours.items()
    )
    facts = [f"Language: {esc(original)}"]
    if transcript.language_probability is not None:
        facts[0] += f" (detected, p = {number(transcript.language_probability):.2f})"
    if transcript.model_name:
        facts.append(f"Model: {_model(transcript.model_name, transcript.model_sha256)}")
    facts.append(f'<span class="version">Version: {esc(version_shown(transcript))}</span>')
    ran_on = runtime_phrase(transcript.processing.get("runtime"))
    if ran_on:  # another CPU may write another word: speech/runtime.py
        facts.append(f"Ran on: {esc(shown(ran_on))}")
    if translation:
        method = transcript.translation_method or "whisper-translate"
        by = transcript.translation_model_name
        writer = f", by {_model(by, transcript.translation_model_sha256)}" if by else ""
        facts.append(
            f"Translation: {esc(language_label(translation_language))}, {esc(method)}{writer}"
        )
    return (
        f'<p class="meta">{" · ".join(facts)}</p>'
        + _checking(transcript)
        + (f'<ul class="speakers" aria-label="Speakers">{legend}</ul>' if legend else "")
        + '<p class="legend"><span class="unreliable-sample">dotted words</span> have unreliable '
        f"timing (probability below {UNRELIABLE_PROBABILITY} or zero length)."
        '<span class="on-screen"> Click a word or a time to play from there.</span></p>'
        + f'<table class="transcript" id="transcript"><thead><tr>{head}</tr></thead>'
        + f"<tbody>{''.join(rows)}</tbody></table>"
    )


def version_shown(transcript: Transcript) -> str:
    """Which version of the transcript is shown: the ASR's, or the ASR with the workbench's
    corrections ("ASR + 23 corrections by 2 reviewers")."""
    review = transcript.processing.get("review")
    if not isinstance(review, dict) or not isinstance(review.get("description"), str):
        return "ASR (no corrections)"
    shown = review["description"]
    reviewers = review.get("reviewers")
    if isinstance(reviewers, list) and reviewers and all(isinstance(r, str) for r in reviewers):
        shown = f"{shown} ({', '.join(reviewers)})"
    return shown + _carried_shown(review.get("carried"))


def _carried_shown(carried: object) -> str:
    """ "; 3 of the edits carried from an earlier transcript by clara" (``jobs/carry_review``)."""
    if not isinstance(carried, dict):
        return ""
    edits, sources, by = carried.get("edits"), carried.get("from"), carried.get("by")
    if type(edits) is not int or edits < 1 or not isinstance(sources, list):
        return ""
    if not isinstance(by, list) or not by or not all(isinstance(name, str) for name in by):
        return ""
    what = "1 of the edits" if edits == 1 else f"{edits} of the edits"
    where = "an earlier transcript" if len(sources) == 1 else f"{len(sources)} earlier transcripts"
    return f"; {what} carried from {where} by {', '.join(by)}"


def _checking(transcript: Transcript) -> str:
    """The recording's figure of how much needs checking, and the button that steps through
    the unsure words (key U; Shift+U goes back), so review starts where the machine was
    unsure."""
    checking = needs_checking(transcript.segments)
    if not checking.words:
        return ""
    text = f"To check: {esc(checking.summary())}."
    if not checking.unsure_words:
        return f'<p class="checking" id="checking">{text}</p>'
    return (
        f'<p class="checking" id="checking" data-unsure="{checking.unsure_words}">{text} '
        '<button type="button" id="btn-unsure" aria-keyshortcuts="U Shift+U" '
        'aria-describedby="unsure-at">Next unsure word (U)</button> '
        '<output id="unsure-at" aria-live="polite"></output></p>'
    )


def _model(name: str, sha256: str | None) -> str:
    """A model as the reader can check it: its name and the SHA-256 of its weights."""
    digest = f' <code class="hash">SHA-256 {esc(sha256)}</code>' if sha256 else ""
    return f"{esc(name)}{digest}"
