"""The `Loss` base class and the reduction that turns per-sample losses into one number.

A subclass implements `call(y_true, y_pred)` returning one loss per sample (the loss functions
already average their last axis). `__call__` converts the inputs, calls `call`, applies
`sample_weight` and any mask, then reduces. Keras's rule, kept here on purpose: with
`reduction="sum_over_batch_size"` the divisor is the number of loss entries *even when sample
weights are given*; only `"mean_with_sample_weight"` divides by the sum of the weights.
"""

import inspect

import torch

from lamina import config
from lamina.registry.export import keras_export
from lamina.utils import naming
from lamina.utils.arguments import check_kwargs, warn_deprecated

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


@keras_export("losses.Loss", "Loss")
class Loss:
    """Base class of losses.

    Args:
        name: name of the loss (shown in logs when compiled).
        reduction: "sum_over_batch_size" (default; "mean" is the same), "sum",
            "mean_with_sample_weight" (divide by the sum of sample weights) or "none"/None
            (return the per-sample losses).
        dtype: float type the loss is computed in; defaults to `lamina.config.floatx()`, so
            float16 model outputs are scored in float32.

    Example:
        class Squared(Loss):
            def call(self, y_true, y_pred):
                return ((y_pred - y_true) ** 2).mean(dim=-1)
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or naming.unique_name(naming.to_snake_case(type(self).__name__))
        self.reduction = standardize_reduction(reduction)
        self._dtype_argument = dtype
        self._dtype = config.dtype_name(dtype)
        self._torch_dtype = config.to_torch_dtype(self._dtype)

    @property
    def dtype(self):
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        y_pred = to_tensor(y_pred, self._torch_dtype)
        y_true = to_tensor(y_true, device=y_pred.device)
        if y_true.is_floating_point() and y_true.dtype != y_pred.dtype:
            y_true = y_true.to(y_pred.dtype)  # integer labels stay exact for sparse losses
        losses = self.call(y_true, y_pred)
        mask = combine_masks(getattr(y_pred, "_keras_mask", None),
                             getattr(losses, "_keras_mask", None))
        return reduce_weighted_values(losses, sample_weight, mask, self.reduction,
                                      self._torch_dtype)

    def call(self, y_true, y_pred):
        raise NotImplementedError(
            f"{type(self).__name__} must implement call(y_true, y_pred), returning one loss "
            "per sample."
        )

    def get_config(self):
        config = {"name": self.name, "reduction": self.reduction}
        if self._dtype_argument is not None:  # Keras drops it; keep an explicit choice
            config["dtype"] = self._dtype
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def standardize_reduction(reduction):
    if reduction == "auto":  # Keras 2's default, meaning the batch mean
        warn_deprecated("reduction='auto'", "reduction='sum_over_batch_size'", "Loss", stacklevel=4)
        return "sum_over_batch_size"
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid reduction={reduction!r}. Expected one of {list(REDUCTIONS)}: "
            "'sum_over_batch_size' for the usual mean loss."
        )
    return reduction


def to_tensor(x, dtype=None, device=None):
    """A torch tensor of `x` (numpy, list, number or tensor) without copying when it already is one.

    `dtype=None` keeps integer labels integer (sparse losses need them exact); floats are only
    cast when a dtype is asked for.
    """
    if isinstance(x, torch.Tensor):
        if device is not None and x.device != device:
            x = x.to(device, non_blocking=True)
        if dtype is not None and x.dtype != dtype:
            x = x.to(dtype)
        return x
    x = torch.as_tensor(x, device=device)
    if dtype is not None and x.dtype != dtype:
        x = x.to(dtype)
    return x


def float_pair(y_true, y_pred):
    """Tensors for a loss function: `y_pred` floating, `y_true` cast to it, on its device.

    Non-tensor predictions (lists, numpy's float64 by default) become floatx tensors.
    """
    if not isinstance(y_pred, torch.Tensor) or not y_pred.is_floating_point():
        y_pred = to_tensor(y_pred, config.to_torch_dtype(None))
    y_true = to_tensor(y_true, y_pred.dtype, y_pred.device)
    return y_true, y_pred


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Make ranks agree when they differ by one trailing axis of size 1: (N,) vs (N, 1).

    A rank-1 tensor is expanded to (N, 1) rather than the other squeezed (Keras's rule), so
    losses over a single output unit keep one value per sample.
    """
    rank1, rank2 = x1.dim(), x2.dim()
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def combine_masks(first, second):
    if first is None:
        return second
    if second is None:
        return first
    return first & second


def apply_mask(sample_weight, mask, dtype, reduction):
    """Fold a boolean mask into the sample weights.

    For mean-type reductions masked entries get 0 and valid ones `total / valid`, so the
    count-based divisor ends up averaging over the valid entries only.
    """
    if mask is None:
        return sample_weight
    mask = mask.to(torch.bool)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = mask.sum().to(dtype)
        scale = torch.where(valid > 0, mask.numel() / valid.clamp(min=1), 0.0)
        mask_weight = torch.where(mask, scale, 0.0).to(dtype)
    else:
        mask_weight = mask.to(dtype)
    if sample_weight is None:
        return mask_weight
    mask_weight, sample_weight = squeeze_or_expand_to_same_rank(mask_weight, sample_weight)
    return sample_weight * mask_weight


def match_weight_rank(values, sample_weight):
    """Shape `sample_weight` to multiply `values`: (N,)/(N, 1) weights on (N,) or (N, T) losses."""
    values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
    extra = values.dim() - sample_weight.dim()
    if extra > 0 and tuple(sample_weight.shape) == tuple(values.shape[: sample_weight.dim()]):
        # Per-sample weights on per-timestep losses: broadcast along the trailing axes.
        sample_weight = sample_weight.reshape(sample_weight.shape + (1,) * extra)
    return values, sample_weight


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None):
    values = to_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = to_tensor(sample_weight, values.dtype, values.device)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        given = tuple(sample_weight.shape)
        values, sample_weight = match_weight_rank(values, sample_weight.to(values.dtype))
        try:  # shapes only: no work on the device
            fits = torch.broadcast_shapes(values.shape, sample_weight.shape) == values.shape
        except RuntimeError:
            fits = False
        if not fits:
            per = "one per sample" + (", per time step" if values.dim() > 1 else "")
            raise ValueError(
                f"`sample_weight` of shape {given} does not fit the losses of shape "
                f"{tuple(values.shape)} ({per}). Give one weight per sample: an array of shape "
                f"({values.shape[0]},)."
            )
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    if reduction in (None, "none") or values.dim() == 0 or tuple(values.shape) == (0,):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = sample_weight.expand_as(values).sum().to(total.dtype)
        return torch.where(divisor == 0, torch.zeros_like(total), total / divisor)
    count = values.numel()
    return total / count if count else total * 0


def check_function_kwargs(fn, kwargs, where, what="loss"):
    """Reject keywords `fn` cannot take, and a function that cannot be called as
    `fn(y_true, y_pred, **kwargs)`, now rather than at the first training step."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a signature: let the call decide
        return
    parameters = signature.parameters
    if kwargs and not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        check_kwargs(kwargs, [name for name in parameters if name not in ("y_true", "y_pred")],
                     where)
    try:
        signature.bind(None, None, **kwargs)
    except TypeError:
        name = getattr(fn, "__name__", type(fn).__name__)
        raise TypeError(
            f"{where}: a {what} function is called as fn(y_true, y_pred) (labels, then the model's "
            f"predictions) and must return one value per sample, but its signature is "
            f"{name}{signature}. Give it the arguments (y_true, y_pred)."
        ) from None
