"""Writes the shared test vectors: vectors.json (read by the Python tests) and vectors.txt (the same
cases as whitespace-separated tokens, read by the C tests, which have no JSON parser).

Run from the repository root: ``python firmware_bridge/vectors/generate.py`` (``--check`` exits 1
when the files on disk differ from what the codec produces now). Every case is built from explicit
field values; "decoded" is that input, not the decoder's output, so a decoder bug cannot hide.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np

from edgehar.protocol import (
    ChannelSpec,
    ConfigFrame,
    ControlFrame,
    Opcode,
    cobs_encode,
    crc16_ccitt_false,
    encode_data,
    encode_frame,
    serial_wrap,
)

HERE = Path(__file__).resolve().parent

ACC_4G = 4.0 / 32768.0
GYR_2000 = 2000.0 / 32768.0


def _imu_channels(acc_unit: str, acc_scale: float, acc_range: float, gyr_unit: str, gyr_scale: float, gyr_range: float):
    return tuple(
        [ChannelSpec(f"acc_{a}", acc_unit, acc_scale, acc_range) for a in "xyz"]
        + [ChannelSpec(f"gyr_{a}", gyr_unit, gyr_scale, gyr_range) for a in "xyz"]
    )


def _hex(data: bytes) -> str:
    return data.hex()


def _tok(data: bytes) -> str:
    return data.hex() if data else "-"


def _f32_bits(value: float) -> str:
    return struct.pack("<f", value)[::-1].hex()  # big-endian hex of the bit pattern


def data_cases() -> list[dict]:
    rng = np.random.default_rng(5)
    cases = [
        ("two_samples_protocol_example", 0x1234, 1_000_000, [[1, 2, 3, 4, 5, 6], [-1, -2, -3, -4, -5, -6]]),
        ("one_sample_mtu23", 0, 0, [[16384, -16384, 0, 131, -131, 32767]]),
        ("five_samples_typical", 41, 123_456_789, rng.integers(-32768, 32768, (5, 6)).tolist()),
        ("seq_wraps_at_65535", 0xFFFF, 0xFFFFFFFF, [[-32768, 32767, -1, 0, 1, 256]]),
        ("all_zero_samples", 7, 0, [[0] * 6] * 3),
        ("one_channel", 300, 10_000, [[v] for v in (-2, -1, 0, 1, 2)]),
        ("sixteen_channels", 12, 99, [list(range(-8, 8)), list(range(100, 1700, 100))]),
        # 42 x 6 x 2 + 8 = 512 bytes: the largest frame; 0x0101 makes zero-free runs > 254 bytes.
        ("max_payload_long_cobs_runs", 0x0101, 0x01010101, [[257] * 6] * 42),
    ]
    out = []
    for name, seq, t0, samples in cases:
        arr = np.asarray(samples, dtype=np.int64)
        payload = encode_data(seq, t0, arr)
        out.append({
            "name": name, "payload_hex": _hex(payload), "serial_hex": _hex(serial_wrap(payload)),
            "decoded": {"seq": seq, "device_time_us": t0, "samples": arr.tolist()},
        })
    return out


def config_cases() -> list[ConfigFrame]:
    return [
        ConfigFrame(99840, _imu_channels("g", ACC_4G, 4.0, "deg/s", GYR_2000, 2000.0), "edgehar-nano33-rev2",
                    "nano33ble-rev2 1.0.0", 5),
        ConfigFrame(119000, _imu_channels("g", 0.000122, 4.0, "deg/s", 0.07, 2000.0), "edgehar-nano33-rev1",
                    "nano33ble-rev1 1.0.0", 1),
        ConfigFrame(100000, _imu_channels("m/s^2", 8 * 9.80665 / 32768, 8 * 9.80665, "rad/s",
                                          500 * 3.141592653589793 / 180 / 32768, 500 * 3.141592653589793 / 180),
                    "edgehar-esp32", "esp32-mpu6050 1.0.0", 5),
        ConfigFrame(20000, (ChannelSpec("mag_x", "µT", 0.15, 4900.0),), "Gerät µ", "", 0, flags=0xA5),
    ]


def config_dicts() -> list[dict]:
    names = ["nano33_rev2_bmi270", "nano33_rev1_lsm9ds1", "esp32_mpu6050_si_units", "utf8_one_channel_flags"]
    out = []
    for name, cfg in zip(names, config_cases()):
        payload = encode_frame(cfg)
        out.append({
            "name": name, "payload_hex": _hex(payload), "serial_hex": _hex(serial_wrap(payload)),
            "decoded": {
                "rate_mhz": cfg.rate_mhz, "samples_per_frame": cfg.samples_per_frame, "flags": cfg.flags,
                "device_name": cfg.device_name, "firmware": cfg.firmware,
                "channels": [{"label": c.label, "unit": c.unit, "scale": c.scale, "range": c.range,
                              "scale_bits": _f32_bits(c.scale), "range_bits": _f32_bits(c.range)}
                             for c in cfg.channels],
            },
        })
    return out


def control_dicts() -> list[dict]:
    out = []
    for op, arg in [(Opcode.REQUEST_CONFIG, 0), (Opcode.START, 0), (Opcode.STOP, 0), (Opcode.SET_SAMPLES_PER_FRAME, 10)]:
        payload = encode_frame(ControlFrame(int(op), arg))
        out.append({"name": op.name.lower(), "payload_hex": _hex(payload), "serial_hex": _hex(serial_wrap(payload)),
                    "decoded": {"opcode": int(op), "arg": arg}})
    return out


def bad_frame_dicts() -> list[dict]:
    good_cfg = encode_frame(config_cases()[0])
    data6 = encode_data(1, 2, np.ones((2, 6), dtype=np.int64))
    nan_scale = bytearray(good_cfg)
    # first channel's scale sits after: 8-byte head, name, firmware, label, unit
    pos = 8
    pos += 1 + nan_scale[pos]
    pos += 1 + nan_scale[pos]
    pos += 1 + nan_scale[pos]
    pos += 1 + nan_scale[pos]
    nan_scale[pos : pos + 4] = struct.pack("<f", float("nan"))
    neg_range = bytearray(good_cfg)
    neg_range[pos + 4 : pos + 8] = struct.pack("<f", -1.0)
    bad_utf8 = bytearray(good_cfg)
    bad_utf8[9] = 0xC0  # first byte of the device name: an overlong lead byte
    cases = [
        ("empty", b"", 0, "short"),
        ("version_2", bytes([0x21]) + data6[1:], 0, "version"),
        ("version_0", bytes([0x01]) + data6[1:], 0, "version"),
        ("type_0", bytes([0x10]) + data6[1:], 0, "type"),
        ("type_5", bytes([0x15]) + data6[1:], 0, "type"),
        ("data_header_cut", data6[:5], 0, "length"),
        ("data_zero_samples", bytes([0x11, 0]) + data6[2:8], 0, "length"),
        ("data_truncated_notification", data6[:20], 6, "length"),
        ("data_channels_mismatch", data6, 3, "length"),
        ("data_odd_length_inferred", data6 + b"\x01", 0, "length"),
        ("data_more_than_16_channels_inferred", encode_data(1, 2, np.ones((1, 16), dtype=np.int64)) + b"\x00\x00", 0, "length"),
        ("config_cut", good_cfg[:-1], 0, "length"),
        ("config_trailing_byte", good_cfg + b"\x00", 0, "length"),
        ("config_zero_channels", good_cfg[:1] + b"\x00" + good_cfg[2:], 0, "length"),
        ("config_17_channels", good_cfg[:1] + b"\x11" + good_cfg[2:], 0, "length"),
        ("config_rate_zero", good_cfg[:4] + b"\x00\x00\x00\x00" + good_cfg[8:], 0, "length"),
        ("config_nan_scale", bytes(nan_scale), 0, "length"),
        ("config_negative_range", bytes(neg_range), 0, "length"),
        ("config_bad_utf8", bytes(bad_utf8), 0, "length"),
        ("config_name_over_31", good_cfg[:8] + bytes([32]) + b"n" * 32 + good_cfg[9 + good_cfg[8]:], 0, "length"),
        ("control_4_bytes", bytes([0x13, 1, 0, 0]), 0, "length"),
        ("control_2_bytes", bytes([0x13, 1]), 0, "length"),
        ("over_512_bytes", bytes([0x11, 1]) + b"\x01" * 511, 0, "too_long"),
    ]
    return [{"name": n, "payload_hex": _hex(p), "channels": c, "error": e} for n, p, c, e in cases]


def bad_packet_dicts() -> list[dict]:
    good = serial_wrap(encode_frame(ControlFrame(1, 0)))[:-1]
    flipped = bytearray(good)
    flipped[2] ^= 0x40
    cases = [
        ("crc_bit_flip", bytes(flipped), "crc"),
        ("cobs_code_past_end", bytes([0x05, 0x11, 0x22]), "cobs"),
        ("two_bytes_after_cobs", cobs_encode(b"\x13\x01"), "short"),
        ("longer_than_any_frame", b"\x01" * 518, "too_long"),
    ]
    return [{"name": n, "packet_hex": _hex(p), "error": e} for n, p, e in cases]


def stream_dicts() -> list[dict]:
    frames = [encode_data(s, 1000 * s, np.full((2, 6), s - 3, dtype=np.int64)) for s in range(4)]
    wires = [serial_wrap(f) for f in frames]
    corrupted = bytearray(wires[1])
    corrupted[5] ^= 0xFF if corrupted[5] != 0xFF else 0x01
    cases = [
        ("boot_text_then_frames", b"\x00Booting...\r\nIMU ok\r\n\x00" + wires[0] + wires[1], [frames[0], frames[1]], 1, 0),
        ("flipped_byte_in_second_frame", wires[0] + bytes(corrupted) + wires[2], [frames[0], frames[2]], 1, 1),
        ("lost_delimiter_merges_two", wires[0][:-1] + wires[1] + wires[2], [frames[2]], 1, 1),
        ("cut_frame_then_resync", wires[0][:10] + wires[1] + wires[2], [frames[2]], 1, 0),
        ("overlong_garbage_then_frame", b"\x7f" * 600 + b"\x00" + wires[3], [frames[3]], 1, 0),
        ("repeated_delimiters", b"\x00\x00" + wires[0] + b"\x00\x00\x00" + wires[3], [frames[0], frames[3]], 0, 0),
    ]
    return [{"name": n, "input_hex": _hex(i), "payloads_hex": [_hex(p) for p in ps], "corrupt": c, "bad_crc": b}
            for n, i, ps, c, b in cases]


def cobs_dicts() -> list[dict]:
    """Published COBS examples (Cheshire & Baker's encoder: a full 254-byte block is followed by a code byte)."""
    seq254 = bytes(range(1, 255))
    cases = [
        ("one_zero", b"\x00", b"\x01\x01", True),
        ("two_zeros", b"\x00\x00", b"\x01\x01\x01", True),
        ("zero_inside", b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33", True),
        ("no_zero", b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44", True),
        ("trailing_zeros", b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01", True),
        ("empty", b"", b"\x01", True),
        ("full_block_then_code", seq254, b"\xff" + seq254 + b"\x01", True),
        ("full_block_short_form", seq254, b"\xff" + seq254, False),
        ("zero_then_full_block", b"\x00" + seq254, b"\x01\xff" + seq254 + b"\x01", True),
        ("block_of_255", seq254 + b"\xff", b"\xff" + seq254 + b"\x02\xff", True),
    ]
    return [{"name": n, "decoded_hex": _hex(d), "encoded_hex": _hex(e), "encoder_output": enc} for n, d, e, enc in cases]


def build() -> dict:
    return {
        "protocol_version": 1,
        "crc16": {"variant": "CRC-16/CCITT-FALSE", "poly": 0x1021, "init": 0xFFFF,
                  "cases": [{"input_hex": _hex(b), "crc": crc16_ccitt_false(b)}
                            for b in (b"123456789", b"", b"\x00", b"\xff" * 8)]},
        "cobs": cobs_dicts(),
        "data": data_cases(),
        "config": config_dicts(),
        "control": control_dicts(),
        "bad_frames": bad_frame_dicts(),
        "bad_packets": bad_packet_dicts(),
        "streams": stream_dicts(),
    }


def to_text(v: dict) -> str:
    """Line format for the C tests; strings and floats travel as hex so no token holds a space."""
    lines = ["# generated by firmware_bridge/vectors/generate.py from the same cases as vectors.json"]
    for c in v["crc16"]["cases"]:
        lines.append(f"crc {_tok(bytes.fromhex(c['input_hex']))} {c['crc']}")
    for c in v["cobs"]:
        lines.append(f"cobs {c['name']} {_tok(bytes.fromhex(c['decoded_hex']))} {c['encoded_hex']} {int(c['encoder_output'])}")
    for c in v["data"]:
        d = c["decoded"]
        flat = " ".join(str(x) for row in d["samples"] for x in row)
        lines.append(f"data {c['name']} {c['payload_hex']} {c['serial_hex']} {d['seq']} {d['device_time_us']} "
                     f"{len(d['samples'])} {len(d['samples'][0])} {flat}")
    for c in v["config"]:
        d = c["decoded"]
        chans = " ".join(f"{_tok(ch['label'].encode())} {_tok(ch['unit'].encode())} {ch['scale_bits']} {ch['range_bits']}"
                         for ch in d["channels"])
        lines.append(f"config {c['name']} {c['payload_hex']} {c['serial_hex']} {d['rate_mhz']} {d['samples_per_frame']} "
                     f"{d['flags']} {_tok(d['device_name'].encode())} {_tok(d['firmware'].encode())} "
                     f"{len(d['channels'])} {chans}")
    for c in v["control"]:
        d = c["decoded"]
        lines.append(f"control {c['name']} {c['payload_hex']} {c['serial_hex']} {d['opcode']} {d['arg']}")
    for c in v["bad_frames"]:
        lines.append(f"bad_frame {c['name']} {_tok(bytes.fromhex(c['payload_hex']))} {c['channels']} {c['error']}")
    for c in v["bad_packets"]:
        lines.append(f"bad_packet {c['name']} {c['packet_hex']} {c['error']}")
    for c in v["streams"]:
        lines.append(f"stream {c['name']} {c['input_hex']} {c['corrupt']} {c['bad_crc']} {len(c['payloads_hex'])} "
                     + " ".join(c["payloads_hex"]))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for vectors.json and vectors.txt")
    args = parser.parse_args(argv)
    vectors = build()
    files = {"vectors.json": json.dumps(vectors, indent=1, ensure_ascii=False) + "\n", "vectors.txt": to_text(vectors)}
    stale = []
    for name, text in files.items():
        path = args.out / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale: {', '.join(stale)}; run python firmware_bridge/vectors/generate.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
