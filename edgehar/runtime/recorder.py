"""Recording what a link delivers, for ``edgehar record`` and ``edgehar stream --record``.

Every accepted sample is appended with its host and device times through the dataset's recording
writer (append-only, flushed every half second, so a killed process loses at most that). Frames
the link re-delivered are dropped by sequence number as in the pipeline, and every hole (lost
frames, a lost link, corrupt frames) becomes a gap marker, so training never joins across one
unknowingly. A stream that does not declare its rate is held for a second while it is estimated.
"""

from __future__ import annotations

from pathlib import Path

from edgehar.data.recording import RecordingWriter
from edgehar.errors import EdgeharError
from edgehar.protocol.sequence import SequenceTracker
from edgehar.runtime.clock import WALL_OFFSET, RateEstimator
from edgehar.runtime.sources.base import Block, LinkEvent, StreamInfo


class Recorder:
    def __init__(self, path: str | Path, label: str | None = None, subject: int = -1, session: int = -1,
                 flush_interval_s: float = 0.5) -> None:
        self.path = Path(path)
        self.label, self.subject, self.session = label, subject, session
        self.flush_interval_s = flush_interval_s
        self.info: StreamInfo | None = None
        self.samples = 0
        self._writer: RecordingWriter | None = None
        self._sequence = SequenceTracker()
        self._rate = RateEstimator()
        self._held: list[Block] = []

    def link_event(self, event: LinkEvent) -> None:
        if event.info is not None:
            old, new = self.info, event.info
            if old is not None and (new.channels, new.units) != (old.channels, old.units):
                raise EdgeharError(f"{self.path}: the device changed its channels mid-recording; start a new take")
            self.info = event.info
        # Binary frames show a corrupt frame as a sequence gap already; text lines have no other trace.
        untimed = self._sequence.stats.accepted == 0
        if event.kind == "lost" or (event.kind == "corrupt" and untimed):
            self._gap(f"link {event.kind}" + (f": {event.detail}" if event.detail else ""), None)

    def write(self, block: Block) -> None:
        if block.seq is not None:
            verdict = self._sequence.update(block.seq)
            if not verdict.accept:
                return
            if verdict.lost_frames:
                self._gap("lost frames", verdict.lost_frames * len(block.samples))
            elif verdict.verdict == "restart":
                self._gap("device restarted", None)
        if self._writer is None:
            if not self._open(block):
                return
        else:
            self._append(block)

    def _open(self, block: Block) -> bool:
        if self.info is None:
            raise EdgeharError(f"{self.path}: the source sent samples before saying its channels and units")
        self._held.append(block)
        rate = self.info.rate_hz
        if rate is None:
            stamp = block.host_time if block.device_time_us is None else block.device_time_us * 1e-6
            rate = self._rate.observe(len(block.samples), stamp)
            if rate is None:
                return False
        self._writer = RecordingWriter(
            self.path, channels=self.info.channels, units=self.info.units, rate_hz=rate, label=self.label,
            subject=self.subject, session=self.session, device=self.info.device_name or "",
            extra={"firmware": self.info.firmware, "rate_declared": self.info.rate_hz is not None},
            flush_interval_s=self.flush_interval_s,
        )
        held, self._held = self._held, []
        for b in held:
            self._append(b)
        return True

    def _gap(self, reason: str, missing: int | None) -> None:
        if self._writer is not None and self._writer.samples_written:
            self._writer.gap(reason, missing)

    def _append(self, block: Block) -> None:
        if self._writer is None:
            return
        self._writer.write(block.samples, block.host_time + WALL_OFFSET, block.device_time_us)
        self.samples += len(block.samples)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
