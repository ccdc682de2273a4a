"""JSON lines: one object per line, to stdout or a file (schema in docs/stream-jsonl.md).

Lines are flushed as they are written so a consumer piping ``edgehar stream ... --jsonl -`` sees
each window when it happens, and a killed process leaves complete lines behind.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from edgehar.errors import EdgeharError


class JsonlSink:
    def __init__(self, target: str) -> None:
        self._own = target != "-"
        if self._own:
            try:
                self._out: TextIO = open(Path(target), "a", encoding="utf-8")
            except OSError as exc:
                raise EdgeharError(f"--jsonl {target}: cannot open for writing ({exc.strerror})") from None
        else:
            self._out = sys.stdout

    def _write(self, record: dict) -> None:
        self._out.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._out.flush()

    def start(self, record: dict) -> None:
        self._write(record)

    def emit(self, record: dict) -> None:
        self._write(record)

    def close(self, summary: dict) -> None:
        self._write(summary)
        if self._own:
            self._out.close()
