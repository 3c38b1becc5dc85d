"""HashedCrossing: cross categorical features with the hashing trick.

The bin of a row is TensorFlow's `sparse.cross_hashed` of its features, which Keras uses:
starting from a fixed key, each feature's 64-bit value is folded in with FarmHash's
`FingerprintCat64`, and the result is taken modulo `num_bins`. A feature's value is FarmHash
Fingerprint64 of its UTF-8 bytes for strings, and the integer itself for integers. Numbers
are therefore Keras's own (checked against TensorFlow's published test values).

Hashing runs on the host, one row at a time (it is string work); the bins are put back on the
inputs' device.
"""

import numpy as np
import torch

from lamina.layers.layer import Layer
from lamina.layers.preprocessing.string_hashing import fingerprint64
from lamina.layers.preprocessing.string_inputs import is_string_data, to_host_array
from lamina.registry.export import keras_export
from lamina.symbolic import keras_tensor as kt

_MASK64 = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995  # FingerprintCat64's multiplier
_DEFAULT_HASH_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default key


def _shift_mix(value):
    return value ^ (value >> 47)


def fingerprint_cat64(first, second):
    """FarmHash's combination of two 64-bit fingerprints into one (unsigned 64-bit)."""
    result = first ^ _MUL
    result ^= (_shift_mix((second * _MUL) & _MASK64) * _MUL) & _MASK64
    result = (result * _MUL) & _MASK64
    result = (_shift_mix(result) * _MUL) & _MASK64
    return _shift_mix(result)


def cross_hash(features, num_bins, key=_DEFAULT_HASH_KEY):
    """The bin of one crossed row: `features` are str/bytes or ints, in order."""
    hashed = key
    for feature in features:
        if isinstance(feature, (str, bytes)):
            data = feature.encode("utf-8") if isinstance(feature, str) else feature
            value = fingerprint64(data)
        else:
            value = int(feature) & _MASK64  # an int64 read as uint64, as TensorFlow does
        hashed = fingerprint_cat64(hashed, value)
    return hashed % num_bins


@keras_export("layers.HashedCrossing")
class HashedCrossing(Layer):
    """Crosses scalar categorical features into `num_bins` bins with the hashing trick:
    `hash(concatenate(features)) % num_bins`.

    Each input is one feature: integers or strings of shape `()`, `(batch,)` or `(batch, 1)`,
    all of the same shape.

    Args:
        num_bins: number of hash bins.
        output_mode: "int" (the bin ids, int64 by default) or "one_hot" (float vectors of
            length `num_bins`).
        sparse: must be False (sparse outputs need TensorFlow).

    Example:
        layer = HashedCrossing(num_bins=5)
        layer((np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])))
        # -> [1, 4, 1, 1, 3]
    """

    _passes_strings = True  # models hand their text inputs to it untouched
    _accepts_integers = True

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError(
                "HashedCrossing(sparse=True) needs TensorFlow's sparse tensors, which lamina "
                "does not have. Use sparse=False."
            )
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Invalid value for argument `output_mode` of HashedCrossing: expected 'int' or "
                f"'one_hot'. Received: output_mode={output_mode!r}"
            )
        if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins <= 0:
            raise ValueError(
                f"HashedCrossing needs `num_bins` as a positive integer. Received: "
                f"num_bins={num_bins!r}"
            )
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse
        self.autocast = False
        self.built = True

    def _call_pipeline(self, inputs, *args, **kwargs):
        if isinstance(inputs, (list, tuple)) and any(isinstance(x, kt.KerasTensor)
                                                     for x in inputs):
            return super()._call_pipeline(inputs, *args, **kwargs)
        # Strings cannot become tensors: run `call` directly (through torch's Module.__call__,
        # so hooks still fire).
        kwargs.pop("training", None)
        return torch.nn.Module.__call__(self, inputs, *args, **kwargs)

    def call(self, inputs):
        features = self._checked_features(inputs)
        device = next((x.device for x in inputs if isinstance(x, torch.Tensor)), None)
        shape = features[0].shape
        columns = [np.ravel(feature).tolist() for feature in features]
        bins = [cross_hash(row, self.num_bins) for row in zip(*columns)]
        bins = torch.as_tensor(np.asarray(bins, dtype=np.int64).reshape(shape), device=device)
        if self.output_mode == "int":
            return bins.to(self._torch_dtype)
        if bins.ndim > 0 and bins.shape[-1] == 1:
            bins = bins.squeeze(-1)
        classes = torch.arange(self.num_bins, device=bins.device)
        return (bins.unsqueeze(-1) == classes).to(self._torch_dtype)

    def _checked_features(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                "HashedCrossing is called on a list or tuple of features, e.g. "
                f"layer((feature_a, feature_b)). Received: inputs={inputs!r}"
            )
        if len(inputs) < 2:
            raise ValueError(
                "HashedCrossing crosses at least two features. Received "
                f"{len(inputs)} input(s): {inputs!r}"
            )
        features = []
        for index, feature in enumerate(inputs):
            array = to_host_array(feature)
            if is_string_data(array):
                array = array.astype(object)
            elif array.dtype.kind not in "iu":
                raise ValueError(
                    "All HashedCrossing inputs must hold integers or strings. Received input "
                    f"{index} with dtype {array.dtype}."
                )
            features.append(array)
        shape = features[0].shape
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(
                "All HashedCrossing inputs must have shape (), (batch_size,) or (batch_size, 1). "
                f"Received shape {shape}."
            )
        if any(feature.shape != shape for feature in features[1:]):
            raise ValueError(
                "All HashedCrossing inputs must have the same shape. Received shapes "
                f"{[feature.shape for feature in features]}."
            )
        return features

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2 or not all(
                isinstance(shape, (list, tuple)) for shape in input_shape):
            raise ValueError(
                "HashedCrossing expects a list or tuple of at least 2 input shapes. Received: "
                f"input_shape={input_shape}"
            )
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        if shape and shape[-1] == 1:
            shape = shape[:-1]
        return shape + (self.num_bins,)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}
