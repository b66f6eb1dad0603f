"""What an examination request asks for, as plain data.

No NumPy here, so the command line can build the options (and turn them back into flags)
without loading the analysis stack. ``parameters()`` is what is hashed into an examination
artefact's record; ``to_cli_args()`` is the one place that spells a request as flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ExamOptions:
    enf_nominal: float | None = None  # None: detect 50 or 60 Hz

    def parameters(self) -> dict[str, Any]:
        return {"enf_nominal": self.enf_nominal or "auto"}

    def to_cli_args(self) -> list[str]:
        """The ``examine``/``report`` flags that ask for these options (defaults left out)."""
        return ["--enf-nominal", f"{self.enf_nominal:g}"] if self.enf_nominal else []
