"""``edgehar stream``: live activity recognition from a serial port, a BLE device or a replayed file.

Imports only numpy, the interpreter and the link library (torch and tensorflow never load), so it
starts in well under a second on a Raspberry Pi.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Optional

import typer

from edgehar.cli import source_options as link

HELP = "Recognise activities live from --serial, --ble or --replay with an exported model."


def stream(
    model: Path = typer.Argument(..., help="Exported model (.tflite or .onnx) with its edgehar card."),
    ble: link.BleOption = None,
    serial: link.SerialOption = None,
    baud: link.BaudOption = 115200,
    replay: Optional[Path] = typer.Option(
        None, "--replay", help="Play a recording or a dataset file instead of a live link."
    ),
    speed: str = typer.Option("1", "--speed", help="Replay speed: 1 (real time), N times faster, or max."),
    fmt: link.FormatOption = "auto",
    channels: link.ChannelsOption = None,
    units: link.UnitsOption = None,
    rate: link.RateOption = None,
    adapter: link.AdapterOption = None,
    hop: Optional[str] = typer.Option(
        None, "--hop", help="Time between windows, e.g. 0.5s (default: the model card's)."
    ),
    window: Optional[str] = typer.Option(
        None, "--window", help="Window length, e.g. 3s (default: the model card's)."
    ),
    smooth: str = typer.Option(
        "none", "--smooth", help="none, ema:A, vote:N or hysteresis:enter=P,exit=Q,dwell=S."
    ),
    jsonl: Optional[str] = typer.Option(None, "--jsonl", help="Write JSON lines to FILE, or - for stdout."),
    mqtt: Optional[str] = typer.Option(
        None, "--mqtt", help="Publish to mqtt://HOST:PORT/PREFIX?qos=N (port 1883, prefix edgehar, qos 0 by default)."
    ),
    record: Optional[Path] = typer.Option(
        None, "--record", help="Also write every received sample to this recording file."
    ),
    label: Optional[str] = typer.Option(None, "--label", help="Label stored in the --record file's header."),
    backend: str = typer.Option("auto", "--backend", help="Interpreter: auto, litert, tflite or onnx."),
    max_gap: str = typer.Option(
        "0.25s", "--max-gap", help="Longest hole bridged by interpolation; longer ones restart the window."
    ),
    max_windows: Optional[int] = typer.Option(None, "--max-windows", help="Stop after this many windows."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No console view (outputs and summary only)."),
) -> None:
    """Recognise activities live; Ctrl-C ends with a summary (samples, gaps, windows, latency)."""
    from edgehar.modelcard import read_card
    from edgehar.runtime.duration import parse_seconds
    from edgehar.runtime.interpreter import open_interpreter
    from edgehar.runtime.outputs.console import ConsoleSink, format_summary
    from edgehar.runtime.pipeline import Pipeline
    from edgehar.runtime.runner import StreamRun
    from edgehar.runtime.smoothing import parse_smoothing

    # Option typos fail before the model loads (the interpreter prints its own lines on stderr).
    smoother = parse_smoothing(smooth)
    hop_s = parse_seconds(hop, "--hop") if hop else None
    window_s = parse_seconds(window, "--window") if window else None
    max_gap_s = parse_seconds(max_gap, "--max-gap")
    card = read_card(model)
    interpreter = open_interpreter(model, backend, card.input, card.output)
    pipeline = Pipeline(card, interpreter, smoother, hop_s=hop_s, window_s=window_s, max_gap_s=max_gap_s)
    source = link.open_cli_source(
        ble=ble, serial=serial, baud=baud, replay=replay, speed=speed, fmt=fmt,
        channels=channels, units=units, rate=rate, adapter=adapter,
    )
    sinks = []
    if jsonl is not None:
        from edgehar.runtime.outputs.jsonl import JsonlSink

        sinks.append(JsonlSink(jsonl))
    if mqtt is not None:
        from edgehar.runtime.outputs.mqtt import MqttSink

        sinks.append(MqttSink(mqtt))
    console_stream = sys.stderr if jsonl == "-" else sys.stdout
    if not quiet:
        sinks.append(ConsoleSink(lambda: {**pipeline.summary(), "hop_s": pipeline.hop_s}, console_stream))
    recorder = None
    if record is not None:
        from edgehar.runtime.recorder import Recorder

        recorder = Recorder(record, label=label)
    start = {
        "type": "start",
        "model": str(model),
        "backend": interpreter.backend,
        "labels": list(card.label_names),
        "source_rate_hz": card.source_rate_hz,
        "window_s": pipeline.window_s,
        "hop_s": pipeline.hop_s,
        "window_steps": card.window_steps,
        "smooth": pipeline.smoother.spec,
    }
    for sink in sinks:
        sink.start(start)  # the console's first line doubles as "ready to infer"
    run = StreamRun(source, pipeline, sinks, recorder=recorder, max_windows=max_windows)
    summary = asyncio.run(run.run())
    if quiet:
        sys.stderr.write(format_summary(summary) + "\n")


def register(app: typer.Typer) -> None:
    app.command("stream", help=HELP)(stream)

