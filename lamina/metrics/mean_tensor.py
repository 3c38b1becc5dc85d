"""MeanTensor (Keras 2): the element-wise mean of tensors of a fixed shape over updates."""

import torch

from lamina.losses.loss import match_weight_rank, to_tensor
from lamina.metrics.metric import Metric
from lamina.registry.export import keras_export


@keras_export("metrics.MeanTensor", aliases=("mean_tensor",))
class MeanTensor(Metric):
    """Element-wise (weighted) running mean: updating with `[1, 2]` then `[3, 6]` gives `[2, 4]`.

    Unlike `Mean`, values are not reduced: every update must have the same shape, fixed by
    `shape` or by the first update.

    Args:
        shape: the shape of the values, or None to take it from the first update.
    """

    def __init__(self, name="mean_tensor", dtype=None, shape=None):
        super().__init__(name=name, dtype=dtype)
        self._shape = None
        if shape is not None:
            self._build(tuple(shape))

    @property
    def shape(self):
        return self._shape

    def _build(self, shape):
        self._shape = tuple(int(d) for d in shape)
        self.total = self.add_variable(self._shape, "zeros", name="total")
        self.count = self.add_variable(self._shape, "zeros", name="count")

    def update_state(self, values, sample_weight=None):
        values = to_tensor(values, self._torch_dtype, self._device)
        if self._shape is None:
            self._build(values.shape)
        elif tuple(values.shape) != self._shape:
            raise ValueError(
                "MeanTensor input values must always have the same shape. Expected shape (set "
                f"by the first update or `shape=`): {self._shape}. Received: "
                f"{tuple(values.shape)}."
            )
        counts = torch.ones_like(values)
        if sample_weight is not None:
            sample_weight = to_tensor(sample_weight, self._torch_dtype, values.device)
            values, sample_weight = match_weight_rank(values, sample_weight)
            sample_weight = torch.broadcast_to(sample_weight, values.shape)
            counts = counts * sample_weight
            values = values * sample_weight
        self.total.add_(values)
        self.count.add_(counts)

    def result(self):
        if self._shape is None:
            raise ValueError(
                "MeanTensor does not have any value yet: call update_state(values) (or the "
                "metric itself) before result()."
            )
        safe = torch.where(self.count == 0, torch.ones_like(self.count), self.count)
        return torch.where(self.count == 0, torch.zeros_like(self.total), self.total / safe)

    def reset_state(self):
        if self._shape is not None:
            super().reset_state()

    def get_config(self):
        return {**super().get_config(), "shape": None if self._shape is None else list(self._shape)}
