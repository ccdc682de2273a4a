"""The Python codec against the shared byte-exact vectors (the C tests read the same cases)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest

from edgehar.protocol import (
    ChannelSpec,
    ConfigFrame,
    ControlFrame,
    DataFrame,
    FrameError,
    StreamDecoder,
    cobs_decode,
    cobs_encode,
    crc16_ccitt_false,
    decode_frame,
    encode_frame,
    serial_unwrap,
    serial_wrap,
)

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "firmware_bridge" / "vectors"
V = json.loads((VECTORS / "vectors.json").read_text(encoding="utf-8"))


def _ids(cases: list[dict]) -> list[str]:
    return [c["name"] for c in cases]


def test_vector_files_match_the_generator(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_vectors", VECTORS / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.main(["--out", str(tmp_path)]) == 0
    for name in ("vectors.json", "vectors.txt"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (VECTORS / name).read_text(encoding="utf-8"), name


def test_crc_is_ccitt_false() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1  # the catalogued check value
    for case in V["crc16"]["cases"]:
        data = bytes.fromhex(case["input_hex"])
        assert crc16_ccitt_false(data) == case["crc"]
        if len(data) > 1:
            assert crc16_ccitt_false(data[1:], crc16_ccitt_false(data[:1])) == case["crc"]


@pytest.mark.parametrize("case", V["cobs"], ids=_ids(V["cobs"]))
def test_cobs(case: dict) -> None:
    decoded, encoded = bytes.fromhex(case["decoded_hex"]), bytes.fromhex(case["encoded_hex"])
    if case["encoder_output"]:
        assert cobs_encode(decoded) == encoded
    assert cobs_decode(encoded) == decoded


def test_protocol_md_example_is_byte_exact() -> None:
    """The worked example in PROTOCOL.md section 5 is what the codec produces."""
    text = (ROOT / "firmware_bridge" / "PROTOCOL.md").read_text(encoding="utf-8")
    example = text[text.index("## 5. Example") :]

    def block(label: str, stop: str) -> bytes:
        chunk = example[example.index(label) + len(label) : example.index(stop, example.index(label))]
        return bytes.fromhex(re.sub(r"\s+", "", chunk))

    payload = block("payload", "crc16")
    wire = block("serial", "More cases")
    frame = DataFrame(0x1234, 1_000_000, np.array([[1, 2, 3, 4, 5, 6], [-1, -2, -3, -4, -5, -6]], dtype=np.int16))
    assert encode_frame(frame) == payload
    assert serial_wrap(payload) == wire
    assert f"0x{crc16_ccitt_false(payload):04x}" in example


@pytest.mark.parametrize("case", V["data"], ids=_ids(V["data"]))
def test_data_vectors(case: dict) -> None:
    payload, serial = bytes.fromhex(case["payload_hex"]), bytes.fromhex(case["serial_hex"])
    d = case["decoded"]
    samples = np.array(d["samples"], dtype=np.int16)
    frame = decode_frame(payload, channels=samples.shape[1])
    assert isinstance(frame, DataFrame)
    assert (frame.seq, frame.device_time_us) == (d["seq"], d["device_time_us"])
    assert frame.samples.dtype == np.int16
    np.testing.assert_array_equal(frame.samples, samples)
    assert decode_frame(payload) == frame  # channel count inferred from the length
    assert encode_frame(DataFrame(d["seq"], d["device_time_us"], samples)) == payload
    assert serial_wrap(payload) == serial
    assert serial_unwrap(serial[:-1]) == payload


@pytest.mark.parametrize("case", V["config"], ids=_ids(V["config"]))
def test_config_vectors(case: dict) -> None:
    payload = bytes.fromhex(case["payload_hex"])
    d = case["decoded"]
    expected = ConfigFrame(
        rate_mhz=d["rate_mhz"],
        channels=tuple(ChannelSpec(c["label"], c["unit"], c["scale"], c["range"]) for c in d["channels"]),
        device_name=d["device_name"], firmware=d["firmware"], samples_per_frame=d["samples_per_frame"],
        flags=d["flags"],
    )
    for c, spec in zip(d["channels"], expected.channels):
        assert np.float32(spec.scale).tobytes()[::-1].hex() == c["scale_bits"]
    assert decode_frame(payload) == expected
    assert encode_frame(expected) == payload
    assert serial_wrap(payload) == bytes.fromhex(case["serial_hex"])


@pytest.mark.parametrize("case", V["control"], ids=_ids(V["control"]))
def test_control_vectors(case: dict) -> None:
    payload = bytes.fromhex(case["payload_hex"])
    expected = ControlFrame(case["decoded"]["opcode"], case["decoded"]["arg"])
    assert decode_frame(payload) == expected
    assert encode_frame(expected) == payload
    assert serial_wrap(payload) == bytes.fromhex(case["serial_hex"])


@pytest.mark.parametrize("case", V["bad_frames"], ids=_ids(V["bad_frames"]))
def test_bad_frames_are_refused_with_their_reason(case: dict) -> None:
    with pytest.raises(FrameError) as err:
        decode_frame(bytes.fromhex(case["payload_hex"]), channels=case["channels"] or None)
    assert err.value.reason == case["error"]


@pytest.mark.parametrize("case", V["bad_packets"], ids=_ids(V["bad_packets"]))
def test_bad_packets_are_refused_with_their_reason(case: dict) -> None:
    packet = bytes.fromhex(case["packet_hex"])
    with pytest.raises(FrameError) as err:
        serial_unwrap(packet)
    assert err.value.reason == case["error"]
    decoder = StreamDecoder()
    assert decoder.feed(packet + b"\x00") == []
    assert decoder.stats.corrupt == 1
    assert decoder.stats.bad_crc == (case["error"] == "crc")


@pytest.mark.parametrize("case", V["streams"], ids=_ids(V["streams"]))
@pytest.mark.parametrize("chunking", ["whole", "bytewise", "random"])
def test_stream_vectors(case: dict, chunking: str) -> None:
    data = bytes.fromhex(case["input_hex"])
    if chunking == "whole":
        chunks = [data]
    elif chunking == "bytewise":
        chunks = [data[i : i + 1] for i in range(len(data))]
    else:
        rng = random.Random(case["name"])
        cuts = sorted(rng.sample(range(1, len(data)), k=min(7, len(data) - 1)))
        chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    decoder = StreamDecoder()
    frames = [f for chunk in chunks for f in decoder.feed(chunk)]
    assert [encode_frame(f) for f in frames] == [bytes.fromhex(p) for p in case["payloads_hex"]]
    assert (decoder.stats.corrupt, decoder.stats.bad_crc) == (case["corrupt"], case["bad_crc"])
    assert decoder.stats.frames == len(frames)
