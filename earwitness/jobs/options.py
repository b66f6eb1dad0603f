"""What a ``report`` run asks for, as plain data (no NumPy: the command line builds it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from earwitness.forensics.options import ExamOptions
from earwitness.speech.options import TranscribeOptions


@dataclass(frozen=True)
class ReportOptions:
    exam: ExamOptions = field(default_factory=ExamOptions)
    speech: TranscribeOptions = field(default_factory=TranscribeOptions)
    model_spec: str | None = None
    device: str = "auto"  # where the speech model runs; no flag: auto picks a GPU if there is one
    force: bool = False  # compute every stage again instead of reusing the case's results

    def to_cli_args(self) -> list[str]:
        """The ``report`` flags that ask for these options (defaults left out)."""
        args = [*self.speech.to_cli_args(), *self.exam.to_cli_args()]
        if self.model_spec:
            args += ["--model", self.model_spec]
        if self.force:
            args.append("--force")
        return args

    def transcribe_cli_args(self) -> list[str]:
        """The ``transcribe`` flags that ask for the same transcript as this report."""
        model = ["--model", self.model_spec] if self.model_spec else []
        return [*self.speech.to_cli_args(), *model]
