"""`fit_generator`, `evaluate_generator` and `predict_generator`: Keras 1/2 methods that old
tutorials call with their own positional order and argument names.

Keras 2 ordered them `fit_generator(generator, steps_per_epoch, epochs, ...)`, unlike `fit`
(whose second argument is `y`), and Keras 1 counted samples, not batches
(`samples_per_epoch`, `nb_val_samples`, `val_samples`). Here each call is translated to the
Keras 3 call, warning once per old spelling; a sample count becomes a number of batches when
the generator says its batch size (ImageDataGenerator's iterators and PyDatasets do).
"""

import math
import warnings

from lamina.utils.arguments import warn_deprecated, user_stacklevel

_FIT_ORDER = ("steps_per_epoch", "epochs", "verbose", "callbacks", "validation_data",
              "validation_steps", "validation_freq", "class_weight", "max_queue_size", "workers",
              "use_multiprocessing", "shuffle", "initial_epoch")
_EVALUATE_ORDER = ("steps", "callbacks", "max_queue_size", "workers", "use_multiprocessing",
                   "verbose")
_RENAMES = {"nb_epoch": "epochs", "nb_worker": "workers", "pickle_safe": "use_multiprocessing",
            "max_q_size": "max_queue_size"}
_LOADING = ("max_queue_size", "workers", "use_multiprocessing")


def fit_arguments(generator, args, kwargs):
    """The keyword arguments of the `fit(generator, ...)` call that `fit_generator` means."""
    kwargs = _named(args, kwargs, _FIT_ORDER, "fit_generator()")
    if "samples_per_epoch" in kwargs:
        kwargs["steps_per_epoch"] = _batches(kwargs.pop("samples_per_epoch"), generator,
                                             "samples_per_epoch", "steps_per_epoch")
    if "nb_val_samples" in kwargs:
        kwargs["validation_steps"] = _batches(kwargs.pop("nb_val_samples"),
                                              kwargs.get("validation_data"), "nb_val_samples",
                                              "validation_steps")
    return kwargs


def evaluate_arguments(generator, args, kwargs, method):
    """The keyword arguments of `evaluate`/`predict(generator, ...)` for the *_generator call
    (Keras 2 defaulted these two to verbose=0; fit_generator to 1)."""
    kwargs = _named(args, kwargs, _EVALUATE_ORDER, f"{method}()")
    if "val_samples" in kwargs:
        kwargs["steps"] = _batches(kwargs.pop("val_samples"), generator, "val_samples", "steps")
    kwargs.setdefault("verbose", 0)
    for key in _LOADING:  # (evaluate/predict take no loading options in Keras 3)
        if key in kwargs:
            kwargs.pop(key)
            warn_deprecated(f"{method}({key}=...)", f"PyDataset(..., {key}=...)", "Model", 4)
    return kwargs


def _named(args, kwargs, order, where):
    if len(args) > len(order):
        raise TypeError(f"Model.{where} takes at most {len(order) + 1} positional arguments "
                        f"(generator, {', '.join(order)}); received {len(args) + 1}.")
    named = dict(zip(order, args))
    for key, value in kwargs.items():
        key = _renamed(key, where)
        if key in named:
            raise TypeError(f"Model.{where} got two values for `{key}` (one positional).")
        named[key] = value
    return named


def _renamed(key, where):
    if key in _RENAMES:
        warn_deprecated(key, _RENAMES[key], f"Model.{where}", 5)
        return _RENAMES[key]
    return key


def _batches(samples, generator, old, new):
    """Keras 1 counted samples per epoch where Keras 2 and 3 count batches."""
    batch_size = getattr(generator, "batch_size", None)
    if isinstance(batch_size, int) and batch_size > 0:
        steps = math.ceil(samples / batch_size)
        warn_deprecated(old, f"`{new}={steps}` (batches, not samples: {samples} samples in "
                        f"batches of {batch_size})", "Model", 5)
        return steps
    warnings.warn(f"Model: `{old}={samples}` is Keras 1 and counted samples; Keras 3's `{new}` "
                  f"counts batches, and this generator does not say its batch size. Using "
                  f"{new}={samples}: pass `{new}=samples // batch_size` instead.",
                  DeprecationWarning, stacklevel=user_stacklevel())
    return samples
