"""What an output is: it receives the start record, then window/event/link records, then the summary."""

from __future__ import annotations

from typing import Protocol


class Sink(Protocol):
    def start(self, record: dict) -> None:
        """The run begins (model, labels, window, hop, smoothing)."""

    def emit(self, record: dict) -> None:
        """One window, event or link record (see ``edgehar.runtime.outputs.records``)."""

    def close(self, summary: dict) -> None:
        """The run ended; ``summary`` is the final record. Release files and connections."""
