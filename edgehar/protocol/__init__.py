"""edgehar wire protocol (firmware_bridge/PROTOCOL.md): frames, serial framing, BLE constants.

Pure numpy + stdlib, so the streaming runtime on a Raspberry Pi needs nothing else.
"""

from edgehar.protocol.ble import (
    CONFIG_CHAR_UUID,
    CONTROL_CHAR_UUID,
    DATA_CHAR_UUID,
    EDGEHAR_SERVICE_UUID,
    NUS_RX_UUID,
    NUS_SERVICE_UUID,
    NUS_TX_UUID,
    samples_per_notification,
)
from edgehar.protocol.cobs import cobs_decode, cobs_encode
from edgehar.protocol.crc import crc16_ccitt_false
from edgehar.protocol.device_time import DeviceTimeUnwrapper
from edgehar.protocol.frame_error import FrameError
from edgehar.protocol.frames import (
    MAX_CHANNELS,
    MAX_PAYLOAD,
    PROTOCOL_VERSION,
    ChannelSpec,
    ConfigFrame,
    ControlFrame,
    DataFrame,
    Frame,
    FrameType,
    Opcode,
    decode_frame,
    encode_data,
    encode_frame,
    frame_type,
)
from edgehar.protocol.sequence import SeqResult, SequenceTracker
from edgehar.protocol.serial_framing import frame_to_serial, serial_unwrap, serial_wrap
from edgehar.protocol.stream_decoder import DEVICE_ACCEPTS, HOST_ACCEPTS, DecoderStats, StreamDecoder

__all__ = [
    "CONFIG_CHAR_UUID", "CONTROL_CHAR_UUID", "DATA_CHAR_UUID", "EDGEHAR_SERVICE_UUID",
    "NUS_RX_UUID", "NUS_SERVICE_UUID", "NUS_TX_UUID", "samples_per_notification",
    "cobs_decode", "cobs_encode", "crc16_ccitt_false", "DeviceTimeUnwrapper", "FrameError",
    "MAX_CHANNELS", "MAX_PAYLOAD", "PROTOCOL_VERSION", "ChannelSpec", "ConfigFrame", "ControlFrame",
    "DataFrame", "Frame", "FrameType", "Opcode", "decode_frame", "encode_data", "encode_frame",
    "frame_type", "SeqResult", "SequenceTracker", "frame_to_serial", "serial_unwrap", "serial_wrap",
    "DEVICE_ACCEPTS", "HOST_ACCEPTS", "DecoderStats", "StreamDecoder",
]
