"""The stream loop: source -> (recorder) -> pipeline -> outputs, until the source ends or Ctrl-C.

One asyncio task reads the source; inference runs inline (a window costs about a millisecond, far
less than a hop). On SIGINT/SIGTERM the source is closed, which ends its iterator; what is pending
is flushed, the current activity gets its exit event, and every output receives the summary.
"""

from __future__ import annotations

import asyncio
import signal
import time
from typing import TYPE_CHECKING, Sequence

from edgehar.runtime.latency import LatencyStats
from edgehar.runtime.outputs.records import event_record, link_record, window_record
from edgehar.runtime.outputs.sink import Sink
from edgehar.runtime.pipeline import Pipeline, WindowResult
from edgehar.runtime.sources.base import Block, LinkEvent, Source

if TYPE_CHECKING:  # the recorder pulls in the dataset package: only --record pays for it
    from edgehar.runtime.recorder import Recorder

# After Ctrl-C, how long the source may take to wind down before its task is cancelled.
_CLOSE_GRACE_S = 3.0


class StreamRun:
    """One run; ``stop()`` may be called from a signal handler."""

    def __init__(
        self,
        source: Source,
        pipeline: Pipeline,
        sinks: Sequence[Sink],
        recorder: Recorder | None = None,
        max_windows: int | None = None,
    ) -> None:
        self.source, self.pipeline, self.sinks, self.recorder = source, pipeline, list(sinks), recorder
        self.max_windows = max_windows
        self.latency = LatencyStats()
        self.labels = pipeline.card.label_names
        self.interrupted = False
        self._started = time.monotonic()
        self._stopping = False

    def stop(self) -> None:
        """Ask the source to end; the loop then finishes cleanly."""
        if not self._stopping:
            self._stopping = True
            asyncio.get_running_loop().create_task(self.source.close())

    def _emit(self, record: dict) -> None:
        for sink in self.sinks:
            sink.emit(record)

    def _deliver(self, results: list[WindowResult]) -> None:
        for result in results:
            lat = result.latency
            if lat:
                lat["host"] = lat["preprocess"] + lat["window"] + lat["postprocess"]
            t0 = time.perf_counter()
            self._emit(window_record(result, self.labels))
            for event in result.events:
                self._emit(event_record(event, self.labels, result.host_time))
            if lat:
                # The record cannot contain its own writing time; the summary's figures do.
                out = time.perf_counter() - t0
                self.latency.record(**{**lat, "postprocess": lat["postprocess"] + out, "host": lat["host"] + out})
            if self.max_windows is not None and self.pipeline.counters.windows >= self.max_windows:
                self.stop()

    async def _consume(self) -> None:
        async for item in self.source:
            if isinstance(item, Block):
                if self.recorder is not None:
                    self.recorder.write(item)
                self._deliver(self.pipeline.push(item))
            elif isinstance(item, LinkEvent):
                self.pipeline.link_event(item)
                if self.recorder is not None:
                    self.recorder.link_event(item)
                self._emit(link_record(item))
            if self._stopping:
                break

    async def run(self) -> dict:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self._on_signal)
            except (NotImplementedError, RuntimeError):
                pass  # not the main thread (tests) or not supported: Ctrl-C then raises as usual
        task = asyncio.ensure_future(self._consume())
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=0.25)
                if self._stopping and not task.done():
                    await asyncio.wait({task}, timeout=_CLOSE_GRACE_S)
                    if not task.done():
                        task.cancel()
                        await asyncio.gather(task, return_exceptions=True)
            if not task.cancelled():
                task.result()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.remove_signal_handler(sig)
                except (NotImplementedError, RuntimeError):
                    pass
            await self.source.close()
            results, exits = self.pipeline.finish()
            self._deliver(results)
            for event in exits:
                self._emit(event_record(event, self.labels, time.monotonic()))
            if self.recorder is not None:
                self.recorder.close()
            # Also on an error (a port that never opened): files closed, MQTT disconnected,
            # the live console given back to the terminal.
            summary = self.summary()
            for sink in self.sinks:
                sink.close(summary)
        return summary

    def _on_signal(self) -> None:
        self.interrupted = True
        self.stop()

    def summary(self) -> dict:
        record = {"type": "summary", "duration_s": round(time.monotonic() - self._started, 3)}
        record.update(self.pipeline.summary())
        record["interrupted"] = self.interrupted
        if self.recorder is not None:
            record["recorded_samples"] = self.recorder.samples
        record["latency_ms"] = self.latency.percentiles_ms()
        return record
