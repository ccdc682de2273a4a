"""The live console view: current activity, confidence and link health at a glance.

On a terminal it is a small rich panel redrawn a few times a second; piped into a file or a
journal (no TTY) it degrades to one plain line per window, event and link change, which greps well.
"""

from __future__ import annotations

import sys
import time
from typing import Callable, TextIO


def _bar(value: float, width: int = 20) -> str:
    filled = int(round(max(0.0, min(1.0, value)) * width))
    return "#" * filled + "." * (width - filled)


class ConsoleSink:
    """``status`` returns the pipeline's live counters (samples, gaps, ...) for the rates line."""

    def __init__(self, status: Callable[[], dict], stream: TextIO | None = None, live: bool | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._status = status
        self._live_mode = self._stream.isatty() if live is None else live
        self._last: dict | None = None
        self._link = "starting"
        self._recent: list[str] = []
        self._t0 = time.monotonic()
        self._samples0 = 0
        self._rate_mark = (self._t0, 0)
        self._rate = 0.0
        self._live = None

    # -- plain lines -------------------------------------------------------------------------------
    def _line(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()

    # -- rich panel --------------------------------------------------------------------------------
    def _render(self):
        from rich.panel import Panel
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        table.add_column(justify="right", style="bold")
        table.add_column()
        last = self._last
        if last is None:
            table.add_row("activity", "waiting for the first window...")
        else:
            label = last["label"] if last["label"] is not None else "(none)"
            table.add_row("activity", f"[bold green]{label}[/]  {last['confidence']:.2f} {_bar(last['confidence'])}")
            table.add_row("raw", f"{last['raw_label']}  {last['raw_confidence']:.2f}")
        s = self._status()
        table.add_row("link", self._link)
        table.add_row("rates", f"{self._rate:.1f} samples/s received, window every {s.get('hop_s', 0):g} s")
        table.add_row(
            "counts",
            f"{s['samples']} samples, {s['windows']} windows, {s['gaps']} gaps, "
            f"{s['duplicates']} duplicates, {s['corrupt']} corrupt",
        )
        for text in self._recent[-4:]:
            table.add_row("", text)
        return Panel(table, title="edgehar stream", expand=False)

    def _update_rate(self) -> None:
        now = time.monotonic()
        t_mark, n_mark = self._rate_mark
        if now - t_mark >= 1.0:
            samples = self._status()["samples"]
            self._rate = (samples - n_mark) / (now - t_mark)
            self._rate_mark = (now, samples)

    # -- Sink ------------------------------------------------------------------------------------
    def start(self, record: dict) -> None:
        if self._live_mode:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(self._render(), console=Console(file=self._stream), refresh_per_second=4,
                              get_renderable=self._render)
            self._live.start()
        else:
            self._line(
                f"edgehar stream: {record['model']} ({record['backend']}), {len(record['labels'])} classes, "
                f"window {record['window_s']:g} s, hop {record['hop_s']:g} s, smoothing {record['smooth']}"
            )

    def emit(self, record: dict) -> None:
        kind = record["type"]
        if kind == "window":
            self._last = record
            self._update_rate()
            if not self._live_mode:
                label = record["label"] if record["label"] is not None else "(none)"
                self._line(
                    f"{record['t_device']:10.2f}s  {label:<20} {record['confidence']:.2f}  "
                    f"(raw {record['raw_label']} {record['raw_confidence']:.2f})"
                )
            return
        if kind == "event":
            text = f"{record['event']} {record['label']}"
            if record["event"] == "exit":
                text += f" after {record['duration_s']:.1f} s"
        else:
            self._link = record["event"] + (f": {record['detail']}" if record["detail"] else "")
            text = f"link {self._link}"
        if self._live_mode:
            self._recent.append(text)
        else:
            self._line(text)

    def close(self, summary: dict) -> None:
        if self._live is not None:
            self._live.stop()
        self._line(format_summary(summary))


def format_summary(summary: dict) -> str:
    """The Ctrl-C summary as a few human lines."""
    lines = [
        f"summary: {summary['samples']} samples in {summary['duration_s']:.1f} s, {summary['windows']} windows, "
        f"{summary['gaps']} gaps ({summary['lost_frames']} frames lost), {summary['duplicates']} duplicates, "
        f"{summary['corrupt']} corrupt frames, {summary['link_losses']} link losses",
    ]
    latency = summary.get("latency_ms") or {}
    if latency:
        stages = ", ".join(f"{k} {v['p50']:.3f}/{v['p99']:.3f}" for k, v in latency.items())
        lines.append(f"latency ms p50/p99: {stages}")
    return "\n".join(lines)
