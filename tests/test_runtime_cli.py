"""``edgehar stream`` and ``edgehar record`` as processes: light imports, Ctrl-C, recording a live
serial board (a pseudo-terminal fed at real rate with edgehar binary frames), a killed recorder,
and replaying what was recorded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from runtime_models import CHANNELS, UNITS, make_card, write_take, write_tflite

from edgehar.data.recording import read_recording

ROOT = Path(__file__).resolve().parents[1]
UTD = Path(__file__).resolve().parents[2] / "shared/data/utd-mhad"


def edgehar(*args: str) -> list[str]:
    return [sys.executable, "-m", "edgehar.cli.main", *args]


def env() -> dict:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return write_tflite(tmp_path_factory.mktemp("m") / "m.tflite", make_card(window_s=2.0, hop_s=0.5, int8=True))


def test_stream_replay_imports_neither_torch_nor_tensorflow(model, tmp_path):
    take = tmp_path / "take.csv"
    write_take(take, 6)
    report = tmp_path / "modules.json"
    script = (
        "import json, sys\n"
        "from edgehar.cli.main import main\n"
        "try:\n"
        f"    main(['stream', {str(model)!r}, '--replay', {str(take)!r}, '--speed', 'max', '-q'])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "else:\n"
        "    code = 0\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('torch', 'tensorflow', 'lightning', 'jax')]\n"
        f"json.dump({{'code': code, 'heavy': heavy}}, open({str(report)!r}, 'w'))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env(), timeout=60)
    result = json.loads(report.read_text())
    assert result["code"] in (0, None), proc.stderr
    assert result["heavy"] == []
    assert "summary: 300 samples" in proc.stderr and "9 windows" in proc.stderr


def test_replay_at_max_speed_gives_every_window(model, tmp_path):
    take = tmp_path / "take.csv"
    write_take(take, 10)
    out = tmp_path / "out.jsonl"
    proc = subprocess.run(
        edgehar("stream", str(model), "--replay", str(take), "--speed", "max", "--jsonl", str(out), "-q",
                "--smooth", "hysteresis:enter=0.5,exit=0.3,dwell=0.5s"),
        capture_output=True, text=True, env=env(), timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    windows = [r for r in records if r["type"] == "window"]
    assert len(windows) == (500 - 100) // 25 + 1
    assert windows[0]["raw_label"] == "x_up" and windows[-1]["raw_label"] == "z_up"
    assert [(r["event"], r["label"]) for r in records if r["type"] == "event"] == [
        ("enter", "x_up"), ("exit", "x_up"), ("enter", "z_up"), ("exit", "z_up")
    ]


def test_sigint_ends_cleanly_with_a_summary(model, tmp_path):
    take = tmp_path / "take.csv"
    write_take(take, 30)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        edgehar("stream", str(model), "--replay", str(take), "--speed", "4", "--jsonl", str(out)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if out.exists() and out.read_text().count('"type":"window"') >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "summary:" in stdout and "latency ms p50/p99: queue" in stdout
    last = json.loads(out.read_text().splitlines()[-1])
    assert last["type"] == "summary" and last["interrupted"] is True
    assert 3 <= last["windows"] < 50 and last["samples"] < 1500
    for stage in ("queue", "preprocess", "window", "invoke", "postprocess", "host"):
        assert set(last["latency_ms"][stage]) == {"p50", "p99"}


def test_bad_invocations_are_one_line_errors(model, tmp_path):
    (tmp_path / "take").write_text("0,1,2\n")
    for args, message in (
        (["stream", str(model)], "exactly one source"),
        (["stream", str(model), "--replay", "x.csv", "--serial", "/dev/null"], "exactly one source"),
        (["stream", str(model), "--replay", str(tmp_path / "none.csv")], "none.csv"),
        (["stream", str(tmp_path / "none.tflite"), "--replay", "x.csv"], "none.tflite"),
        (["stream", str(model), "--replay", "x.csv", "--smooth", "median:3"], "--smooth"),
        (["stream", str(model), "--replay", "x.csv", "--hop", "soon"], "--hop"),
        (["stream", str(model), "--serial", str(tmp_path / "ttyNONE"), "--jsonl", str(tmp_path / "o.jsonl")],
         "cannot open"),
        (["record", "--label", "walk", "--out", str(tmp_path)], "--serial PORT or --ble"),
        (["stream", str(model), "--replay", "x.csv", "--speed", "fast"], "--speed"),
        (["stream", str(model), "--replay", str(tmp_path / "take")], "files without a suffix"),
        # option typos are reported before the model is even looked at
        (["stream", str(tmp_path / "none.tflite"), "--replay", "x.csv", "--smooth", "vote:0"], "--smooth"),
    ):
        proc = subprocess.run(edgehar(*args), capture_output=True, text=True, env=env(), timeout=60)
        assert proc.returncode != 0
        lines = proc.stderr.strip().splitlines()
        assert lines[-1].startswith("error: ") and message in lines[-1], proc.stderr
        assert "Traceback" not in proc.stderr



def test_usage_errors_are_one_line_naming_the_option(tmp_path):
    """typer >= 0.2x raises its own copy of click's exceptions; they must not reach the bug fallback."""
    for args, line in (
        (["stream"], "error: Missing argument 'model'."),
        (["stream", "m.tflite", "--bogus"], "error: No such option: --bogus"),
        (["simulate", "--tcp", "abc"], "error: Invalid value for '--tcp': "),
        (["record", "--label"], "error: Option '--label' requires an argument."),
        (["datasets", "synth", "--out", str(tmp_path / "s"), "--subjects", "0"], "error: Invalid value for '--subjects': "),
        (["nosuchcommand"], "error: No such command 'nosuchcommand'."),
    ):
        proc = subprocess.run(edgehar(*args), capture_output=True, text=True, env=env(), timeout=60)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(line), proc.stderr
    proc = subprocess.run(edgehar(), capture_output=True, text=True, env=env(), timeout=60)
    assert "Usage:" in proc.stdout and proc.stderr == ""  # no arguments: just the help

# -- recording from a live serial board ---------------------------------------------------------------
class PtyBoard:
    """A board on a pseudo-terminal: CONFIG then DATA frames (COBS + CRC) at real rate.

    Sample k of channel c holds the value k (mod 2000) + c/10, so a recording proves exactly which
    samples arrived."""

    def __init__(self, rate: float = 100.0, per_frame: int = 5, first_sample: int = 0) -> None:
        import tty

        self.master, slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(slave)
        self.port = os.ttyname(slave)
        self._slave = slave
        self.rate, self.per_frame = rate, per_frame
        self.sent = first_sample  # a replugged board's clock and counter kept running meanwhile
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "PtyBoard":
        self._thread.start()
        return self

    def _run(self) -> None:
        from edgehar.protocol.frames import ChannelSpec, ConfigFrame, encode_data, encode_frame
        from edgehar.protocol.serial_framing import serial_wrap

        specs = tuple(ChannelSpec(c, u, 0.1, 3000.0) for c, u in zip(CHANNELS, UNITS))
        config = ConfigFrame(int(self.rate * 1000), specs, "pty-board", "test 1", self.per_frame)
        start = time.monotonic() - self.sent / self.rate
        frame = first = self.sent // self.per_frame
        while not self._stop.is_set():
            if frame == first or frame % 100 == 0:
                os.write(self.master, serial_wrap(encode_frame(config)))
            k = np.arange(self.sent, self.sent + self.per_frame)
            raw = ((k % 2000)[:, None] * 10 + np.arange(6)[None, :]).astype(np.int16)
            os.write(self.master, serial_wrap(encode_data(frame & 0xFFFF, round(self.sent * 1e6 / self.rate), raw)))
            self.sent += self.per_frame
            frame += 1
            delay = start + self.sent / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        os.close(self.master)
        os.close(self._slave)


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.05)
    assert predicate(), "timed out"


def jsonl_windows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["type"] == "window"]


def test_stream_over_serial_survives_unplug_and_replug(model, tmp_path):
    """A board on a stable path (like /dev/serial/by-id) is unplugged for about a second and
    replugged with its clock and frame counter still running: the stream reports the loss, counts
    the missing frames as one gap, drops the window that spanned it and carries on."""
    link = tmp_path / "ttyBOARD"
    board = PtyBoard().start()
    link.symlink_to(board.port)
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        edgehar("stream", str(model), "--serial", str(link), "--jsonl", str(out), "-q"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(),
    )
    try:
        wait_for(lambda: len(jsonl_windows(out)) >= 3)
        board.stop()
        unplugged_at = board.sent
        time.sleep(1.0)
        replug = PtyBoard(first_sample=unplugged_at + 100).start()  # 1 s later on the board's clock
        tmp_link = tmp_path / "ttyBOARD.new"
        tmp_link.symlink_to(replug.port)
        os.replace(tmp_link, link)
        before = len(jsonl_windows(out))
        wait_for(lambda: len(jsonl_windows(out)) >= before + 4)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=15)
        replug.stop()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    links = [r["event"] for r in records if r["type"] == "link"]
    assert "lost" in links and links.count("connected") >= 2
    summary = records[-1]
    assert summary["link_losses"] >= 1 and summary["duplicates"] == 0
    # One hole: the 20 frames of the outage on the board's clock, plus what the closed pty dropped
    # and what arrived before the port was reopened (pyserial clears the input on open).
    assert summary["gaps"] == 1 and 20 <= summary["lost_frames"] <= 100
    assert summary["window_resets"] == 1 and summary["device_rate_hz"] == 100.0
    windows = [r for r in records if r["type"] == "window"]
    assert [w["index"] for w in windows] == list(range(len(windows)))
    ends = [w["t_device"] for w in windows]
    assert all(b > a for a, b in zip(ends, ends[1:]))


def expected_samples(n: int) -> np.ndarray:
    k = np.arange(n)
    return ((k % 2000)[:, None] + np.arange(6)[None, :] / 10).astype(np.float32)


def test_record_from_serial_then_replay(model, tmp_path):
    board = PtyBoard().start()
    try:
        proc = subprocess.run(
            edgehar("record", "--serial", board.port, "--label", "wave", "--duration", "3s", "--out", str(tmp_path / "takes")),
            capture_output=True, text=True, env=env(), timeout=60,
        )
    finally:
        board.stop()
    assert proc.returncode == 0, proc.stderr
    files = list((tmp_path / "takes").glob("wave_*.csv"))
    assert len(files) == 1 and str(files[0]) in proc.stdout
    take = read_recording(files[0])
    assert take.label == "wave" and take.rate_hz == 100.0 and take.channels == CHANNELS
    assert 280 <= len(take.samples) <= 320 and not take.gaps
    first = int(round(take.samples[0, 0]))
    assert np.allclose(take.samples, expected_samples(first + len(take.samples))[first:], atol=1e-4)
    assert np.all(np.diff(take.device_time_us) == 10_000)
    out = tmp_path / "out.jsonl"
    replay = subprocess.run(
        edgehar("stream", str(model), "--replay", str(files[0]), "--speed", "max", "--jsonl", str(out), "-q"),
        capture_output=True, text=True, env=env(), timeout=60,
    )
    assert replay.returncode == 0, replay.stderr
    summary = json.loads(out.read_text().splitlines()[-1])
    assert summary["samples"] == len(take.samples) and summary["gaps"] == 0 and summary["device_rate_hz"] == 100.0


def test_killed_recorder_loses_at_most_a_second(tmp_path):
    board = PtyBoard().start()
    try:
        proc = subprocess.Popen(
            edgehar("record", "--serial", board.port, "--label", "walk", "--out", str(tmp_path)),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(),
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list(tmp_path.glob("walk_*.csv")):
            time.sleep(0.05)
        time.sleep(3.0)
        sent_before_kill = board.sent
        proc.kill()
        proc.wait(10)
    finally:
        board.stop()
    take = read_recording(next(tmp_path.glob("walk_*.csv")))
    first = int(round(take.samples[0, 0]))
    last = first + len(take.samples)
    assert np.allclose(take.samples, expected_samples(last)[first:], atol=1e-4)  # contiguous, exact
    assert sent_before_kill - last <= 100  # <= 1 s of samples at 100 Hz lost


def test_help_renders(tmp_path):
    for command in ("stream", "record"):
        proc = subprocess.run(edgehar(command, "--help"), capture_output=True, text=True, env=env(), timeout=60)
        assert proc.returncode == 0 and "--serial" in proc.stdout and "--ble" in proc.stdout, proc.stderr


def test_stream_record_keeps_what_was_received(model, tmp_path):
    take = tmp_path / "take.csv"
    sent = write_take(take, 4)
    again = tmp_path / "again.csv"
    proc = subprocess.run(
        edgehar("stream", str(model), "--replay", str(take), "--speed", "max", "--record", str(again),
                "--label", "copy", "-q"),
        capture_output=True, text=True, env=env(), timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    copy = read_recording(again)
    assert copy.label == "copy" and np.array_equal(copy.samples, sent)
    assert np.array_equal(copy.device_time_us, read_recording(take).device_time_us)
