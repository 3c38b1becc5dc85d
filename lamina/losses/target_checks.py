"""`check_targets`: catch labels that do not fit the loss before training starts.

The classic silent failures: ten class labels fed to a one-unit sigmoid with
binary_crossentropy, one-hot labels given to a sparse loss, integer labels given to
categorical_crossentropy, `(N, 10)` targets broadcast against a `(N, 1)` output by `mse`.
The trainer calls this once per `fit` on the whole target array, so it may look at every value
on the host; the per-step losses never pay for it.
"""

import warnings

import numpy as np
import torch

from lamina.losses import crossentropy, margin, probabilistic, regression
from lamina.losses.wrapper import LossFunctionWrapper

_SPARSE = {crossentropy.sparse_categorical_crossentropy}
_CATEGORICAL = {crossentropy.categorical_crossentropy, crossentropy.categorical_focal_crossentropy}
_BINARY = {crossentropy.binary_crossentropy, crossentropy.binary_focal_crossentropy}
_ELEMENTWISE = {
    regression.mean_squared_error, regression.mean_absolute_error,
    regression.mean_absolute_percentage_error, regression.mean_squared_logarithmic_error,
    regression.huber, regression.log_cosh, regression.cosine_similarity,
    margin.hinge, margin.squared_hinge, margin.categorical_hinge,
    probabilistic.poisson, probabilistic.kl_divergence,
}


def check_targets(loss, y_true, y_pred_shape):
    """Raise ValueError, with the fix, if `y_true` cannot be the target of `loss`.

    Args:
        loss: a built-in loss (instance, function or name); custom losses are not checked.
        y_true: the whole target array (numpy, tensor, list).
        y_pred_shape: the model output shape, batch axis first (it may be None).
    """
    fn, kwargs, name = _describe(loss)
    if fn is None:
        return
    y = _to_numpy(y_true)
    if y is None:
        return
    pred_shape = tuple(None if d is None else int(d) for d in y_pred_shape)
    if not pred_shape:
        return
    _check_batch(y.shape, pred_shape, name)
    _check_finite(y, name)
    if fn in _SPARSE:
        _check_sparse(y, pred_shape, name, kwargs.get("ignore_class"), kwargs.get("axis", -1))
    elif fn in _CATEGORICAL:
        _check_categorical(y, pred_shape, name)
    elif fn in _BINARY:
        _check_binary(y, pred_shape, name)
    else:
        _check_elementwise(y.shape, pred_shape, name)


def _describe(loss):
    given_name = loss if isinstance(loss, str) else None
    if isinstance(loss, str):
        from lamina import losses

        try:
            loss = losses.get(loss)
        except ValueError:
            return None, {}, None
    if isinstance(loss, LossFunctionWrapper):
        fn, kwargs, name = loss.fn, loss._fn_kwargs, loss.name
    else:
        fn, kwargs, name = loss, {}, given_name or getattr(loss, "__name__", None)
    if fn in _SPARSE | _CATEGORICAL | _BINARY | _ELEMENTWISE:
        return fn, kwargs, name
    return None, {}, None


def _to_numpy(y):
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    try:
        y = np.asarray(y)
    except (TypeError, ValueError):
        return None
    if y.dtype == bool:
        return y.astype(np.int64)
    if not np.issubdtype(y.dtype, np.number) or y.ndim == 0:
        return None
    return y


def _shape(shape):
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def _compatible(a, b):
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _after_rank_rule(t, p):
    """The shapes the loss will actually compare, after the (N,) vs (N, 1) adjustment."""
    if len(t) == len(p) + 1 and t[-1] == 1:
        return (t, p + (1,)) if len(p) == 1 else (t[:-1], p)
    if len(p) == len(t) + 1 and p[-1] == 1:
        return (t + (1,), p) if len(t) == 1 else (t, p[:-1])
    return t, p


def _check_batch(t, p, name):
    if p[0] is not None and t[0] != p[0]:
        raise ValueError(
            f"Loss '{name}': the targets have {t[0]} samples but the model output has batch "
            f"size {p[0]} (y.shape={_shape(t)}, output shape={_shape(p)}). Pass one target "
            "per input sample."
        )


def _check_finite(y, name):
    if np.issubdtype(y.dtype, np.floating):
        bad = ~np.isfinite(y)
        if bad.any():
            raise ValueError(
                f"Loss '{name}': the targets contain {int(bad.sum())} NaN or infinite values; "
                "every loss value touching them would be NaN. Drop or fill those rows first "
                "(e.g. np.nan_to_num or pandas dropna)."
            )


def _shape_mismatch(t, p, name, hint=""):
    return ValueError(
        f"Loss '{name}' compares targets with the model output element by element, but "
        f"y.shape={_shape(t)} does not match the output shape {_shape(p)}"
        + (" (the sequence lengths differ)" if len(t) == len(p) and len(t) > 2
           and t[1] != p[1] and p[1] is not None else "")
        + f".{hint}"
    )


def _is_integer_valued(y):
    return np.issubdtype(y.dtype, np.integer) or bool(np.all(np.mod(y, 1) == 0))


def _check_elementwise(t, p, name):
    t2, p2 = _after_rank_rule(t, p)
    if _compatible(t2[1:], p2[1:]):
        return
    hint = ""
    if p[-1] not in (None, 1) and (len(t) == len(p) - 1 or t[-1] == 1):
        hint = (f" If y holds class ids for {p[-1]} classes, use "
                "loss='sparse_categorical_crossentropy' with a softmax output.")
    elif p[-1] == 1 and len(t) == len(p) and t[-1] not in (None, 1):
        hint = f" Make the last layer output {t[-1]} units to predict all {t[-1]} target columns."
    _mismatch_or_broadcast(t, p, t2, p2, name, hint)


def _mismatch_or_broadcast(t, p, t2, p2, name, hint=""):
    """Shapes that broadcast are valid Keras (it compares y (N,) against every unit of an
    (N, k) output): say so, since it is rarely meant, but train. Others cannot run at all."""
    if len(t2) == len(p2) - 1:
        t2 = tuple(t2) + (1,)  # Keras expands y (N,) to (N, 1) before comparing
    if len(t2) == len(p2) and all(a is None or b is None or a == b or a == 1 or b == 1
                                  for a, b in zip(t2[1:], p2[1:])):
        warnings.warn(str(_shape_mismatch(t, p, name, hint)).replace(
            "does not match", "is broadcast against") + " (Keras allows it: it trains, but "
            "each target is compared with every output unit.)", UserWarning, stacklevel=6)
        return
    raise _shape_mismatch(t, p, name, hint)


def _check_binary(y, p, name):
    t = y.shape
    t2, p2 = _after_rank_rule(t, p)
    if not _compatible(t2[1:], p2[1:]):
        units = p[-1]
        if units not in (None, 1) and (len(t) == len(p) - 1 or t[-1] == 1):
            raise _shape_mismatch(t, p, name, (
                f" y has one label per sample but the model outputs {units} units: for integer "
                f"class labels use loss='sparse_categorical_crossentropy' with a softmax "
                "output; for a yes/no target use a final Dense(1, activation='sigmoid')."))
        if units == 1 and len(t) == len(p) and t[-1] not in (None, 1):
            raise _shape_mismatch(t, p, name, (
                f" y has {t[-1]} columns (one-hot?) but the model outputs 1 unit: use a final "
                f"Dense({t[-1]}, activation='softmax') with loss='categorical_crossentropy'."))
        _mismatch_or_broadcast(t, p, t2, p2, name)
    low, high = y.min(), y.max()
    if low >= 0 and high <= 1:
        return
    if _is_integer_valued(y) and low >= 0 and p[-1] in (1, None):
        classes = int(high) + 1
        raise ValueError(
            f"Loss '{name}' expects labels in [0, 1], but y contains integer labels up to "
            f"{int(high)}: that looks like {classes} classes fed to a single output unit. For "
            f"{classes} classes use a final Dense({classes}, activation='softmax') and "
            "loss='sparse_categorical_crossentropy' (or one-hot labels with "
            "'categorical_crossentropy')."
        )
    if set(np.unique(y)) <= {-1, 1}:
        raise ValueError(
            f"Loss '{name}' expects labels 0/1, but y contains -1/1 labels. Convert them with "
            "y = (y + 1) / 2, or use loss='hinge' which takes -1/1 labels."
        )
    raise ValueError(
        f"Loss '{name}' expects labels (probabilities) in [0, 1], but y ranges from {low:g} "
        f"to {high:g}. Scale the targets into [0, 1], or use a regression loss such as 'mse'."
    )


def _check_categorical(y, p, name):
    t, classes = y.shape, p[-1]
    if classes == 1:
        raise ValueError(
            f"Loss '{name}' on a model with 1 output unit is always 0, so nothing would be "
            "learned. For two classes use a final Dense(1, activation='sigmoid') with "
            "loss='binary_crossentropy'; for k classes use Dense(k, activation='softmax')."
        )
    if len(t) == len(p) - 1 or (len(t) == len(p) and t[-1] == 1 and classes != 1):
        if _is_integer_valued(y):
            count = classes if classes is not None else int(y.max()) + 1
            raise ValueError(
                f"Loss '{name}' expects one-hot labels of shape (batch, {count}), but y has "
                f"shape {_shape(t)} with integer class ids. Use "
                "loss='sparse_categorical_crossentropy', or convert the labels with "
                f"keras.utils.to_categorical(y, {count})."
            )
        raise _shape_mismatch(t, p, name)
    if not _compatible(t[1:], p[1:]):
        if len(t) == len(p) and classes is not None and t[-1] != classes:
            raise ValueError(
                f"Loss '{name}': y has {t[-1]} columns (one-hot labels for {t[-1]} classes) but "
                f"the model outputs {classes} units. Make the last layer "
                f"Dense({t[-1]}, activation='softmax')."
            )
        raise _shape_mismatch(t, p, name)
    if y.min() < 0 or y.max() > 1:
        raise ValueError(
            f"Loss '{name}' expects one-hot (or probability) labels in [0, 1], but y ranges "
            f"from {y.min():g} to {y.max():g}."
        )


def _check_sparse(y, p, name, ignore_class, axis):
    t = y.shape
    class_axis = axis % len(p)
    classes = p[class_axis]
    expected = p[:class_axis] + p[class_axis + 1:]
    labels_shape = t[:-1] if len(t) == len(p) and t[axis] == 1 else t
    if not _compatible(labels_shape[1:], expected[1:]):
        if len(t) == len(p) and classes not in (None, 1) and t[axis] == classes:
            raise ValueError(
                f"Loss '{name}' expects integer class ids of shape {_shape(expected)}, but y has "
                f"shape {_shape(t)}: it looks one-hot encoded. Use "
                "loss='categorical_crossentropy', or pass integer labels "
                "(y.argmax(axis=-1))."
            )
        raise ValueError(
            f"Loss '{name}' expects integer class ids of shape {_shape(expected)} (the output "
            f"shape {_shape(p)} without its class axis), but y has shape {_shape(t)}"
            + (" (the sequence lengths differ)." if len(labels_shape) == len(expected) else ".")
        )
    labels = y if ignore_class is None else y[y != ignore_class]
    if labels.size == 0:
        return
    if not _is_integer_valued(labels):
        raise ValueError(
            f"Loss '{name}' expects integer class ids, but y contains non-integer values such "
            f"as {labels[np.mod(labels, 1) != 0].flat[0]:g}. For probabilities or one-hot "
            "labels use loss='categorical_crossentropy'."
        )
    low, high = int(labels.min()), int(labels.max())
    if low < 0:
        raise ValueError(
            f"Loss '{name}' expects class ids in [0, {classes}), but y contains {low}. If "
            f"{low} marks padding, pass SparseCategoricalCrossentropy(ignore_class={low})."
        )
    if classes is not None and high >= classes:
        if classes == 1:
            raise ValueError(
                f"Loss '{name}' got labels up to {high} but the model has a single output unit. "
                "For 0/1 labels use a final Dense(1, activation='sigmoid') with "
                f"loss='binary_crossentropy', or Dense({high + 1}, activation='softmax')."
            )
        raise ValueError(
            f"Loss '{name}': y contains class id {high} but the model outputs only {classes} "
            f"units (ids 0..{classes - 1}). Make the last layer Dense({high + 1}) to cover "
            f"{high + 1} classes, or fix the labels."
        )
