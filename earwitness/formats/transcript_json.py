"""A transcript as ``earwitness.transcript/1`` JSON (``transcript.schema.json``).

The JSON is the transcript itself, not a view of it: every word, time, speaker, the model and
its hash, and the translation whether or not a rendering shows it, so the rendering options
do not change it. These bytes are what a case stores as the transcript artefact.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from earwitness.speech.types import Transcript

if TYPE_CHECKING:
    from earwitness.formats.transcript_formats import Rendering


def render_json(transcript: Transcript, rendering: Rendering | None = None) -> bytes:
    """``transcript`` as indented UTF-8 JSON with a final newline; ``rendering`` is ignored."""
    return (json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False) + "\n").encode()
