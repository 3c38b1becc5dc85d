"""CategoryEncoding: integer category ids -> one-hot, multi-hot or count vectors."""

import numpy as np
import torch

from lamina.layers.layer import Layer
from lamina.layers.preprocessing.categorical import encode_categorical, encoded_shape
from lamina.registry.export import keras_export


@keras_export("layers.CategoryEncoding")
class CategoryEncoding(Layer):
    """Encodes integer features in `[0, num_tokens)`.

    Args:
        num_tokens: number of categories (the output's last axis).
        output_mode: "multi_hot" (default; 1 where a category occurs in the sample's last axis),
            "one_hot" (one vector per id) or "count" (occurrences, optionally weighted by the
            call argument `count_weights`).

    Ids outside `[0, num_tokens)` produce no 1 (as Keras on JAX/torch; TensorFlow raises).

    Example:
        >>> CategoryEncoding(num_tokens=4, output_mode="multi_hot")(np.array([[0, 1], [3, 3]]))
        [[1., 1., 0., 0.], [0., 0., 0., 1.]]
    """
    _accepts_integers = True  # ids: a Sequential fed integers keeps them integers

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(
                "CategoryEncoding: unknown `output_mode`. Expected 'one_hot', 'multi_hot' or "
                f"'count'. Received: output_mode={output_mode!r}"
            )
        if num_tokens is None:
            raise ValueError(
                "CategoryEncoding: `num_tokens` must be set. If the number of categories is "
                "not known beforehand, use an IntegerLookup layer instead."
            )
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError("CategoryEncoding: sparse=True is not supported by lamina.")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = False
        self.built = True

    def call(self, inputs, count_weights=None):
        if not isinstance(inputs, torch.Tensor):  # Python lists, numpy arrays, scalars
            inputs = torch.as_tensor(np.asarray(inputs))
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is only used when output_mode='count'. Received "
                    f"output_mode={self.output_mode!r}."
                )
            if not isinstance(count_weights, torch.Tensor):
                count_weights = np.asarray(count_weights)
            count_weights = torch.as_tensor(count_weights, device=inputs.device,
                                            dtype=self._torch_dtype)
        if inputs.numel() and not torch.compiler.is_compiling():
            # (one host read: an id out of range would otherwise encode as all zeros, silently)
            low, high = int(inputs.min()), int(inputs.max())
            if low < 0 or high >= self.num_tokens:
                raise ValueError(
                    f'CategoryEncoding layer "{self.name}": input values must be in the range '
                    f"0 <= values < num_tokens with num_tokens={self.num_tokens}; received "
                    f"values from {low} to {high}. Raise `num_tokens`, or map the ids first "
                    "(IntegerLookup gives unknown ids an out-of-vocabulary index).")
        return encode_categorical(inputs.long(), self.output_mode, self.num_tokens,
                                  self._torch_dtype, count_weights)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        # Keras leaves `sparse` out; lamina keeps every constructor argument in the config.
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": self.sparse}
