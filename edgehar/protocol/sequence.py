"""Receiver-side sequence rules (PROTOCOL.md section 4): dedupe, count gaps, survive wrap and restart.

BLE stacks re-deliver notifications after a reconnect and serial links lose bytes; the 16-bit
``seq`` of each DATA frame is what tells these apart, so every source runs its frames through this.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SEQ_MODULO = 1 << 16
HALF_RANGE = SEQ_MODULO // 2
#: Consecutive stale frames (each following the previous) that mean "the device restarted".
RESTART_AFTER = 4

Verdict = Literal["first", "next", "gap", "duplicate", "stale", "restart"]


@dataclass(frozen=True)
class SeqResult:
    """What to do with one DATA frame; ``lost_frames`` is how many frames a gap skipped."""

    verdict: Verdict
    lost_frames: int = 0

    @property
    def accept(self) -> bool:
        return self.verdict in ("first", "next", "gap", "restart")


@dataclass
class SequenceStats:
    accepted: int = 0
    duplicates: int = 0
    gaps: int = 0
    lost_frames: int = 0
    stale: int = 0
    restarts: int = 0


class SequenceTracker:
    """Classifies each DATA frame's ``seq`` against the last accepted one."""

    def __init__(self) -> None:
        self.stats = SequenceStats()
        self._last: int | None = None
        self._stale_run: list[int] = []

    def reset(self) -> None:
        """Forget the reference (after a CONFIG frame or a reconnect): the next frame is ``first``."""
        self._last = None
        self._stale_run.clear()

    def update(self, seq: int) -> SeqResult:
        """Verdict for a frame with sequence number ``seq`` (0..65535)."""
        if self._last is None:
            return self._accept(seq, SeqResult("first"))
        delta = (seq - self._last) % SEQ_MODULO
        if delta == 1:
            return self._accept(seq, SeqResult("next"))
        if delta == 0:
            self.stats.duplicates += 1
            return SeqResult("duplicate")
        if delta < HALF_RANGE:
            self.stats.gaps += 1
            self.stats.lost_frames += delta - 1
            return self._accept(seq, SeqResult("gap", delta - 1))
        return self._stale(seq)

    def _stale(self, seq: int) -> SeqResult:
        run = self._stale_run
        if run and (seq - run[-1]) % SEQ_MODULO != 1:
            run.clear()
        run.append(seq)
        if len(run) >= RESTART_AFTER:
            self.stats.restarts += 1
            self.stats.gaps += 1
            return self._accept(seq, SeqResult("restart"))
        self.stats.stale += 1
        return SeqResult("stale")

    def _accept(self, seq: int, result: SeqResult) -> SeqResult:
        self._last = seq
        self._stale_run.clear()
        self.stats.accepted += 1
        return result
