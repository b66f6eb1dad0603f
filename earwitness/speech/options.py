"""What a transcription request asks for, as plain data.

These dataclasses import nothing heavy (no NumPy, no speech models), so the command line can
build them, and turn them back into the flags that would ask for the same thing, without
loading the speech stack. ``parameters()`` is what is hashed into a transcript artefact's
record; ``to_cli_args()`` is the one place that spells a request as ``earwitness`` flags.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# Whisper translates into English only.
TRANSLATION_TARGETS = ("en",)
# The languages Whisper's tokenizer knows, as faster-whisper 1.2 checks ``language`` against
# them (its list is private; a test compares the two, so an upgrade that changes it fails
# loudly instead of letting ``--language`` refuse or pass the wrong codes).
WHISPER_LANGUAGES: tuple[str, ...] = tuple(
    """af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw
    he hi hr ht hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my
    ne nl nn no oc pa pl ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt
    uk ur uz vi yi yo zh yue""".split()  # noqa: SIM905 (a hundred codes, read as a block)
)


@dataclass(frozen=True)
class DecodeOptions:
    """Everything that changes the recogniser's output; hashed into the artefact's parameters."""

    language: str | None = None  # ISO 639-1; None detects it
    # One wider than faster-whisper's 5: windows decoded in a batch cannot lean on the
    # previous window's text as sequential decoding does. On the long Russian benchmark every
    # beam from 6 to 10 gave WER 0.140-0.144 against 0.150 with 5 (English within two words);
    # 7 and wider garble a word of the bundled sample ("от Министерства" becomes "о замене
    # стерства"). The differences are a few words in 2,700 (bench/RESULTS.md, "Beam width").
    beam_size: int = 6
    batch_size: int = 8
    word_timestamps: bool = True
    # Names or terms the recording uses, which Whisper would otherwise misspell.
    initial_prompt: str | None = None
    # Whisper's translate task decodes greedily. On Festival's Russian speaking the tamper
    # benchmark's parallel sentences (bench/speech/translation.py, 170 sentences in 40 clips),
    # beam 6 dropped whole clips' English and put other clips' English in their place: chrF
    # 37.2 against 41.7 greedy (+4.4, 90 % over clips +1.3 to +8.1), and the speech stage
    # took 1.4 times as long. Beams 4 and 2 fell between. The transcription keeps its beam.
    translate_beam_size: int = 1

    def beam_for(self, task: str) -> int:
        """The beam the decoder uses for ``task`` ("transcribe" or "translate")."""
        return self.translate_beam_size if task == "translate" else self.beam_size

    def parameters(self) -> dict[str, Any]:
        """The transcription's parameters (the translate beam is ``TranscribeOptions``': it
        counts only when English is asked for)."""
        return {
            "language": self.language,
            "beam_size": self.beam_size,
            "batch_size": self.batch_size,
            "word_timestamps": self.word_timestamps,
            "initial_prompt": self.initial_prompt,
        }

    def to_cli_args(self) -> list[str]:
        """The ``transcribe``/``report`` flags that ask for these options (defaults left out).

        Word timestamps have no flag: the command always asks for them.
        """
        default = DecodeOptions()
        args: list[str] = []
        if self.language:
            args += ["--language", self.language]
        if self.initial_prompt:
            args += ["--prompt", self.initial_prompt]
        if self.beam_size != default.beam_size:
            args += ["--beam-size", str(self.beam_size)]
        if self.batch_size != default.batch_size:
            args += ["--batch-size", str(self.batch_size)]
        return args


@dataclass(frozen=True)
class TranscribeOptions:
    decode: DecodeOptions = dataclasses.field(default_factory=DecodeOptions)
    translate_to: str | None = None
    diarize: bool = True
    num_speakers: int | None = None  # None: as many as the clustering finds

    def parameters(self) -> dict[str, object]:
        found: dict[str, object] = {
            **self.decode.parameters(),
            "translate_to": self.translate_to,
            "diarize": self.diarize,
            "num_speakers": self.num_speakers,
        }
        if self.translate_to:
            found["translate_beam_size"] = self.decode.translate_beam_size
        return found

    def to_cli_args(self) -> list[str]:
        """The ``transcribe``/``report`` flags that ask for these options (defaults left out)."""
        args = self.decode.to_cli_args()
        if self.translate_to:
            args += ["--translate", self.translate_to]
            if self.decode.translate_beam_size != DecodeOptions().translate_beam_size:
                args += ["--translate-beam-size", str(self.decode.translate_beam_size)]
        if not self.diarize:
            args += ["--speakers", "none"]
        elif self.num_speakers:
            args += ["--speakers", str(self.num_speakers)]
        return args
