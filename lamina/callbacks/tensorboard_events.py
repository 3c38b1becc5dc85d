"""TensorBoard event files without TensorFlow: write them and read them back.

An event file is a sequence of TFRecords, each an `Event` protocol buffer. A record is
`length (uint64 LE) | masked CRC32C of length (uint32) | data | masked CRC32C of data`. The few
messages needed here are encoded by hand (field numbers from TensorFlow's `event.proto`,
`summary.proto`, `tensor.proto`), so neither `protobuf` nor `tensorboard` is required:

    Event:          wall_time=1 (double), step=2 (int64), file_version=3 (string), summary=5
    Summary:        value=1 (repeated Value)
    Value:          tag=1, simple_value=2 (float), image=4, histo=5, tensor=8, metadata=9
    HistogramProto: min=1, max=2, num=3, sum=4, sum_squares=5 (doubles),
                    bucket_limit=6, bucket=7 (packed doubles)
    Image:          height=1, width=2, colorspace=3, encoded_image_string=4
    TensorProto:    dtype=1 (DT_STRING=7), tensor_shape=2, float_val=5, string_val=8
    SummaryMetadata: plugin_data=1 { plugin_name=1, content=2 }
"""

import os
import socket
import struct
import time
import zlib

import numpy as np

# ---------------------------------------------------------------------------- CRC32C
_CRC_TABLE = []
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = (_crc >> 1) ^ 0x82F63B78 if _crc & 1 else _crc >> 1
    _CRC_TABLE.append(_crc)


def crc32c(data):
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """TFRecord's checksum: CRC32C rotated right by 15 bits plus a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def encode_record(data):
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length)) + data
            + struct.pack("<I", masked_crc32c(data)))


# ---------------------------------------------------------------------------- protobuf encoding
def _varint(value):
    value &= 0xFFFFFFFFFFFFFFFF  # negative int64 values use their two's complement
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _tag(field, wire_type):
    return _varint((field << 3) | wire_type)


def _int_field(field, value):
    return _tag(field, 0) + _varint(int(value))


def _double_field(field, value):
    return _tag(field, 1) + struct.pack("<d", float(value))


def _float_field(field, value):
    return _tag(field, 5) + struct.pack("<f", float(value))


def _bytes_field(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _tag(field, 2) + _varint(len(data)) + data


def _packed_doubles(field, values):
    return _bytes_field(field, struct.pack(f"<{len(values)}d", *values))


def scalar_value(tag, value):
    return _bytes_field(1, tag) + _float_field(2, value)


def histogram_value(tag, values, bins=30):
    """A HistogramProto of `values` with `bins` equal-width buckets (right edges as limits)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0:
        values = np.zeros(1)
    low, high = float(values.min()), float(values.max())
    if low == high:
        counts, limits = [float(values.size)], [high]
    else:
        counts, edges = np.histogram(values, bins=bins, range=(low, high))
        counts, limits = counts.astype(np.float64).tolist(), edges[1:].tolist()
    histogram = (_double_field(1, low) + _double_field(2, high) + _double_field(3, values.size)
                 + _double_field(4, values.sum()) + _double_field(5, np.square(values).sum())
                 + _packed_doubles(6, limits) + _packed_doubles(7, counts))
    return _bytes_field(1, tag) + _bytes_field(5, histogram)


def image_value(tag, pixels):
    """An image summary of a (height, width) or (height, width, channels) uint8 array."""
    pixels = np.asarray(pixels, dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    height, width, channels = pixels.shape
    image = (_int_field(1, height) + _int_field(2, width) + _int_field(3, channels)
             + _bytes_field(4, encode_png(pixels)))
    return _bytes_field(1, tag) + _bytes_field(4, image)


def text_tensor_value(tag, text, plugin_name, content=b""):
    """A string tensor summary, e.g. the model config for the "graph_keras_model" plugin."""
    tensor = _int_field(1, 7) + _bytes_field(2, b"") + _bytes_field(8, text)
    return (_bytes_field(1, tag) + _bytes_field(8, tensor)
            + _bytes_field(9, _plugin_metadata(plugin_name, content)))


def _plugin_metadata(plugin_name, content):
    plugin_data = _bytes_field(1, plugin_name) + (_bytes_field(2, content) if content else b"")
    return _bytes_field(1, plugin_data)


def summary_bytes(*values):
    return b"".join(_bytes_field(1, value) for value in values)


def event_bytes(step, summary=None, file_version=None, wall_time=None):
    data = _double_field(1, time.time() if wall_time is None else wall_time)
    data += _int_field(2, step)
    if file_version is not None:
        data += _bytes_field(3, file_version)
    if summary is not None:
        data += _bytes_field(5, summary)
    return data


def encode_png(pixels):
    """PNG bytes of an (height, width, channels) uint8 array (1: gray, 3: RGB, 4: RGBA)."""
    height, width, channels = pixels.shape
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    rows = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


# ---------------------------------------------------------------------------- writer
class EventFileWriter:
    """Append events to a new `events.out.tfevents.*` file in `log_dir` (the subset of
    `torch.utils.tensorboard.SummaryWriter` the TensorBoard callback uses)."""

    _count = 0

    def __init__(self, log_dir):
        os.makedirs(log_dir, exist_ok=True)
        EventFileWriter._count += 1
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{EventFileWriter._count}.v2")
        self.path = os.path.join(log_dir, name)
        self._file = open(self.path, "wb")
        self._file.write(encode_record(event_bytes(0, file_version="brain.Event:2")))
        self._file.flush()

    def add_summary_bytes(self, summary, step):
        self._file.write(encode_record(event_bytes(step, summary=summary)))

    def add_scalar(self, tag, value, global_step=0):
        self.add_summary_bytes(summary_bytes(scalar_value(tag, value)), global_step)

    def add_histogram(self, tag, values, global_step=0):
        self.add_summary_bytes(summary_bytes(histogram_value(tag, values)), global_step)

    def flush(self):
        if not self._file.closed:
            self._file.flush()

    def close(self):
        if not self._file.closed:
            self._file.close()


# ---------------------------------------------------------------------------- reader
def read_records(path):
    """The data of each TFRecord in `path`; ValueError on a corrupt record."""
    with open(path, "rb") as f:
        content = f.read()
    records, offset = [], 0
    while offset < len(content):
        header = content[offset:offset + 12]
        if len(header) < 12:
            raise ValueError(f"{path}: truncated record header at byte {offset}.")
        length, length_crc = struct.unpack("<QI", header)
        if masked_crc32c(header[:8]) != length_crc:
            raise ValueError(f"{path}: bad length checksum at byte {offset}.")
        data = content[offset + 12:offset + 12 + length]
        (data_crc,) = struct.unpack("<I", content[offset + 12 + length:offset + 16 + length])
        if masked_crc32c(data) != data_crc:
            raise ValueError(f"{path}: bad data checksum at byte {offset}.")
        records.append(data)
        offset += 16 + length
    return records


def read_events(path):
    """Decode an event file into dicts: {"step", "wall_time", "file_version", "values"}, where
    each value is {"tag", "kind", "value"}: kind "scalars" (a float), "histograms" (a dict of the
    HistogramProto fields), "images" (a dict with height, width, png) or another plugin's name
    (the raw TensorProto fields)."""
    events = []
    for record in read_records(path):
        fields = _parse(record)
        event = {"wall_time": _first(fields, 1, 0.0), "step": _first(fields, 2, 0),
                 "file_version": _first(fields, 3, b"").decode() or None, "values": []}
        for summary in fields.get(5, []):
            for value in _parse(summary).get(1, []):
                event["values"].append(_decode_value(_parse(value)))
        events.append(event)
    return events


def _decode_value(fields):
    tag = _first(fields, 1, b"").decode()
    plugin = None
    if 9 in fields:
        plugin_data = _parse(_parse(fields[9][0]).get(1, [b""])[0])
        plugin = _first(plugin_data, 1, b"").decode() or None
    if 2 in fields:
        return {"tag": tag, "kind": plugin or "scalars", "value": fields[2][0]}
    if 5 in fields:
        histo = _parse(fields[5][0])
        names = {1: "min", 2: "max", 3: "num", 4: "sum", 5: "sum_squares"}
        value = {name: _first(histo, number, 0.0) for number, name in names.items()}
        value["bucket_limit"] = _doubles(histo.get(6, []))
        value["bucket"] = _doubles(histo.get(7, []))
        return {"tag": tag, "kind": plugin or "histograms", "value": value}
    if 4 in fields:
        image = _parse(fields[4][0])
        value = {"height": _first(image, 1, 0), "width": _first(image, 2, 0),
                 "png": _first(image, 4, b"")}
        return {"tag": tag, "kind": plugin or "images", "value": value}
    tensor = _parse(fields[8][0]) if 8 in fields else {}
    value = tensor.get(8) or _floats(tensor.get(5, [])) or tensor.get(4)
    if plugin == "scalars" and value:  # the TF2 form of a scalar: a float tensor
        value = value[0] if isinstance(value, list) and value and isinstance(value[0], float) \
            else np.frombuffer(value[0], np.float32)[0].item()
    return {"tag": tag, "kind": plugin or "tensor", "value": value}


def _first(fields, number, default):
    return fields[number][0] if number in fields else default


def _doubles(chunks):
    values = []
    for chunk in chunks:
        values.extend(struct.unpack(f"<{len(chunk) // 8}d", chunk) if isinstance(chunk, bytes)
                      else [chunk])
    return values


def _floats(chunks):
    values = []
    for chunk in chunks:
        values.extend(struct.unpack(f"<{len(chunk) // 4}f", chunk) if isinstance(chunk, bytes)
                      else [chunk])
    return values


def _parse(data):
    """Decode one protobuf message into {field number: [values]} (no schema needed)."""
    fields, offset = {}, 0
    while offset < len(data):
        key, offset = _read_varint(data, offset)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, offset = _read_varint(data, offset)
        elif wire_type == 1:
            (value,) = struct.unpack_from("<d", data, offset)
            offset += 8
        elif wire_type == 5:
            (value,) = struct.unpack_from("<f", data, offset)
            offset += 4
        elif wire_type == 2:
            length, offset = _read_varint(data, offset)
            value = data[offset:offset + length]
            offset += length
        else:
            raise ValueError(f"Unsupported protobuf wire type {wire_type} in an event record.")
        fields.setdefault(number, []).append(value)
    return fields


def _read_varint(data, offset):
    result = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, offset
