"""What an evidence package leaves out of a redacted recording, and what it carries instead.

Once a time range of a recording is redacted in the workbench, no package made afterwards
holds a copy of what was said there. For each such exhibit the package carries the reviewed
transcript (words of the range blanked) and the muted copy of the audio, both made and logged
here first, and the examination (numbers and plots of the signal, no words); the original and
every other artefact (the ASR transcripts, their renderings, dossiers and videos made before,
the review edits themselves) are withheld: named in the custody log and in catalog.json with
the reason, left out of the package. The original stays in the vault as it was received.
"""

from __future__ import annotations

from earwitness.jobs.engine import Request, run_stage
from earwitness.jobs.examine import EXAMINATION, EXAMINATION_HTML, SERIES
from earwitness.jobs.recording import exhibit_run
from earwitness.jobs.reviewed import REVIEWED, muted_copy, redactions_of, reviewed_params
from earwitness.jobs.transcribe import TRANSCRIPT
from earwitness.vault.artefacts import list_artefacts
from earwitness.vault.case import Case

REASON = "redacted in review"
# Made from the signal alone: they hold no words, so a redaction does not withhold them.
_SIGNAL_ONLY = frozenset({EXAMINATION.name, SERIES.name, EXAMINATION_HTML.name})


def withheld_by_redactions(case: Case, exhibits: list[str]) -> dict[str, str]:
    """Object SHA-256 -> reason for everything a package of ``exhibits`` must leave out; the
    redacted versions it carries instead are made and logged before this returns."""
    withheld: dict[str, str] = {}
    for sha256 in exhibits:
        stored = [r for r in list_artefacts(case, sha256) if r.stage == TRANSCRIPT.name]
        if not stored:
            continue
        run = exhibit_run(case, sha256)
        review = reviewed_params(run, stored[-1])
        if review is None:
            continue
        reviewed = run_stage(run, Request(REVIEWED, review))
        if not redactions_of(reviewed.value):
            continue
        audio = run_stage(run, muted_copy(reviewed.value))
        assert reviewed.record is not None and audio.record is not None
        carried = {reviewed.record.object_sha256, audio.record.object_sha256}
        withheld[sha256] = REASON
        for record in list_artefacts(case, sha256):
            if record.object_sha256 not in carried and record.stage not in _SIGNAL_ONLY:
                withheld[record.object_sha256] = REASON
    return withheld
