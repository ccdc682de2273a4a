"""From received blocks to smoothed activity: every step between the link and the model.

Per block the work is a handful of scalar operations (sequence check, clock fit, append); the
numeric work (timestamps, unit conversion, resampling, windowing) runs vectorised over everything
pending, and only when a window can be completed, so replaying a file runs far faster than real
time and a live stream pays the cost once per hop.

Order of operations, matching the model card's preprocessing contract:
dedupe/gaps by sequence number -> device time per sample -> host time (drift-following fit) ->
channel selection and unit conversion -> resampling to the card's source rate -> sliding window
(``window_seconds``, hop) -> linear resampling to ``window_steps`` -> standardisation -> layout ->
interpreter (quantization inside) -> softmax -> smoothing.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field

import numpy as np

from edgehar.errors import EdgeharError
from edgehar.modelcard import ModelCard
from edgehar.protocol.device_time import DeviceTimeUnwrapper
from edgehar.protocol.sequence import SequenceTracker
from edgehar.runtime.clock import ClockMap, RateEstimator
from edgehar.runtime.interpreter import Interpreter
from edgehar.resampling import resample
from edgehar.runtime.resample import StreamResampler
from edgehar.runtime.smoothing import Smoother, Transition
from edgehar.runtime.sources.base import Block, LinkEvent, StreamInfo
from edgehar.runtime.units import conversion_factors
from edgehar.runtime.window import Window, WindowBuffer

# Flush pending samples at least this often even when no window is due, to bound memory.
_MAX_PENDING = 4096


@dataclass
class WindowResult:
    """One inference: raw and smoothed prediction, timing, and activity events it triggered."""

    index: int
    device_time: float  # device seconds (since the stream began) of the window's last sample
    host_time: float  # host time.monotonic() that sample maps to
    probs: np.ndarray
    raw_label: int
    raw_confidence: float
    label: int | None
    confidence: float
    events: list[Transition]
    latency: dict[str, float] = field(default_factory=dict)  # seconds per stage


@dataclass
class StreamCounters:
    """What the summary reports about the link and the pipeline."""

    samples: int = 0
    blocks: int = 0
    corrupt: int = 0
    link_losses: int = 0
    windows: int = 0
    window_resets: int = 0


def _channel_key(name: str) -> str:
    """Canonical channel name so ``acc_x``, ``accel-x``, ``ax`` and ``AccX`` all match."""
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    for long, short in (("accelerometer", "a"), ("acceleration", "a"), ("accel", "a"), ("acc", "a"),
                        ("gyroscope", "g"), ("gyro", "g"), ("gyr", "g"),
                        ("magnetometer", "m"), ("mag", "m")):
        if key.startswith(long):
            return short + key[len(long):]
    return key


def channel_map(stream: tuple[str, ...], model: tuple[str, ...]) -> np.ndarray:
    """Indices into the stream's channels giving the model's channels, by name, else by position."""
    keys = {_channel_key(c): i for i, c in enumerate(stream)}
    wanted = [_channel_key(c) for c in model]
    if all(k in keys for k in wanted):
        return np.array([keys[k] for k in wanted], np.int64)
    if len(stream) == len(model):
        return np.arange(len(model))
    raise EdgeharError(
        f"stream channels {list(stream)} do not provide the model's {list(model)} (by name or position)"
    )


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64) - np.max(logits)
    e = np.exp(z)
    return e / e.sum()


class Pipeline:
    """Stateful processing of one stream for one model; call :meth:`configure` before blocks."""

    def __init__(
        self,
        card: ModelCard,
        interpreter: Interpreter,
        smoother: Smoother,
        hop_s: float | None = None,
        window_s: float | None = None,
        max_gap_s: float = 0.25,
        clock_tau_s: float = 30.0,
    ) -> None:
        self.card = card
        self.interpreter = interpreter
        self.smoother = smoother
        self.rate_hz = card.source_rate_hz
        self.window_s = card.window_seconds if window_s is None else window_s
        self.hop_s = card.default_hop_seconds if hop_s is None else hop_s
        self.window_samples = max(1, round(self.window_s * self.rate_hz))
        self.hop_samples = max(1, round(self.hop_s * self.rate_hz))
        if self.window_s <= 0 or self.hop_s <= 0:
            raise EdgeharError("--window and --hop must be positive durations")
        self.max_gap_s = max_gap_s
        self.counters = StreamCounters()
        self.sequence = SequenceTracker()
        self.clock = ClockMap(clock_tau_s)
        self.info: StreamInfo | None = None
        self._unwrapper = DeviceTimeUnwrapper()
        self._rate_estimator = RateEstimator()
        c = len(card.channels)
        self._mean = np.asarray(card.norm_mean, np.float32)
        self._std = np.asarray(card.norm_std, np.float32)
        self._resampler = StreamResampler(self.rate_hz, c, max_gap_s)
        self._windows = WindowBuffer(self.window_samples, self.hop_samples, c, self.rate_hz)
        self._channels = np.arange(c)
        self._factors = np.ones(c, np.float32)
        self._device_rate: float | None = None
        self._period = 0.0
        self._next_index_time = 0.0  # timeline of streams without device time
        self._time_origin_us: int | None = None  # device time (us) of the timeline's zero
        self._discontinuity = False
        self._warmup: list[Block] = []
        self._pending_t: list[float] = []  # device time of each pending block's first sample
        self._pending_sizes: list[int] = []
        self._pending_x: list[np.ndarray] = []
        self._pending_n = 0
        self._last_t = -math.inf
        self._due = -math.inf  # device time whose arrival completes the next window
        self._broken_results: list[WindowResult] = []  # completed while breaking the timeline

    # -- configuration ---------------------------------------------------------------------------
    def configure(self, info: StreamInfo) -> None:
        """Set the stream's channels, units and rate (from the source's ``connected`` event)."""
        if len(info.units) != len(info.channels):
            raise EdgeharError(f"stream info: {len(info.channels)} channels but {len(info.units)} units")
        idx = channel_map(info.channels, self.card.channels)
        units = tuple(info.units[i] for i in idx)
        self._channels = idx
        self._factors = conversion_factors(units, self.card.units).astype(np.float32)
        if info.rate_hz is not None and info.rate_hz <= 0:
            raise EdgeharError(f"stream info: rate must be positive, got {info.rate_hz}")
        if self.info is None or info.rate_hz != self.info.rate_hz:
            self._set_rate(info.rate_hz)
        self.info = info

    def _set_rate(self, rate_hz: float | None) -> None:
        self._device_rate = rate_hz
        self._period = 1.0 / rate_hz if rate_hz else 0.0

    @property
    def device_rate_hz(self) -> float | None:
        """The device's sample rate: declared by the stream or estimated from arrivals."""
        return self._device_rate

    # -- link events -----------------------------------------------------------------------------
    def link_event(self, event: LinkEvent) -> None:
        """Count corrupt frames and link losses; a loss breaks the timeline of untimed streams."""
        if event.kind == "corrupt":
            self.counters.corrupt += event.count
        elif event.kind == "lost":
            self.counters.link_losses += 1
            self._discontinuity = True
        if event.info is not None:
            self.configure(event.info)

    # -- blocks ----------------------------------------------------------------------------------
    def push(self, block: Block) -> list[WindowResult]:
        """Feed one received block; returns the windows it completed (usually none)."""
        start = time.perf_counter()
        if self.info is None:
            raise EdgeharError("the source sent samples before saying its channels and units")
        n = len(block.samples)
        if block.samples.ndim != 2 or block.samples.shape[1] != len(self.info.channels):
            self.counters.corrupt += 1  # a block that does not match the stream: skipped, never fatal
            return []
        missing = 0
        if block.seq is not None:
            # Kept across reconnects (unlike PROTOCOL.md's reset) so an outage counts as a gap;
            # the four-stale rule still recognises a restarted device.
            verdict = self.sequence.update(block.seq)
            if not verdict.accept:
                return []
            missing = verdict.lost_frames
            if verdict.verdict == "restart":
                self._break_timeline()
        self.counters.blocks += 1
        self.counters.samples += n
        if n == 0:
            return []
        if self._device_rate is None:
            results = self._warm_up(block, start)
        else:
            results = self._accept(block, missing, start)
        if self._broken_results:
            results, self._broken_results = self._broken_results + results, []
        return results

    def _warm_up(self, block: Block, start: float) -> list[WindowResult]:
        """Hold blocks until the rate can be estimated, like Edge Impulse's forwarder does."""
        self._warmup.append(block)
        if block.device_time_us is not None:
            stamp = self._unwrapper.unwrap(block.device_time_us) * 1e-6
        else:
            stamp = block.host_time
        rate = self._rate_estimator.observe(len(block.samples), stamp)
        if rate is None:
            return []
        self._set_rate(rate)
        self._unwrapper.reset()
        held, self._warmup = self._warmup, []
        results: list[WindowResult] = []
        for b in held:
            results.extend(self._accept(b, 0, start))
        return results

    def _accept(self, block: Block, missing: int, start: float) -> list[WindowResult]:
        n = len(block.samples)
        if self._discontinuity:
            # Device stamps bridge a short outage by themselves; untimed samples cannot.
            if block.device_time_us is None:
                self._break_timeline()
            self._discontinuity = False
        if block.device_time_us is not None:
            if self._time_origin_us is None:
                self._time_origin_us = self._unwrapper.unwrap(block.device_time_us)
            t0 = (self._unwrapper.unwrap(block.device_time_us) - self._time_origin_us) * 1e-6
        else:
            # No device clock: samples are evenly spaced at the rate, lost frames still take time.
            t0 = self._next_index_time + missing * n * self._period
        t_last = t0 + (n - 1) * self._period
        self._next_index_time = t_last + self._period
        self.clock.update(t_last, block.host_time)
        self._last_t = t_last
        self._pending_t.append(t0)
        self._pending_sizes.append(n)
        self._pending_x.append(block.samples)
        self._pending_n += n
        if t_last + 1e-9 >= self._due or self._pending_n >= _MAX_PENDING:
            return self._flush(block, start)
        return []

    def _break_timeline(self) -> None:
        """A device restart or an untimed link loss: finish what is pending, then start afresh."""
        self._broken_results.extend(self._flush())
        self._resampler.reset()
        self._drop_partial_window()
        self._unwrapper.reset()
        self._time_origin_us = None
        self.clock.reset()
        self._next_index_time = 0.0
        self._last_t = -math.inf
        self._due = -math.inf

    def _drop_partial_window(self) -> None:
        if self._windows.filled:
            self.counters.window_resets += 1
        self._windows.clear()

    def _flush(self, block: Block | None = None, start: float | None = None) -> list[WindowResult]:
        """Run the vectorised stages over everything pending and infer every completed window."""
        if not self._pending_n:
            return []
        x = np.concatenate(self._pending_x) if len(self._pending_x) > 1 else self._pending_x[0]
        sizes = np.array(self._pending_sizes)
        # Per-sample device times: each block's first stamp plus the sample's offset within it.
        offsets = np.arange(len(x)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        t = np.repeat(np.array(self._pending_t), sizes) + offsets * self._period
        self._pending_t.clear()
        self._pending_sizes.clear()
        self._pending_x.clear()
        self._pending_n = 0
        x = x[:, self._channels] * self._factors
        windows: list[Window] = []
        for restarted, values, t_first in self._resampler.push(t, x):
            if restarted:
                self._drop_partial_window()
            else:
                windows.extend(self._windows.push(values, t_first))
        self._due = self._windows.next_end_time()
        if block is None or start is None:
            # Flushed on a break: windows completed here still count, without latency figures.
            return [self._infer(w, {}) for w in windows]
        prep = (time.perf_counter() - start) / max(1, len(windows))
        queue = max(0.0, time.monotonic() - block.host_time)
        return [self._infer(w, {"queue": queue, "preprocess": prep}) for w in windows]

    def _infer(self, window: Window, latency: dict[str, float]) -> WindowResult:
        t0 = time.perf_counter()
        steps = resample(window.samples, self.card.window_steps, self.card.resample, axis=0)
        x = ((steps - self._mean) / self._std).astype(np.float32)
        x = x[None] if self.card.input_layout == "NWC" else x.T[None]
        t1 = time.perf_counter()
        out = self.interpreter.run(np.ascontiguousarray(x)).reshape(-1)
        t2 = time.perf_counter()
        probs = softmax(out) if self.card.output_kind == "logits" else out.astype(np.float64)
        raw = int(np.argmax(probs))
        smoothed = self.smoother.update(probs, window.end_time)
        self.counters.windows += 1
        latency.update(window=t1 - t0, invoke=t2 - t1, postprocess=time.perf_counter() - t2)
        return WindowResult(
            index=window.index,
            device_time=window.end_time,
            host_time=self.clock.to_host(window.end_time) if self.clock.ready else time.monotonic(),
            probs=probs,
            raw_label=raw,
            raw_confidence=float(probs[raw]),
            label=smoothed.label,
            confidence=smoothed.confidence,
            events=smoothed.events,
            latency=latency,
        )

    def summary(self) -> dict:
        """Counters for the end-of-run summary (latency is the runner's)."""
        seq = self.sequence.stats
        c = self.counters
        return {
            "samples": c.samples,
            "blocks": c.blocks,
            "duplicates": seq.duplicates,
            "stale": seq.stale,
            "gaps": seq.gaps,
            "lost_frames": seq.lost_frames,
            "device_restarts": seq.restarts,
            "corrupt": c.corrupt,
            "link_losses": c.link_losses,
            "windows": c.windows,
            "window_resets": c.window_resets,
            "device_rate_hz": None if self._device_rate is None else round(self._device_rate, 4),
            "clock_drift_ppm": round((self.clock.rate_ratio - 1.0) * 1e6, 1) if self.clock.ready else None,
        }

    def finish(self) -> tuple[list[WindowResult], list[Transition]]:
        """End of stream: windows still pending, then the exit event of the current activity."""
        results = self._flush()
        end = results[-1].device_time if results else self._last_t
        return results, self.smoother.finish(end if math.isfinite(end) else 0.0)
