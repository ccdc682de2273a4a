"""Frame encoding limits, physical scaling, BLE sizing, and the receiver's sequence and clock rules."""

from __future__ import annotations

import numpy as np
import pytest

from edgehar.errors import EdgeharError
from edgehar.protocol import (
    ChannelSpec,
    ConfigFrame,
    ControlFrame,
    DataFrame,
    DeviceTimeUnwrapper,
    FrameError,
    SequenceTracker,
    StreamDecoder,
    decode_frame,
    encode_data,
    encode_frame,
    frame_to_serial,
    samples_per_notification,
)
from edgehar.protocol.stream_decoder import DEVICE_ACCEPTS


def _config(n_channels: int = 6) -> ConfigFrame:
    chans = [ChannelSpec(f"acc_{i}", "g", 4 / 32768, 4.0) for i in range(n_channels)]
    return ConfigFrame(100_000, tuple(chans), "edgehar-test", "test 1", 5)


@pytest.mark.parametrize(
    ("shape", "message"),
    [((0, 6), "shape"), ((256, 1), "shape"), ((1, 17), "shape"), ((43, 6), "512"), ((6,), "shape")],
)
def test_encode_data_refuses_out_of_spec_shapes(shape: tuple[int, ...], message: str) -> None:
    with pytest.raises(EdgeharError, match=message):
        encode_data(0, 0, np.zeros(shape, dtype=np.int16))


def test_encode_data_refuses_values_outside_int16_and_floats() -> None:
    with pytest.raises(EdgeharError, match="int16"):
        encode_data(0, 0, np.array([[40000]]))
    with pytest.raises(EdgeharError, match="integers"):
        encode_data(0, 0, np.array([[1.5]]))
    with pytest.raises(EdgeharError, match="u16"):
        encode_data(65536, 0, np.array([[1]]))


def test_encode_config_refuses_long_strings_and_bad_scales() -> None:
    cfg = _config()
    with pytest.raises(EdgeharError, match="device name"):
        encode_frame(ConfigFrame(1, cfg.channels, "x" * 32, "", 1))
    with pytest.raises(EdgeharError, match="channel label"):
        encode_frame(ConfigFrame(1, (ChannelSpec("x" * 16, "g", 1, 1),), "d", "", 1))
    with pytest.raises(EdgeharError, match="finite"):
        encode_frame(ConfigFrame(1, (ChannelSpec("x", "g", float("inf"), 1),), "d", "", 1))
    with pytest.raises(EdgeharError, match="1..16"):
        encode_frame(ConfigFrame(1, (), "d", "", 1))


def test_physical_values_use_each_channels_scale() -> None:
    cfg = ConfigFrame(
        99_840,
        (ChannelSpec("acc_x", "g", 4 / 32768, 4), ChannelSpec("gyr_x", "deg/s", 2000 / 32768, 2000)),
        "d", "f", 1,
    )
    frame = decode_frame(encode_data(0, 0, np.array([[8192, -16384], [32767, 0]])), channels=2)
    phys = cfg.to_physical(frame)
    assert phys.dtype == np.float32
    np.testing.assert_allclose(phys, [[1.0, -1000.0], [4 * 32767 / 32768, 0.0]], rtol=1e-6)
    assert cfg.sample_rate_hz == pytest.approx(99.84)
    assert cfg.units == ("g", "deg/s") and cfg.labels == ("acc_x", "gyr_x")
    with pytest.raises(FrameError, match="channels"):
        _config(3).to_physical(frame)


@pytest.mark.parametrize(
    ("mtu", "channels", "preferred", "expected"),
    [(23, 6, 5, 1), (59, 6, 5, 4), (71, 6, 5, 5), (185, 6, 5, 5), (517, 6, 255, 42), (23, 9, 5, 0), (247, 3, 50, 39)],
)
def test_samples_per_notification(mtu: int, channels: int, preferred: int, expected: int) -> None:
    n = samples_per_notification(mtu, channels, preferred)
    assert n == expected
    if n:
        assert 8 + 2 * n * channels <= mtu - 3


def test_sequence_rules_dedupe_gaps_wrap_and_stale() -> None:
    tr = SequenceTracker()
    verdicts = [tr.update(s).verdict for s in (65533, 65534, 65534, 65535, 0, 3, 2, 4)]
    assert verdicts == ["first", "next", "duplicate", "next", "next", "gap", "stale", "next"]
    assert tr.stats.duplicates == 1 and tr.stats.gaps == 1 and tr.stats.lost_frames == 2 and tr.stats.stale == 1
    gap = SequenceTracker()
    gap.update(65535)
    result = gap.update(9)  # across the wrap: 0..8 lost
    assert result.accept and result.lost_frames == 9


def test_sequence_restart_after_four_consecutive_stale_frames() -> None:
    tr = SequenceTracker()
    for s in range(5000, 5003):
        tr.update(s)
    results = [tr.update(s) for s in range(0, 6)]
    assert [r.verdict for r in results] == ["stale", "stale", "stale", "restart", "next", "next"]
    assert tr.stats.restarts == 1
    # an interleaved stale frame that does not continue the run starts a new run
    tr2 = SequenceTracker()
    tr2.update(10000)
    assert [tr2.update(s).verdict for s in (60000, 60001, 60100, 60101, 60102)] == ["stale"] * 5
    tr2.reset()
    assert tr2.update(7).verdict == "first"


def test_device_time_unwraps_across_2_pow_32() -> None:
    un = DeviceTimeUnwrapper()
    raw = [2**32 - 20_000, 2**32 - 10_000, 0, 10_000, 5_000]
    assert [un.unwrap(t) for t in raw] == [2**32 - 20_000, 2**32 - 10_000, 2**32, 2**32 + 10_000, 2**32 + 5_000]
    late = DeviceTimeUnwrapper()
    late.unwrap(2**32 - 10)
    late.unwrap(5)
    assert late.unwrap(2**32 - 3) == 2**32 - 3  # a late frame from before the wrap
    assert late.unwrap(20) == 2**32 + 20


def test_stream_decoder_follows_config_channel_count() -> None:
    dec = StreamDecoder()
    three = frame_to_serial(DataFrame(1, 0, np.ones((2, 3), dtype=np.int16)))
    frames = dec.feed(three + frame_to_serial(_config(6)) + three)
    assert [type(f).__name__ for f in frames] == ["DataFrame", "ConfigFrame"]
    assert dec.channels == 6 and dec.stats.corrupt == 1 and dec.stats.reasons["length"] == 1


def test_stream_decoder_counts_frames_for_the_other_side_as_unsupported() -> None:
    host = StreamDecoder()
    assert host.feed(frame_to_serial(ControlFrame(1)) + frame_to_serial(_config())) == [_config()]
    assert host.stats.unsupported == 1 and host.stats.corrupt == 0
    device = StreamDecoder(accept=DEVICE_ACCEPTS)
    assert device.feed(frame_to_serial(ControlFrame(4, 10))) == [ControlFrame(4, 10)]
