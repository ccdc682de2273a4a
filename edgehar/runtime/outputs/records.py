"""The records every output speaks: plain dicts, one per window, event, link change, start, end.

Building them once and handing the same dict to every sink keeps the console, JSON lines and
MQTT in agreement; docs/stream-jsonl.md documents the fields.
"""

from __future__ import annotations

import time

from edgehar.runtime.clock import wall
from edgehar.runtime.pipeline import WindowResult
from edgehar.runtime.smoothing import Transition
from edgehar.runtime.sources.base import LinkEvent

def window_record(result: WindowResult, labels: tuple[str, ...]) -> dict:
    return {
        "type": "window",
        "index": result.index,
        "t": wall(result.host_time),
        "t_device": round(result.device_time, 6),
        "label": None if result.label is None else labels[result.label],
        "confidence": round(result.confidence, 4),
        "raw_label": labels[result.raw_label],
        "raw_confidence": round(result.raw_confidence, 4),
        "probs": [round(float(p), 4) for p in result.probs],
        "latency_ms": {k: round(v * 1e3, 4) for k, v in result.latency.items()},
    }


def event_record(event: Transition, labels: tuple[str, ...], host_time: float) -> dict:
    record = {
        "type": "event",
        "event": event.kind,
        "label": labels[event.label],
        "t": wall(host_time),
        "t_device": round(event.time, 6),
        "confidence": round(event.confidence, 4),
    }
    if event.kind == "exit":
        record["duration_s"] = round(event.duration_s, 3)
    return record


def link_record(event: LinkEvent) -> dict:
    record = {"type": "link", "event": event.kind, "detail": event.detail, "t": wall(time.monotonic())}
    if event.kind == "corrupt":
        record["count"] = event.count
    if event.info is not None:
        info = event.info
        record["stream"] = {"channels": list(info.channels), "units": list(info.units), "rate_hz": info.rate_hz,
                            "device": info.device_name, "firmware": info.firmware}
    return record
