"""Put a ModelCard inside an exported model file, so the runtime needs nothing but the file.

The card's ``model_sha256`` is the hash of the model bytes *before* the card goes in (a file
cannot contain its own hash); :func:`edgehar.modelcard.read_card` reads the card back.
"""

from __future__ import annotations

import hashlib

import numpy as np

from edgehar.modelcard import CARD_KEY, ModelCard


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pack_tflite(obj) -> bytes:
    """Serialize a TFLite ``ModelT`` with every byte buffer 16-byte aligned.

    The stock object-API packer aligns uint8 vectors to 1 byte; TFLite's schema asks for 16
    (``force_align``) and TFLite Micro reads int32 biases in place, which faults on a Cortex-M0
    when they are misaligned.
    """
    import flatbuffers

    class AlignedBuilder(flatbuffers.Builder):
        def CreateNumpyVector(self, x):  # noqa: N802 (flatbuffers API name)
            if x.dtype != np.uint8 or x.ndim != 1:
                return super().CreateNumpyVector(x)
            payload = x.tobytes()
            self.StartVector(1, len(payload), 16)
            self.head -= len(payload)
            self.Bytes[self.head : self.head + len(payload)] = payload
            self.vectorNumElems = len(payload)
            return self.EndVector()

    builder = AlignedBuilder(max(1024, 2 * sum(len(b.data) for b in obj.buffers if b.data is not None)))
    builder.Finish(obj.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def embed_card_tflite(model: bytes, card: ModelCard, strip_names: bool = True) -> bytes:
    """Add (or replace) the ``edgehar`` custom metadata buffer of a TFLite flatbuffer.

    ``strip_names`` drops tensor names (debug strings the converter writes: several KB that a
    microcontroller would have to keep in flash); signatures and op codes are kept.
    """
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.tools import flatbuffer_utils

    obj = flatbuffer_utils.read_model_from_bytearray(bytearray(model))
    if strip_names:
        for subgraph in obj.subgraphs:
            for tensor in subgraph.tensors:
                tensor.name = None
    payload = np.frombuffer(card.to_json().encode("utf-8"), dtype=np.uint8)
    metadata = [m for m in (obj.metadata or []) if m.name not in (CARD_KEY, CARD_KEY.encode())]
    buffer = schema.BufferT()
    buffer.data = payload
    obj.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = CARD_KEY
    entry.buffer = len(obj.buffers) - 1
    metadata.append(entry)
    obj.metadata = metadata
    return _pack_tflite(obj)


def embed_card_onnx(model: bytes, card: ModelCard) -> bytes:
    """Set ``metadata_props["edgehar"]`` of a serialized ONNX model to the card's JSON."""
    import onnx

    proto = onnx.load_model_from_string(model)
    kept = [p for p in proto.metadata_props if p.key != CARD_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    entry = proto.metadata_props.add()
    entry.key = CARD_KEY
    entry.value = card.to_json()
    return proto.SerializeToString()
