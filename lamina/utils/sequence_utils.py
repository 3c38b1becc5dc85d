"""`pad_sequences`: a list of variable-length sequences -> one padded numpy array."""

import numpy as np
from lamina.registry.export import keras_export


@keras_export("utils.pad_sequences")
def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pad (or cut) each sequence to `maxlen` items (the longest one when None).

    `padding` / `truncating` say at which end ("pre": the start, "post": the end) `value` is
    added or items are dropped. Items may themselves be arrays: every non-empty sequence must
    have the same item shape. Returns a numpy array of shape `(len(sequences), maxlen, ...)`.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    if padding not in ("pre", "post"):
        raise ValueError(f'Padding type "{padding}" not understood: use "pre" or "post".')
    if truncating not in ("pre", "post"):
        raise ValueError(f'Truncating type "{truncating}" not understood: use "pre" or "post".')
    lengths, item_shape = [], None
    for sequence in sequences:
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(
                f"`sequences` must be a list of iterables. Found non-iterable: {sequence}"
            ) from None
        if item_shape is None and len(sequence):
            item_shape = np.asarray(sequence).shape[1:]
    item_shape = item_shape or ()
    if maxlen is None:
        if not lengths:
            raise ValueError("Cannot infer `maxlen` from an empty list of sequences: pass maxlen.")
        maxlen = max(lengths)
    maxlen = int(maxlen)
    if maxlen < 0:
        raise ValueError(f"`maxlen` must be >= 0; got {maxlen}.")
    text_dtype = dtype is not object and np.issubdtype(dtype, np.str_) or (
        dtype is not object and np.issubdtype(dtype, np.bytes_))
    if isinstance(value, str) and dtype is not object and not text_dtype:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
            "You should set `dtype=object` for variable length strings."
        )
    result = np.full((len(lengths), maxlen) + tuple(item_shape), value, dtype=dtype)
    for index, sequence in enumerate(sequences):
        if not len(sequence) or maxlen == 0:
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(item_shape):
            raise ValueError(
                f"Shape of sample {kept.shape[1:]} of sequence at position {index} is different "
                f"from expected shape {tuple(item_shape)}"
            )
        if padding == "post":
            result[index, :len(kept)] = kept
        else:
            result[index, maxlen - len(kept):] = kept
    return result
