"""Two int4 values per byte: `pack_int4` / `unpack_int4`.

Along the packed axis, element `2k` goes to the low nibble of byte `k` and element `2k + 1`
to its high nibble; an odd length is padded with one zero.
"""

import torch

from lamina import config
from lamina.quantizers import _tensors
from lamina.registry.object_registry import keras_export


def _check_dtype(dtype):
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"dtype must be 'int8' or 'uint8'. Received: dtype={dtype!r}")


@keras_export("quantizers.pack_int4", package=False)
def pack_int4(arr, axis=0, dtype="int8"):
    """Pack int4 values (held in an `int8` tensor in [-8, 7], or `uint8` in [0, 15]) in pairs
    along `axis`, halving that axis (rounded up).

    Returns:
        `(packed, packed_shape, orig_len)`: the packed tensor (of `dtype`), its shape as a
        tuple, and the length of `axis` before packing (what `unpack_int4` needs).
    """
    _check_dtype(dtype)
    arr = _tensors.as_tensor(arr)
    if _tensors.dtype_name(arr) != dtype:
        raise TypeError(
            f"pack_int4() packs a {dtype} tensor (dtype={dtype!r}). Received a "
            f"{_tensors.dtype_name(arr)} tensor: cast it first, or pass dtype to match."
        )
    moved = torch.movedim(arr, axis, 0)
    length = moved.shape[0]
    if length % 2:
        moved = torch.cat([moved, moved.new_zeros((1, *moved.shape[1:]))])
    # Work in int16 so shifting a nibble into the high half never overflows, then keep the
    # byte's bits in the requested type (0xF0 | x is negative as int8).
    low = moved[0::2].to(torch.int16) & 0x0F
    high = moved[1::2].to(torch.int16) & 0x0F
    packed = _to_byte(low | (high << 4), dtype)
    packed = torch.movedim(packed, 0, axis)
    return packed, tuple(packed.shape), length


def _to_byte(values, dtype):
    """int16 values in [0, 255] as the byte of the same bits in `dtype`."""
    if dtype == "int8":
        values = torch.where(values > 127, values - 256, values)
    return values.to(config.to_torch_dtype(dtype))


@keras_export("quantizers.unpack_int4", package=False)
def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """Undo `pack_int4`: split each byte of `packed` along `axis` into its two nibbles, drop
    the padding to `orig_len`, and return them as `dtype` (signed int4 values in [-8, 7] for
    "int8", [0, 15] for "uint8")."""
    _check_dtype(dtype)
    packed = _tensors.as_tensor(packed)
    if _tensors.dtype_name(packed) not in ("int8", "uint8"):
        raise TypeError(
            "unpack_int4() unpacks an int8 or uint8 tensor. Received a "
            f"{_tensors.dtype_name(packed)} tensor."
        )
    moved = torch.movedim(packed, axis, 0).to(torch.int16) & 0xFF
    low, high = moved & 0x0F, (moved >> 4) & 0x0F
    if dtype == "int8":  # nibbles 8..15 are the negative values -8..-1
        low, high = (low ^ 8) - 8, (high ^ 8) - 8
    pairs = torch.stack([low, high], dim=1).reshape(-1, *moved.shape[1:])[:orig_len]
    return torch.movedim(pairs, 0, axis).to(config.to_torch_dtype(dtype))
