"""The dossier stages: the page (index.html) and its PDF, made from the stored examination and
transcript and logged under the custody action ``report``.

Every file a dossier folder holds is an artefact of the case: the page and the PDF (these
stages), ``examination.json`` and ``transcript.json`` (the logged bytes of those stages,
copied as they are), the subtitle files and the DOCX (the transcript's rendering stages), and
the original itself. The folder is written only from bytes just verified or just stored.

The page shows the exhibit's custody history up to the last event before the dossier's own
(``custody_head`` in its parameters), so the same history gives the same page and a new
event in the history gives a new page: an examiner's sign-off (an event of the exhibit) is
one, so a dossier asked for after a sign-off shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from earwitness import __version__
from earwitness.jobs.engine import Request, Run, Stage, StageResult, run_stage
from earwitness.jobs.examine import EXAMINATION, ExamParams, examination_with_series
from earwitness.jobs.reviewed import (
    OUTPUT_STAGES,
    ReviewedParams,
    muted_samples,
    redactions_of,
    shown_transcript,
)
from earwitness.jobs.transcribe import TranscriptParams
from earwitness.speech.types import Transcript
from earwitness.vault.custody import Event
from earwitness.vault.verified_log import exhibit_record, verified_events

ACTION = "report"
REDACTED_AUDIO_NAME = "audio-redacted.wav"
# The run's resource holding the page's drawings of the decoded recording (reports/drawn.py),
# when its maker offers one.
DRAWN = "drawn"


@dataclass(frozen=True)
class DossierParams:
    exam: ExamParams
    speech: TranscriptParams
    custody_head: str  # hash of the last custody event the page shows
    verify_commands: tuple[str, ...] = ()
    # The reviewed version the page shows (jobs/reviewed.py); None for the ASR's.
    review: ReviewedParams | None = None

    def parameters(self) -> dict[str, Any]:
        params = {
            "examination": self.exam.parameters(),
            "transcript": self.speech.parameters(),
            "custody_head": self.custody_head,
            "verify_commands": list(self.verify_commands),
        }
        if self.review is not None:  # absent for the ASR's, so stored dossiers stay valid
            params["review"] = self.review.parameters()
        return params

    def shown(self) -> Request[Transcript]:
        return shown_transcript(self.speech, self.review)


def shown_custody(run: Run) -> list[Event]:
    """The exhibit's (and the case's) custody events, without the dossiers' own events."""
    assert run.case is not None
    return [
        event
        for event in verified_events(run.case)
        if event.exhibit in (run.exhibit_sha256, None)
        and event.action != ACTION
        and not _made_for_outputs(event)
    ]


def _made_for_outputs(event: Event) -> bool:
    """A reviewed version or muted copy stored while making an output: like the dossier's own
    events, not part of the history the page shows (else each dossier would change the next)."""
    artefact = event.details.get("artefact") if isinstance(event.details, dict) else None
    return isinstance(artefact, dict) and artefact.get("stage") in OUTPUT_STAGES


def custody_head(run: Run) -> str:
    shown = shown_custody(run)
    return shown[-1].hash if shown else ""


def _up_to(events: list[Event], head: str) -> list[Event]:
    """The events up to and including the one hashed ``head`` (all of them if it is absent)."""
    hashes = [event.hash for event in events]
    return events[: hashes.index(head) + 1] if head in hashes else events


def _compute_html(run: Run, request: Request[str]) -> str:
    from earwitness.reports.dossier import DossierInputs, render_dossier
    from earwitness.reports.dossier_header import DossierExhibit, ToolVersions

    params = request.params
    assert isinstance(params, DossierParams) and run.case is not None
    exam = examination_with_series(run, params.exam)
    stored = run_stage(run, Request(EXAMINATION, params.exam)).record  # what sign-offs name
    transcript = run.value(params.shown())
    facts = run.resource("facts")
    received = exhibit_record(run.case, run.exhibit_sha256)
    decoded = run.resource("decoded")
    model = params.speech.model
    suffix = original_suffix(facts.filename)
    inputs = DossierInputs(
        exhibit=DossierExhibit.from_facts(
            facts,
            received_by=received.actor,
            source=withheld(received.source),
            note=withheld(received.note),
        ),
        custody=_up_to(shown_custody(run), params.custody_head),
        examination=exam,
        transcript=transcript,
        samples=muted_samples(run, transcript),
        sample_rate=decoded.sample_rate,
        # After a redaction the page plays the muted copy, never the original.
        audio_href=REDACTED_AUDIO_NAME if redactions_of(transcript) else f"original{suffix}",
        audio_mime="audio/wav" if redactions_of(transcript) else audio_mime(suffix),
        tool=ToolVersions(__version__, {model.name: model.sha256}),
        verify_commands=list(params.verify_commands),
        generated_at=exam.created_at,
        examination_sha256=stored.object_sha256 if stored else None,
        drawn=run.resource(DRAWN) if DRAWN in run.resources else None,
    )
    return render_dossier(inputs)


def draw_ahead_of_page(run: Run, examined: StageResult[Any]) -> None:
    """Draw the page's figures that need no transcript into the run's ``DRAWN`` resource;
    ``report`` calls it once the examination is done, while the speech is still decoded.

    Only when the examination was made just now: one answered from the case is most often a
    report asked for again, whose page is stored too, and drawing it would be work for
    nothing. Only time is at stake: whatever this leaves undrawn, the page draws itself, and
    an error it meets here the page meets again and reports. So none is raised from here.
    """
    from earwitness.reports.dossier import draw_ahead

    if DRAWN not in run.resources or examined.reused:
        return
    try:
        draw_ahead(run.resource(DRAWN), examined.value)
    except Exception:  # see the docstring: the page reports it
        return


WITHHELD = "recorded privately (a salted commitment in the custody log)"


def withheld(private: str | None) -> str | None:
    """What the dossier says of a private intake field: only that it was recorded. A dossier
    is stored in the case and travels in every package, publication included."""
    return WITHHELD if private is not None else None


DOSSIER_HTML: Stage[str] = Stage(
    name="dossier-html",
    # 2: no private intake field, local path or case path on the page; 3: the sections of an
    # evaluative report and the examiner sign-offs (custody events, so in custody_head)
    # 4: which version of the transcript it shows (ASR, or ASR + corrections)
    version=4,
    action=ACTION,
    filename="index.html",
    media_type="text/html",
    compute=_compute_html,
    serialise=lambda page: page.encode("utf-8"),
    deserialise=lambda data: data.decode("utf-8"),
    inputs=lambda request: (
        Request(EXAMINATION, request.params.exam),  # type: ignore[attr-defined]
        request.params.shown(),  # type: ignore[attr-defined]
    ),
    model_sha256=lambda request: request.params.speech.model.sha256,  # type: ignore[attr-defined]
)


def _compute_pdf(run: Run, request: Request[bytes]) -> bytes:
    import tempfile
    from pathlib import Path

    from earwitness.reports.dossier import write_pdf

    page = run.value(Request(DOSSIER_HTML, request.params))
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "dossier.pdf"
        write_pdf(page, target)
        return target.read_bytes()


DOSSIER_PDF: Stage[bytes] = Stage(
    name="dossier-pdf",
    version=1,
    action=ACTION,
    filename="dossier.pdf",
    media_type="application/pdf",
    compute=_compute_pdf,
    serialise=lambda body: body,
    deserialise=lambda data: data,
    inputs=lambda request: (Request(DOSSIER_HTML, request.params),),
    model_sha256=lambda request: request.params.speech.model.sha256,  # type: ignore[attr-defined]
)


def original_suffix(filename: str) -> str:
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()
    # A hostile name may carry any suffix: keep it only when it is a plain short extension.
    return suffix if suffix[1:].isalnum() and len(suffix) <= 6 else ".bin"


def audio_mime(suffix: str) -> str:
    return {
        ".mp3": "audio/mpeg",
        ".wav": "audio/wav",
        ".flac": "audio/flac",
        ".ogg": "audio/ogg",
        ".opus": "audio/ogg",
        ".m4a": "audio/mp4",
        ".aac": "audio/aac",
        ".mp4": "video/mp4",
        ".webm": "audio/webm",
    }.get(suffix, "application/octet-stream")
