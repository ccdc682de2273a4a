"""Runs each Arduino sketch on the host against the stand-in board APIs (firmware_bridge/host/) for
a few simulated seconds and decodes what it sent with the Python codec: rate, samples per frame,
sequence continuity, scale, BLE sizing from the MTU, CONTROL handling, reconnects.

The simulated IMUs emit sim::signal(k, c), recomputed here, so every sample can be checked."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from edgehar.protocol import (
    CONFIG_CHAR_UUID,
    CONTROL_CHAR_UUID,
    DATA_CHAR_UUID,
    NUS_RX_UUID,
    NUS_TX_UUID,
    ConfigFrame,
    ControlFrame,
    DataFrame,
    DeviceTimeUnwrapper,
    FrameError,
    Opcode,
    StreamDecoder,
    decode_frame,
    encode_frame,
    frame_to_serial,
)

ROOT = Path(__file__).resolve().parents[1]
FB = ROOT / "firmware_bridge"
HOST = FB / "host"
FLAGS = ["-Wall", "-Wextra", "-Werror", "-g", "-O1", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
WRAP_OFFSET = 2**32 - 1_500_000  # micros() wraps 1.5 s into every run

pytestmark = pytest.mark.skipif(shutil.which("g++") is None or shutil.which("gcc") is None, reason="needs gcc and g++")


@dataclass(frozen=True)
class Board:
    sketch: str
    imu_source: str
    rate_hz: float
    acc_scale: float
    gyr_scale: float
    name: str


BOARDS = {
    "nano33ble_rev1": Board("nano33ble_rev1", "host_lsm9ds1.cpp", 119.0, 4 / 32768, 2000 / 32768, "edgehar-nano33-rev1"),
    "nano33ble_rev2": Board("nano33ble_rev2", "host_bmi270.cpp", 100.0, 1 / 8192, 1 / 16.384, "edgehar-nano33-rev2"),
    "esp32_mpu6050": Board("esp32_mpu6050", "host_wire.cpp", 100.0, 1 / 4096, 1 / 65.5, "edgehar-esp32"),
}


def signal(k: np.ndarray, channel: int) -> np.ndarray:
    """The simulated IMUs' pattern, as sim::signal in host_arduino.cpp."""
    return ((k * (37 + 11 * channel) + 1000 * channel) % 20001) - 10000


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{' '.join(cmd)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory):
    """Returns build(sketch, *defines) -> path of the host executable (built once per variant)."""
    out = tmp_path_factory.mktemp("firmware_host")
    common = []
    _run(["gcc", "-std=c99", *FLAGS, "-c", str(FB / "c" / "edgehar_codec.c"), "-o", str(out / "codec.o")])
    common.append(out / "codec.o")
    for src in ("runner.cpp", "host_arduino.cpp", "sim_imu.cpp", "host_imu.cpp", "host_ble.cpp"):
        obj = out / (src + ".o")
        _run(["g++", "-std=gnu++11", *FLAGS, f"-I{HOST}", "-c", str(HOST / src), "-o", str(obj)])
        common.append(obj)
    cache: dict[tuple, Path] = {}

    def _build(sketch: str, *defines: str) -> Path:
        key = (sketch, defines)
        if key not in cache:
            board = BOARDS[sketch]
            exe = out / f"{sketch}{''.join(d.replace('=', '_') for d in defines)}"
            # as the Arduino builder does: the .ino becomes C++ with Arduino.h in front
            cpp = exe.with_suffix(".cpp")
            cpp.write_text(f'#include <Arduino.h>\n#line 1 "{sketch}.ino"\n'
                           + (FB / "firmware" / sketch / f"{sketch}.ino").read_text())
            _run(["g++", "-std=gnu++11", *FLAGS, *defines, f"-I{HOST}", f"-I{FB / 'c'}",
                  f"-I{FB / 'firmware' / 'libraries' / 'EdgeharStream'}", str(cpp), str(HOST / board.imu_source),
                  *map(str, common), "-o", str(exe)])
            cache[key] = exe
        return cache[key]

    return _build


@dataclass
class Run:
    serial: bytes
    ble: list[list[str]]
    state: list[str]


def run(exe: Path, tmp_path: Path, *args: str, seconds: float = 4.0) -> Run:
    files = {k: tmp_path / f"{exe.name}.{k}" for k in ("serial", "ble", "state")}
    _run([str(exe), "--seconds", str(seconds), "--clock-offset-us", str(WRAP_OFFSET),
          "--serial-out", str(files["serial"]), "--ble-out", str(files["ble"]), "--state-out", str(files["state"]),
          *args])
    return Run(files["serial"].read_bytes(), [line.split() for line in files["ble"].read_text().splitlines()],
               files["state"].read_text().splitlines())


def ctl(opcode: Opcode, arg: int = 0) -> str:
    return encode_frame(ControlFrame(int(opcode), arg)).hex()


def check_samples(frames: list[DataFrame], board: Board) -> None:
    """Consecutive frames hold consecutive IMU samples: nothing skipped, repeated or altered."""
    raw = np.concatenate([f.samples for f in frames]).astype(np.int64)
    k0 = next(k for k in range(5000) if all(signal(np.int64(k), c) == raw[0, c] for c in range(6)))
    k = k0 + np.arange(len(raw))
    expected = np.stack([signal(k, c) for c in range(6)], axis=1)
    np.testing.assert_array_equal(raw, expected)


def check_timing(frames: list[DataFrame], rate_hz: float, crosses_wrap: bool = True) -> None:
    """Device times advance n / rate per frame, across the 2^32 µs wrap."""
    un = DeviceTimeUnwrapper()
    t0 = np.array([un.unwrap(f.device_time_us) for f in frames], dtype=np.float64)
    starts = np.concatenate([[0], np.cumsum([f.n_samples for f in frames])[:-1]])
    slope, _ = np.polyfit(starts, t0, 1)
    assert 1e6 / slope == pytest.approx(rate_hz, rel=2e-3)
    residual = t0 - (t0[0] + starts * 1e6 / rate_hz)
    assert np.abs(residual - residual.mean()).max() < 400  # µs: polling delay of the loop
    if crosses_wrap:
        assert np.any(np.diff([f.device_time_us for f in frames]) < 0), "the run should cross the 32-bit wrap"


@pytest.mark.parametrize("sketch", sorted(BOARDS))
def test_serial_stream_decodes(build, tmp_path: Path, sketch: str) -> None:
    board = BOARDS[sketch]
    result = run(build(sketch, "-DEDGEHAR_WITH_BLE=0"), tmp_path)
    assert result.serial[:1] == b"\x00"  # flush byte for the host decoder
    dec = StreamDecoder()
    frames = dec.feed(result.serial)
    assert dec.stats.corrupt == 0 and dec.stats.unsupported == 0
    config, data = frames[0], frames[1:]
    assert isinstance(config, ConfigFrame) and all(isinstance(f, DataFrame) for f in data)
    assert config.device_name == board.name and config.samples_per_frame == 5
    assert config.units == ("g",) * 3 + ("deg/s",) * 3
    assert config.labels == ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z")
    np.testing.assert_allclose(config.scales, [board.acc_scale] * 3 + [board.gyr_scale] * 3, rtol=1e-6)
    assert config.sample_rate_hz == pytest.approx(board.rate_hz)
    assert [f.seq for f in data] == list(range(len(data)))
    assert {f.n_samples for f in data} == {5}
    assert len(data) * 5 == pytest.approx(4.0 * board.rate_hz, abs=6)
    check_samples(data, board)
    check_timing(data, board.rate_hz)


def test_esp32_scale_matches_the_ranges_it_programs(build, tmp_path: Path) -> None:
    """The declared scale is right only if the sketch set the MPU6050 to the ranges it claims."""
    result = run(build("esp32_mpu6050", "-DEDGEHAR_WITH_BLE=0"), tmp_path, seconds=0.5)
    state = dict(kv.split("=") for kv in result.state[0].split()[1:])
    accel_lsb_per_g = 16384 >> ((int(state["accel_config"]) >> 3) & 3)
    gyro_lsb_per_dps = 131.0 / (1 << ((int(state["gyro_config"]) >> 3) & 3))
    config = StreamDecoder().feed(result.serial)[0]
    np.testing.assert_allclose(config.scales, [1 / accel_lsb_per_g] * 3 + [1 / gyro_lsb_per_dps] * 3, rtol=1e-6)
    assert float(state["rate_hz"]) == pytest.approx(config.sample_rate_hz)


def test_serial_control_frames(build, tmp_path: Path) -> None:
    wire = lambda op, arg=0: frame_to_serial(ControlFrame(int(op), arg)).hex()  # noqa: E731
    result = run(build("nano33ble_rev2", "-DEDGEHAR_WITH_BLE=0"), tmp_path,
                 "--serial-write", f"1.0:{wire(Opcode.SET_SAMPLES_PER_FRAME, 10)}",
                 "--serial-write", f"2.0:{wire(Opcode.STOP)}",
                 "--serial-write", f"2.5:{wire(Opcode.REQUEST_CONFIG)}",
                 "--serial-write", f"3.0:{wire(Opcode.START)}",
                 "--serial-write", "3.2:00ff13ff00",  # garbage the device must survive
                 "--serial-write", f"3.5:{wire(Opcode.SET_SAMPLES_PER_FRAME, 200)}")
    frames = StreamDecoder().feed(result.serial)
    kinds = [("C", f.samples_per_frame) if isinstance(f, ConfigFrame) else ("D", f.n_samples) for f in frames]
    # config, 5-sample frames, config(10), 10-sample frames, [stop], config on request, [start], ...
    configs = [k for k in kinds if k[0] == "C"]
    assert configs == [("C", 5), ("C", 10), ("C", 10), ("C", 42)]  # 200 clipped to a 512-byte frame
    i_stop_config = [i for i, k in enumerate(kinds) if k[0] == "C"][2]
    before = [k[1] for k in kinds[1:i_stop_config] if k[0] == "D"]
    assert set(before[:19]) == {5} and set(before[-5:]) == {10}
    data = [f for f in frames if isinstance(f, DataFrame)]
    assert [f.seq for f in data] == list(range(len(data)))  # STOP/START keep the sequence
    # nothing was sent while stopped: the gap in device time is the stop duration
    un = DeviceTimeUnwrapper()
    t = [un.unwrap(f.device_time_us) for f in data]
    assert max(np.diff(t)) > 0.9e6
    assert data[-1].n_samples == 42


def ble_frames(log: list[list[str]], uuid: str) -> list[bytes]:
    return [bytes.fromhex(line[3]) for line in log if line[0] == "notify" and line[2] == uuid]


@pytest.mark.parametrize("sketch", sorted(BOARDS))
def test_ble_stream_sizes_frames_from_the_mtu(build, tmp_path: Path, sketch: str) -> None:
    board = BOARDS[sketch]
    result = run(build(sketch), tmp_path,
                 "--ble-connect", "0.5:1", "--ble-subscribe", "0.52", "--ble-mtu", "0.8:185",
                 "--ble-read", f"1.0:{CONFIG_CHAR_UUID}",
                 "--ble-write", f"2.0:{CONTROL_CHAR_UUID}:{ctl(Opcode.SET_SAMPLES_PER_FRAME, 50)}",
                 "--ble-read", f"2.1:{CONFIG_CHAR_UUID}")
    assert result.ble[2][0] == "advertise" and result.ble[2][2] == board.name
    reads = [decode_frame(bytes.fromhex(line[3])) for line in result.ble if line[0] == "read"]
    assert [r.samples_per_frame for r in reads] == [5, 14]  # 14 = (185 - 3 - 8) // 12
    assert reads[0].device_name == board.name
    config_notes = ble_frames(result.ble, CONFIG_CHAR_UUID)
    with pytest.raises(FrameError):  # the one sent at MTU 23 arrives cut to 20 bytes: hosts drop it
        decode_frame(config_notes[0])
    payloads = ble_frames(result.ble, DATA_CHAR_UUID)
    data = [decode_frame(p, channels=6) for p in payloads]
    sizes = [f.n_samples for f in data]
    assert all(len(p) <= 20 for p, n in zip(payloads, sizes) if n == 1)
    first5, first14 = sizes.index(5), sizes.index(14)
    assert set(sizes[:first5]) == {1} and set(sizes[first5:first14]) == {5} and set(sizes[first14:]) == {14}
    assert first5 == pytest.approx(0.28 * board.rate_hz, abs=3)  # 1-sample notifications until the MTU exchange
    assert [f.seq for f in data] == list(range(len(data)))
    check_samples(data, board)
    check_timing(data, board.rate_hz)


def test_ble_reconnect_restarts_the_link(build, tmp_path: Path) -> None:
    result = run(build("nano33ble_rev1"), tmp_path,
                 "--ble-connect", "0.2", "--ble-mtu", "0.21:247", "--ble-subscribe", "0.22",
                 "--ble-disconnect", "1.5", "--ble-connect", "2.0", "--ble-mtu", "2.01:23", "--ble-subscribe", "2.02")
    events = [line[0] for line in result.ble]
    assert events.count("advertise") == 2  # again after the link dropped
    i_disc = events.index("disconnect")
    first = [decode_frame(bytes.fromhex(line[3]), 6) for line in result.ble[:i_disc]
             if line[0] == "notify" and line[2] == DATA_CHAR_UUID]
    second = [decode_frame(bytes.fromhex(line[3]), 6) for line in result.ble[i_disc:]
              if line[0] == "notify" and line[2] == DATA_CHAR_UUID]
    assert {f.n_samples for f in first} == {5} and {f.n_samples for f in second} == {1}
    assert [f.seq for f in second] == list(range(len(second)))
    assert len(second) == pytest.approx(2.0 * 119, abs=4)
    check_samples(second, BOARDS["nano33ble_rev1"])


def test_nus_variant_carries_the_same_frames(build, tmp_path: Path) -> None:
    result = run(build("nano33ble_rev2", "-DEDGEHAR_BLE_NUS=1"), tmp_path,
                 "--ble-connect", "0.3", "--ble-subscribe", "0.31", "--ble-mtu", "0.5:185",
                 "--ble-write", f"1.0:{NUS_RX_UUID}:{ctl(Opcode.REQUEST_CONFIG)}")
    assert ["service", "0", "6e400001-b5a3-f393-e0a9-e50e24dcca9e"] == result.ble[0]
    frames = []
    for payload in ble_frames(result.ble, NUS_TX_UUID):
        frames.append(decode_frame(payload, channels=6))
    configs = [f for f in frames if isinstance(f, ConfigFrame)]
    # at MTU 23 the config does not fit and is not sent; after the exchange and on request it is
    assert len(configs) == 2 and all(c.samples_per_frame == 5 for c in configs)
    data = [f for f in frames if isinstance(f, DataFrame)]
    assert [f.seq for f in data] == list(range(len(data)))
    check_samples(data, BOARDS["nano33ble_rev2"])


def test_serial_waits_for_the_host_to_open_the_port(build, tmp_path: Path) -> None:
    result = run(build("nano33ble_rev2"), tmp_path, "--serial-closed-until", "1.0", seconds=2.0)
    frames = StreamDecoder().feed(result.serial)
    assert isinstance(frames[0], ConfigFrame)
    data = frames[1:]
    assert [f.seq for f in data] == list(range(len(data)))
    assert len(data) == pytest.approx(20, abs=1)  # 1 s at 100 Hz, 5 per frame


MPY = FB / "firmware" / "micropython"


def test_micropython_version_streams_under_cpython(tmp_path: Path) -> None:
    """main.py with stand-in ``machine`` and MicroPython ticks (wrapping at 2^30 mid-run)."""
    out = tmp_path / "mpy.bin"
    import sys

    result = _run([sys.executable, str(HOST / "micropython" / "run_main.py"), str(MPY), str(out), "6",
                   str(2**30 - 2_000_000)])
    state = dict(kv.split("=") for kv in result.stdout.split()[1:])
    dec = StreamDecoder()
    frames = dec.feed(out.read_bytes())
    assert dec.stats.corrupt == 0
    configs = [i for i, f in enumerate(frames) if isinstance(f, ConfigFrame)]
    assert configs[0] == 0 and len(configs) == 2  # at start and again after 5 s
    config = frames[0]
    assert config.samples_per_frame == 5 and config.sample_rate_hz == float(state["rate_hz"])
    accel_lsb = 16384 >> ((int(state["accel_config"]) >> 3) & 3)
    gyro_lsb = 131.0 / (1 << ((int(state["gyro_config"]) >> 3) & 3))
    np.testing.assert_allclose(config.scales, [1 / accel_lsb] * 3 + [1 / gyro_lsb] * 3, rtol=1e-6)
    data = [f for f in frames if isinstance(f, DataFrame)]
    assert [f.seq for f in data] == list(range(len(data)))
    assert len(data) * 5 == pytest.approx(600, abs=6)
    check_samples(data, BOARDS["esp32_mpu6050"])
    check_timing(data, 100.0, crosses_wrap=False)


def test_micropython_encoder_matches_the_shared_vectors() -> None:
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("edgehar_frames_mpy", MPY / "edgehar_frames.py")
    ef = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ef)
    vectors = json.loads((FB / "vectors" / "vectors.json").read_text(encoding="utf-8"))
    assert ef.crc16(b"123456789") == 0x29B1
    for case in vectors["cobs"]:
        if case["encoder_output"]:
            assert ef.cobs(bytes.fromhex(case["decoded_hex"])).hex() == case["encoded_hex"], case["name"]
    for case in vectors["data"]:
        d = case["decoded"]
        flat = [v for row in d["samples"] for v in row]
        payload = ef.data_frame(d["seq"], d["device_time_us"], flat, len(d["samples"][0]))
        assert payload.hex() == case["payload_hex"] and ef.serial_wrap(payload).hex() == case["serial_hex"]
    for case in vectors["config"]:
        d = case["decoded"]
        if d["flags"]:
            continue  # the device-side encoder always sends flags 0
        chans = [(c["label"], c["unit"], c["scale"], c["range"]) for c in d["channels"]]
        payload = ef.config_frame(d["rate_mhz"], d["samples_per_frame"], d["device_name"], d["firmware"], chans)
        assert payload.hex() == case["payload_hex"], case["name"]
