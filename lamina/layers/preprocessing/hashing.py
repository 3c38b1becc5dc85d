"""Hashing: map strings or integers to a fixed number of bins with a stable hash."""

import numpy as np
import torch

from lamina import config
from lamina.layers.preprocessing.categorical import encode_categorical, encoded_shape
from lamina.layers.preprocessing.string_hashing import hash_bucket
from lamina.layers.preprocessing.string_inputs import HostInputLayer, is_string_data, \
    to_host_array, to_string_array
from lamina.registry.export import keras_export


@keras_export("layers.Hashing")
class Hashing(HostInputLayer):
    """Hashes each value into one of `num_bins` bins.

    Bins are the same as Keras's: strings (and integers, through their decimal text; floats are
    truncated to integers first) are hashed with FarmHash Fingerprint64, or with SipHash-2-4
    keyed by `salt` when one is given, exactly as TensorFlow's `to_hash_bucket_fast` /
    `to_hash_bucket_strong` do. Hashing runs on the host (it is string work), so tensor inputs
    are copied to the CPU; the output is put back on the input's device.

    Args:
        num_bins: number of bins, including the mask bin if `mask_value` is set.
        mask_value: values equal to it go to bin 0 and the others to bins 1..num_bins-1.
        salt: an int or a pair of ints keying the hash.
        output_mode: "int" (default, int64 bin ids), "one_hot", "multi_hot" or "count".
    """
    _accepts_integers = True  # ids: a Sequential fed integers keeps them integers

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else config.floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                f"Received: num_bins={num_bins}."
            )
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of ('int', 'one_hot', "
                f"'multi_hot', 'count'). Received: output_mode={output_mode!r}"
            )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                "When `output_mode='int'`, `dtype` should be an integer type, 'int32' or "
                f"'int64'. Received: dtype={self.dtype}"
            )
        if sparse:
            raise ValueError("Hashing: sparse=True is not supported by lamina.")
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = salt
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = False
        self.autocast = False
        self.built = True

    def call(self, inputs):
        device = inputs.device if isinstance(inputs, torch.Tensor) else None
        values = to_host_array(inputs)
        if values.dtype.kind == "f":
            values = values.astype(np.int64)  # as Keras: floats hash as their integer part
        bins = torch.as_tensor(self._hash_array(values), device=device)
        if self.output_mode == "one_hot" and bins.ndim > 0 and bins.shape[-1] == 1:
            bins = bins.squeeze(-1)
        return encode_categorical(bins, self.output_mode, self.num_bins, self._torch_dtype)

    def _hash_array(self, values):
        texts = to_string_array(values) if is_string_data(values) else values.astype(str)
        bins = self.num_bins
        masked = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            masked = values == (self.mask_value if is_string_data(values)
                                else np.asarray(self.mask_value).astype(values.dtype))
        flat = [hash_bucket(t, bins, self.salt) for t in np.ravel(texts)]
        result = np.asarray(flat, dtype=np.int64).reshape(np.shape(texts))
        if masked is not None:
            result = np.where(masked, 0, result + 1)
        return result

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_bins)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}
