"""R2Score: the coefficient of determination, accumulated over batches.

Per output column it keeps the (weighted) sums of `y`, `y^2`, the squared residuals and the
weights, so `1 - SS_res / SS_tot` of all the data seen can be formed at the end without
storing it.
"""

import torch

from lamina.losses.loss import squeeze_or_expand_to_same_rank, to_tensor
from lamina.metrics.metric import Metric
from lamina.registry.export import keras_export

_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


@keras_export("metrics.R2Score", aliases=("r2_score",))
class R2Score(Metric):
    """R^2 = 1 - (sum of squared residuals) / (total sum of squares), per output column.

    Inputs are `(batch, outputs)` (a `(batch,)` target is treated as one column).

    Args:
        class_aggregation: how the per-column scores are combined: "uniform_average" (mean),
            "variance_weighted_average" (weighted by each column's variance) or None (one
            score per column).
        num_regressors: the number of independent variables; > 0 gives the adjusted R^2
            `1 - (1 - R^2) (n - 1) / (n - p - 1)` (n = number of values seen), which falls
            back to plain R^2 while `p >= n - 1`.
    """

    _direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{_AGGREGATIONS}. Received: class_aggregation={class_aggregation!r}"
            )
        if not isinstance(num_regressors, int) or num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected an integer >= 0. "
                f"Received: num_regressors={num_regressors!r}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs of shape (batch_size, output_dim). Received: "
                f"y_true.shape={tuple(y_true_shape)}, y_pred.shape={tuple(y_pred_shape)}."
            )
        shape = (y_pred_shape[-1],)
        self.squared_sum = self.add_variable(shape, "zeros", name="squared_sum")
        self.sum = self.add_variable(shape, "zeros", name="sum")
        self.total_mse = self.add_variable(shape, "zeros", name="residual")
        self.count = self.add_variable(shape, "zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_tensor(y_pred, self._torch_dtype, self._device)
        y_true = to_tensor(y_true, self._torch_dtype, y_pred.device)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if sample_weight is None:
            weight = torch.ones_like(y_true)
        else:
            weight = to_tensor(sample_weight, self._torch_dtype, y_true.device)
            if weight.dim() == 1:
                weight = weight.unsqueeze(1)  # one weight per sample, over all columns
            weight = torch.broadcast_to(weight, y_true.shape)
        weighted_y_true = y_true * weight
        self.sum.add_(weighted_y_true.sum(dim=0))
        self.squared_sum.add_((y_true * weighted_y_true).sum(dim=0))
        self.total_mse.add_((torch.square(y_true - y_pred) * weight).sum(dim=0))
        self.count.add_(weight.sum(dim=0))
        self.num_samples.add_(y_true.numel())

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._torch_dtype, device=self._device)
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        scores = 1 - self.total_mse / total
        # A constant target (total == 0) with errors gives -inf: reported as 0, as Keras does.
        scores = torch.where(torch.isinf(scores), torch.zeros_like(scores), scores)
        if self.class_aggregation == "uniform_average":
            score = scores.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * scores).sum() / total.sum()
        else:
            score = scores
        if self.num_regressors:
            n, p = self.num_samples, self.num_regressors
            adjusted = 1 - (1 - score) * (n - 1) / (n - p - 1)
            # Chosen on the device (no host check): plain R^2 while p >= n - 1.
            score = torch.where(n - 1 > p, adjusted, score)
        return score

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
