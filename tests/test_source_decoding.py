"""Byte-level decoding shared by the sources: text lines, format detection, frames to blocks, backoff."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from edgehar.protocol import (
    ChannelSpec, ConfigFrame, ControlFrame, DataFrame, Opcode, encode_data, frame_to_serial, serial_wrap,
)
from edgehar.runtime.sources.backoff import Backoff
from edgehar.runtime.sources.base import Block, LinkEvent
from edgehar.runtime.sources.byte_stream import ByteStreamDecoder, detect_format
from edgehar.runtime.sources.frame_blocks import FrameBlocks
from edgehar.runtime.sources.text_lines import TextLineDecoder, default_text_info, parse_line

CONFIG = ConfigFrame(
    rate_mhz=99840,
    channels=tuple(ChannelSpec(n, "g", 1 / 4096, 8.0) for n in ("acc_x", "acc_y", "acc_z")),
    device_name="nano", firmware="rev2 1.0", samples_per_frame=2,
)


def _data(seq: int, rows: list[list[int]]) -> bytes:
    return serial_wrap(encode_data(seq, seq * 1000, np.array(rows, np.int16)))


def test_parse_line_accepts_forwarder_separators_and_labels():
    assert parse_line("1,2,3") == [1.0, 2.0, 3.0]
    assert parse_line(" 1\t-2.5  3e2 \r") == [1.0, -2.5, 300.0]
    assert parse_line("a/g:\t100\t-200\t300") == [100.0, -200.0, 300.0]
    assert parse_line("Acceleration X: 1") is None
    assert parse_line("1,nan,3") is None
    assert parse_line("") is None


def test_text_decoder_learns_width_drops_cut_first_line_and_counts_bad_lines():
    dec = TextLineDecoder()
    rows = dec.feed(b".5,3\n1,2,3\n4,5")
    assert rows.shape == (0, 0)  # one full line is not enough to trust the width
    rows = dec.feed(b",6\r\n7,8,9\nhello\n1,2\nERR: sensor not found\n")
    np.testing.assert_array_equal(rows, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert dec.corrupt == 2  # "hello" and the short "1,2"; the cut first line is silent
    assert dec.messages == ["ERR: sensor not found"]
    dec.feed(b"x" * 5000)
    assert dec.corrupt == 3  # an endless line is noise, counted once
    rows = dec.feed(b"still noise\n10,11,12\n")
    np.testing.assert_array_equal(rows, [[10, 11, 12]])


def test_default_text_info_by_column_count():
    assert default_text_info(6).units == ("g", "g", "g", "deg/s", "deg/s", "deg/s")
    assert default_text_info(4).channels == ("ch0", "ch1", "ch2", "ch3")


def test_detect_format():
    assert detect_format(b"\x08\x11\x02") is None  # too little to tell
    assert detect_format(b"\x08\x11\x02\x00") == "binary"
    assert detect_format(b"1.0,2.0\n") is None
    assert detect_format(b"1.0,2.0,3.0\n" * 8) == "text"
    assert detect_format(bytes(range(1, 200))) == "binary"


def test_binary_stream_holds_data_until_config_then_releases_in_order():
    dec = ByteStreamDecoder("auto")
    items = dec.feed(_data(7, [[1, 2, 3], [4, 5, 6]]), host_time=1.0)
    assert [type(i) for i in items] == [LinkEvent]  # only "detected binary"
    assert dec.waiting_for_config
    items = dec.feed(frame_to_serial(CONFIG) + _data(8, [[7, 8, 9], [10, 11, 12]]), host_time=2.0)
    assert items[0].kind == "connected" and items[0].info.rate_hz == 99.84
    blocks = [i for i in items if isinstance(i, Block)]
    assert [b.seq for b in blocks] == [7, 8] and [b.host_time for b in blocks] == [1.0, 2.0]
    np.testing.assert_allclose(blocks[1].samples, np.array([[7, 8, 9], [10, 11, 12]]) / 4096)


def test_binary_stream_counts_damage_and_goes_on():
    dec = ByteStreamDecoder("binary")
    good = frame_to_serial(CONFIG) + _data(1, [[1, 1, 1], [2, 2, 2]])
    bad = bytearray(_data(2, [[3, 3, 3], [4, 4, 4]]))
    bad[5] ^= 0x40
    wrong_width = serial_wrap(encode_data(3, 0, np.zeros((2, 4), np.int16)))
    control = frame_to_serial(ControlFrame(Opcode.START))
    items = dec.feed(good + bytes(bad) + wrong_width + control + _data(4, [[5, 5, 5], [6, 6, 6]]), 0.0)
    corrupt = sum(i.count for i in items if isinstance(i, LinkEvent) and i.kind == "corrupt")
    assert corrupt == 3
    assert [i.seq for i in items if isinstance(i, Block)] == [1, 4]


def test_config_change_is_an_info_event_and_reset_announces_again():
    frames = FrameBlocks()
    first = frames.frame(CONFIG, 0.0)
    assert [i.kind for i in first] == ["connected"]
    assert frames.frame(CONFIG, 0.1) == []  # a repeated CONFIG changes nothing
    faster = ConfigFrame(200000, CONFIG.channels, "nano", "rev2 1.0", 4)
    changed = frames.frame(faster, 0.2)
    assert [i.kind for i in changed] == ["info"] and changed[0].info.rate_hz == 200.0
    frames.reset()
    data = DataFrame(5, 0, np.zeros((1, 3), np.int16))
    again = frames.frame(data, 0.3)  # after a reconnect, the known CONFIG is announced anew
    assert [type(i).__name__ for i in again] == ["LinkEvent", "Block"] and again[0].kind == "connected"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=20))
def test_arbitrary_bytes_never_break_the_decoder(chunks):
    dec = ByteStreamDecoder("auto")
    for chunk in chunks + [frame_to_serial(CONFIG), _data(1, [[1, 2, 3], [4, 5, 6]])]:
        dec.feed(chunk, 0.0)
    text = ByteStreamDecoder("text")
    for chunk in chunks:
        text.feed(chunk, 0.0)


def test_backoff_grows_caps_and_jitters():
    backoff = Backoff(initial_s=0.1, factor=2.0, cap_s=1.0, seed=5)
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings))
    assert len({round(d, 6) for d in delays[4:]}) > 1  # jittered, not lock-step
    backoff.reset()
    assert backoff.next_delay() <= 0.1
    for _ in range(5000):
        backoff.next_delay()  # no overflow after a long outage



def test_a_declared_rate_reaches_text_lines_without_named_columns():
    dec = ByteStreamDecoder("text", text_rate_hz=119.0)
    items = dec.feed(b"1,2,3\n4,5,6\n", 0.0)
    assert items[0].kind == "connected" and items[0].info.rate_hz == 119.0
    assert items[0].info.channels == ("acc_x", "acc_y", "acc_z")
