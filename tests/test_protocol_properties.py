"""Property-based tests of the Python serial decoder: garbage never escapes it, and intact frames
always come through, whatever damage sits around them and however the bytes are chunked."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgehar.protocol import (
    ChannelSpec,
    ConfigFrame,
    DataFrame,
    FrameError,
    StreamDecoder,
    cobs_decode,
    cobs_encode,
    decode_frame,
    encode_frame,
    frame_to_serial,
    serial_unwrap,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def data_frames(draw: st.DrawFn, channels: int = 6) -> DataFrame:
    n = draw(st.integers(1, 40))
    values = draw(st.lists(st.integers(-32768, 32767), min_size=n * channels, max_size=n * channels))
    return DataFrame(
        draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFFFFFF)),
        np.array(values, dtype=np.int16).reshape(n, channels),
    )


def _chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]


@SETTINGS
@given(st.lists(st.binary(max_size=700), max_size=8))
def test_arbitrary_bytes_never_raise(chunks: list[bytes]) -> None:
    dec = StreamDecoder()
    for chunk in chunks:
        for frame in dec.feed(chunk):
            assert encode_frame(frame)  # anything that comes out is a valid frame
    assert dec.stats.frames + dec.stats.corrupt + dec.stats.unsupported <= sum(c.count(0) for c in chunks) + 1


@SETTINGS
@given(st.binary(max_size=600), st.sampled_from([None, 1, 6]))
def test_single_frame_decoding_raises_only_frame_error(payload: bytes, channels: int | None) -> None:
    try:
        frame = decode_frame(payload, channels)
    except FrameError:
        return
    assert encode_frame(frame) == payload


@SETTINGS
@given(st.binary(max_size=600))
def test_cobs_round_trip_and_garbage(data: bytes) -> None:
    enc = cobs_encode(data)
    assert 0 not in enc and len(enc) <= len(data) + len(data) // 254 + 1
    assert cobs_decode(enc) == data
    try:
        serial_unwrap(data)
    except FrameError:
        pass


@SETTINGS
@given(
    frames=st.lists(data_frames(), min_size=1, max_size=8),
    garbage=st.lists(st.binary(max_size=80), min_size=9, max_size=9),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
)
def test_every_intact_frame_is_recovered_between_garbage(
    frames: list[DataFrame], garbage: list[bytes], cuts: list[int]
) -> None:
    """Garbage between frames may look like anything, but a 0x00 right before each frame (which any
    sender emits after its previous frame) is all it takes to recover every intact frame."""
    stream = bytearray(garbage[0])
    for frame, junk in zip(frames, garbage[1:]):
        stream += b"\x00" + frame_to_serial(frame) + junk
    dec = StreamDecoder(channels=6)
    got = [f for chunk in _chunked(bytes(stream), cuts) for f in dec.feed(chunk)]
    assert [f for f in got if f in frames] == frames
    # a garbage packet passes COBS + CRC + frame checks with probability ~2^-16: allow no more extras
    assert len(got) - len(frames) <= 1


@SETTINGS
@given(
    frames=st.lists(data_frames(), min_size=3, max_size=8),
    victim=st.integers(0, 100),
    offset=st.integers(0, 10_000),
    mask=st.integers(1, 255),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
)
def test_resynchronises_on_the_next_frame_after_corruption(
    frames: list[DataFrame], victim: int, offset: int, mask: int, cuts: list[int]
) -> None:
    """One damaged byte costs exactly the damaged frame, or that frame and the next one when the
    damage hits the delimiter between them; everything after is recovered."""
    wires = [frame_to_serial(f) for f in frames]
    k = victim % len(wires)
    bad = bytearray(wires[k])
    at = offset % len(bad)
    bad[at] ^= mask
    wires[k] = bytes(bad)
    dec = StreamDecoder(channels=6)
    got = [f for chunk in _chunked(b"".join(wires), cuts) for f in dec.feed(chunk)]
    lost_next = at == len(bad) - 1  # the delimiter itself was damaged
    expected = frames[:k] + frames[k + (2 if lost_next else 1) :]
    assert [f for f in got if f in frames] == expected
    assert dec.stats.corrupt >= 1
    assert len(got) - len(expected) <= 1  # a damaged packet passing CRC-16: ~2^-16 per packet


@SETTINGS
@given(n_channels=st.integers(1, 16), name=st.text(max_size=10), rate=st.integers(1, 2**32 - 1))
def test_config_round_trip(n_channels: int, name: str, rate: int) -> None:
    name = name.encode()[:31].decode("utf-8", "ignore")
    chans = tuple(ChannelSpec(f"c{i}", "u", 0.001 * (i + 1), 10.0 * (i + 1)) for i in range(n_channels))
    cfg = ConfigFrame(rate, chans, name, "fw", 3)
    payload = encode_frame(cfg)
    assert decode_frame(payload) == cfg
    dec = StreamDecoder()
    assert dec.feed(frame_to_serial(cfg)) == [cfg] and dec.channels == n_channels
