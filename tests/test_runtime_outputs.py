"""Outputs of a stream run: JSON lines against the documented schema, MQTT through a real mosquitto
broker on loopback, the plain console view, and the recorder's file read back."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from runtime_models import CHANNELS, UNITS, make_card, write_onnx

from edgehar.modelcard import read_card
from edgehar.runtime.interpreter import open_interpreter
from edgehar.runtime.outputs.console import ConsoleSink
from edgehar.runtime.outputs.jsonl import JsonlSink
from edgehar.runtime.pipeline import Pipeline
from edgehar.runtime.recorder import Recorder
from edgehar.runtime.runner import StreamRun
from edgehar.runtime.smoothing import parse_smoothing
from edgehar.runtime.sources.base import Block, LinkEvent, Source, StreamInfo

DOCS = Path(__file__).resolve().parents[1] / "docs" / "stream-jsonl.md"


class ListSource(Source):
    """A finished stream held in memory: the interface contract with nothing behind it."""

    def __init__(self, items) -> None:
        self.items = items
        self.closed = False

    async def _gen(self):
        for item in self.items:
            if self.closed:
                return
            await asyncio.sleep(0)
            yield item

    def __aiter__(self):
        return self._gen()

    async def close(self) -> None:
        self.closed = True


def stream_items(seconds: float = 12.0, rate: float = 50.0, lose: tuple[int, int] | None = None):
    info = StreamInfo(CHANNELS, UNITS, rate, device_name="test-board", firmware="fw 1")
    n = int(seconds * rate)
    t = np.arange(n) / rate
    x = np.zeros((n, 6), np.float32)
    x[:, 0] = t < seconds / 2
    x[:, 2] = t >= seconds / 2
    items = [LinkEvent("connected", "test", info=info)]
    for i in range(0, n, 5):
        k = i // 5
        if lose and lose[0] <= k < lose[1]:
            if k == lose[0]:
                items += [LinkEvent("lost", "unplugged"), LinkEvent("reconnecting"), LinkEvent("connected", "test")]
            continue
        items.append(Block(x[i : i + 5], k, int(t[i] * 1e6), time.monotonic()))
    items.insert(40, LinkEvent("corrupt", "bad crc", count=2))
    return items


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return write_onnx(tmp_path_factory.mktemp("m") / "m.onnx", make_card())


def start_record(pipeline: Pipeline) -> dict:
    return {"type": "start", "model": "m.onnx", "backend": "onnx", "labels": list(pipeline.card.label_names),
            "source_rate_hz": 50.0, "window_s": pipeline.window_s, "hop_s": pipeline.hop_s,
            "window_steps": 50, "smooth": pipeline.smoother.spec}


def run_stream(model, sinks, items, smooth="vote:3", recorder=None) -> dict:
    card = read_card(model)
    pipeline = Pipeline(card, open_interpreter(model), parse_smoothing(smooth))
    sink_list = sinks(pipeline) if callable(sinks) else sinks
    for sink in sink_list:
        sink.start(start_record(pipeline))
    return asyncio.run(StreamRun(ListSource(items), pipeline, sink_list, recorder=recorder).run())


def documented_fields() -> dict[str, set[str]]:
    """Field names per record type, read from the tables in docs/stream-jsonl.md."""
    fields: dict[str, set[str]] = {}
    current = None
    for line in DOCS.read_text().splitlines():
        if line.startswith("## `"):
            current = line.split("`")[1]
            fields[current] = {"type"}
        elif current and line.startswith("| `"):
            for name in line.split("|")[1].split(","):
                fields[current].add(name.strip().strip("`"))
    return fields


def test_jsonl_follows_the_documented_schema(model, tmp_path):
    out = tmp_path / "out.jsonl"
    summary = run_stream(model, [JsonlSink(str(out))], stream_items(lose=(50, 53)))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    docs = documented_fields()
    optional = {"link": {"count", "stream"}, "event": {"duration_s"}, "summary": {"recorded_samples"}}
    kinds = [r["type"] for r in records]
    assert kinds[0] == "start" and kinds[-1] == "summary"
    assert {"window", "event", "link"} <= set(kinds)
    for r in records:
        expected = docs[r["type"]]
        assert set(r) <= expected, (r["type"], set(r) - expected)
        assert expected - optional.get(r["type"], set()) <= set(r), (r["type"], expected - set(r))
    windows = [r for r in records if r["type"] == "window"]
    assert len(windows) == summary["windows"] and [w["index"] for w in windows] == list(range(len(windows)))
    assert all(abs(sum(w["probs"]) - 1) < 1e-3 and w["raw_label"] in ("x_up", "y_up", "z_up") for w in windows)
    assert set(windows[0]["latency_ms"]) == {"queue", "preprocess", "window", "invoke", "postprocess", "host"}
    events = [(r["event"], r["label"]) for r in records if r["type"] == "event"]
    assert events == [("enter", "x_up"), ("exit", "x_up"), ("enter", "z_up"), ("exit", "z_up")]
    assert [r["event"] for r in records if r["type"] == "link"] == ["connected", "corrupt", "lost", "reconnecting", "connected"]
    last = records[-1]
    assert (last["corrupt"], last["link_losses"], last["gaps"], last["lost_frames"]) == (2, 1, 1, 3)
    assert set(last["latency_ms"]["host"]) == {"p50", "p99"}


def test_console_plain_lines_when_not_a_tty(model):
    buf = io.StringIO()
    run_stream(model, lambda p: [ConsoleSink(lambda: {**p.summary(), "hop_s": p.hop_s}, buf)], stream_items())
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("edgehar stream: m.onnx (onnx), 3 classes")
    assert any("x_up" in line and line.strip()[0].isdigit() for line in lines)
    assert "enter z_up" in lines and any(line.startswith("exit x_up after") for line in lines)
    assert lines[-2].startswith("summary: 600 samples") and lines[-1].startswith("latency ms p50/p99: queue")


def test_recorder_writes_every_accepted_sample_and_marks_gaps(model, tmp_path):
    from edgehar.data.recording import read_recording

    items = stream_items(lose=(50, 53))
    dup = [it for it in items for _ in ((0, 1) if isinstance(it, Block) and it.seq % 7 == 0 else (0,))]
    rec = Recorder(tmp_path / "take.csv", label="walk")
    summary = run_stream(model, [], dup, recorder=rec)
    take = read_recording(tmp_path / "take.csv")
    sent = np.concatenate([b.samples for b in items if isinstance(b, Block)])
    assert summary["recorded_samples"] == len(sent) == len(take.samples)
    assert np.array_equal(take.samples, sent)
    assert take.label == "walk" and take.rate_hz == 50.0 and take.channels == CHANNELS
    assert [g["reason"] for g in take.gaps] == ["link lost: unplugged", "lost frames"]
    assert take.gaps[1]["missing_samples"] == 15


# -- MQTT against a real broker ------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mosquitto(tmp_path):
    binary = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
    )
    if binary is None:
        pytest.skip("mosquitto binary not installed (apt-get install mosquitto)")
    for _ in range(5):  # the port may be taken between probing and binding: try another
        port = _free_port()
        conf = tmp_path / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None:
            try:
                yield port
            finally:
                proc.terminate()
                proc.wait(5)
            return
    pytest.fail("mosquitto did not start on a free port")


def test_mqtt_publishes_windows_events_and_retained_state(model, mosquitto):
    paho = pytest.importorskip("paho.mqtt.client", reason="paho-mqtt (the mqtt extra) not installed")
    from edgehar.runtime.outputs.mqtt import MqttSink

    got: list[tuple[str, dict, bool]] = []
    subscribed = threading.Event()
    sub = paho.Client(paho.CallbackAPIVersion.VERSION2)
    sub.on_connect = lambda c, u, f, r, p: c.subscribe("har/pi/#", qos=1)
    sub.on_subscribe = lambda c, u, m, r, p: subscribed.set()
    sub.on_message = lambda c, u, msg: got.append((msg.topic, json.loads(msg.payload), msg.retain))
    sub.connect("127.0.0.1", mosquitto)
    sub.loop_start()
    assert subscribed.wait(5)
    summary = run_stream(model, [MqttSink(f"mqtt://127.0.0.1:{mosquitto}/har/pi?qos=1")], stream_items())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(p.get("type") == "summary" for _, p, _ in got):
        time.sleep(0.05)
    sub.loop_stop()
    sub.disconnect()
    topics = [t for t, _, _ in got]
    assert topics.count("har/pi/window") == summary["windows"] > 10
    assert [p["event"] for t, p, _ in got if t == "har/pi/event"] == ["enter", "exit", "enter", "exit"]
    assert [p["label"] for t, p, _ in got if t == "har/pi/state"] == ["x_up", "z_up"]
    status = [p["type"] for t, p, _ in got if t == "har/pi/status"]
    assert status[0] == "start" and status[-1] == "summary" and "link" in status

    # a client connecting afterwards gets the retained current activity at once
    late: list = []
    retained = threading.Event()
    c = paho.Client(paho.CallbackAPIVersion.VERSION2)
    c.on_connect = lambda cl, u, f, r, p: cl.subscribe("har/pi/state")
    c.on_message = lambda cl, u, msg: (late.append((json.loads(msg.payload), msg.retain)), retained.set())
    c.connect("127.0.0.1", mosquitto)
    c.loop_start()
    assert retained.wait(5)
    c.loop_stop()
    c.disconnect()
    assert late[0][0]["label"] == "z_up" and late[0][1] is True


def test_mqtt_url_errors():
    from edgehar.errors import EdgeharError
    from edgehar.runtime.outputs.mqtt import parse_mqtt_url

    assert parse_mqtt_url("mqtt://broker") == ("broker", 1883, "edgehar", 0, "")
    assert parse_mqtt_url("mqtt://b:1999/a/b?qos=2&client_id=pi") == ("b", 1999, "a/b", 2, "pi")
    for bad in ("http://b", "mqtt://b?qos=3", "mqtt://b:x"):
        with pytest.raises(EdgeharError):
            parse_mqtt_url(bad)


def test_console_live_panel_on_a_terminal(model):
    buf = io.StringIO()
    run_stream(model, lambda p: [ConsoleSink(lambda: {**p.summary(), "hop_s": p.hop_s}, buf, live=True)],
               stream_items())
    text = buf.getvalue()
    assert "edgehar stream" in text and "activity" in text and "z_up" in text and "samples/s" in text
    assert "summary: 600 samples" in text


def test_recorder_estimates_an_undeclared_rate(tmp_path):
    from edgehar.data.recording import read_recording

    info = StreamInfo(CHANNELS, UNITS, None)  # text lines: no rate, no seq, no device time
    rec = Recorder(tmp_path / "text.csv", label="sit")
    rec.link_event(LinkEvent("connected", info=info))
    x = np.arange(300 * 6, dtype=np.float32).reshape(300, 6)
    for i in range(300):
        rec.write(Block(x[i : i + 1], None, None, 50.0 + i / 119.0))
    rec.link_event(LinkEvent("corrupt", "unparsable line"))
    rec.close()
    take = read_recording(tmp_path / "text.csv")
    assert take.rate_hz == pytest.approx(119.0, rel=0.01)
    assert np.array_equal(take.samples, x)  # the blocks held during estimation are written too
    assert [g["reason"] for g in take.gaps] == ["link corrupt: unparsable line"]


def test_max_windows_stops_the_run(model):
    card = read_card(model)
    pipeline = Pipeline(card, open_interpreter(model), parse_smoothing("none"))
    source = ListSource(stream_items())
    summary = asyncio.run(StreamRun(source, pipeline, [], max_windows=3).run())
    assert summary["windows"] == 3 and source.closed and not summary["interrupted"]
