"""Review of a transcript: edits as values, a state they build, redaction, diff, provenance.

Pure: nothing here touches a file, the case or the clock. ``earwitness.jobs.review`` stores
the edits as artefacts of the exhibit and replays them.
"""

from earwitness.review.edits import (
    Edit,
    EditConflict,
    EditInvalid,
    EditRefused,
    edit_from_dict,
)
from earwitness.review.state import ReviewState, apply, replay, start

__all__ = [
    "Edit",
    "EditConflict",
    "EditInvalid",
    "EditRefused",
    "ReviewState",
    "apply",
    "edit_from_dict",
    "replay",
    "start",
]
