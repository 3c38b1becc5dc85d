"""The arguments of fit / evaluate / predict, checked before any data is touched.

Keras 3 lets many wrong values through (`batch_size=0` trains, `epochs="5"` fails deep inside
with "'str' object cannot be interpreted as an integer", `validation_freq=0` divides by zero);
here each one raises a ValueError or TypeError that names the argument, the value received and
what is allowed.
"""

import numbers


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _integer(value, argument, where, minimum, optional=True, meaning=""):
    if value is None and optional:
        return
    if not _is_int(value):
        raise TypeError(f"{where}: `{argument}` must be an integer{' or None' if optional else ''}"
                        f"{meaning}. Received: {argument}={value!r} ({type(value).__name__}).")
    if value < minimum:
        allowed = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{where}: `{argument}` must be {allowed}{meaning}. "
                         f"Received: {argument}={value!r}.")


def check_verbose(verbose, where):
    if verbose == "auto" or (_is_int(verbose) and verbose in (0, 1, 2)):
        return
    raise ValueError(f"{where}: `verbose` must be 'auto', 0 (silent), 1 (progress bar) or 2 (one "
                     f"line per epoch). Received: verbose={verbose!r}.")


def check_fit_arguments(batch_size, epochs, verbose, shuffle, initial_epoch, steps_per_epoch,
                        validation_steps, validation_batch_size, validation_freq,
                        validation_split=0.0, class_weight=None):
    where = "Model.fit()"
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real):
        raise TypeError(f"{where}: `validation_split` must be a float in [0, 1): the fraction of "
                        f"the data kept for validation. Received: validation_split="
                        f"{validation_split!r}.")
    check_class_weight(class_weight, where)
    _integer(batch_size, "batch_size", where, 1, meaning=" (samples per step)")
    _integer(epochs, "epochs", where, 0, optional=False)
    check_verbose(verbose, where)
    if not (isinstance(shuffle, bool) or shuffle == "batch"):
        raise TypeError(f"{where}: `shuffle` must be True, False or 'batch'. "
                        f"Received: shuffle={shuffle!r}.")
    _integer(initial_epoch, "initial_epoch", where, 0, optional=False)
    if initial_epoch > epochs:
        raise ValueError(f"{where}: `initial_epoch` ({initial_epoch}) is past `epochs` ({epochs}):"
                         " `epochs` is the index of the last epoch, not a count of new ones.")
    _integer(steps_per_epoch, "steps_per_epoch", where, 1)
    _integer(validation_steps, "validation_steps", where, 1)
    _integer(validation_batch_size, "validation_batch_size", where, 1)
    frequencies = validation_freq if isinstance(validation_freq, (list, tuple, set, range)) \
        else [validation_freq]
    for frequency in frequencies:
        if not _is_int(frequency) or frequency < 1:
            raise ValueError(f"{where}: `validation_freq` must be a positive integer (validate "
                             "every n epochs) or a list of epoch numbers (1 = the first). "
                             f"Received: validation_freq={validation_freq!r}.")


def check_evaluate_arguments(batch_size, verbose, steps, return_dict):
    where = "Model.evaluate()"
    _integer(batch_size, "batch_size", where, 1, meaning=" (samples per step)")
    check_verbose(verbose, where)
    _integer(steps, "steps", where, 1)
    if not isinstance(return_dict, bool):
        raise TypeError(f"{where}: `return_dict` must be True or False. "
                        f"Received: return_dict={return_dict!r}.")


def check_predict_arguments(batch_size, verbose, steps):
    where = "Model.predict()"
    _integer(batch_size, "batch_size", where, 1, meaning=" (samples per step)")
    check_verbose(verbose, where)
    _integer(steps, "steps", where, 1)


def check_class_weight(class_weight, where):
    """None, or a dict {class index: weight >= 0}: what `class_weight` means in Keras."""
    if class_weight is None:
        return
    example = "e.g. class_weight={0: 1.0, 1: 5.0} to count class 1 five times"
    if not isinstance(class_weight, dict):
        raise TypeError(f"{where}: `class_weight` must be a dict mapping class indices to "
                        f"weights, {example}. Received: class_weight={class_weight!r}.")
    for key, weight in class_weight.items():
        if not _is_int(key):
            raise TypeError(f"{where}: the keys of `class_weight` must be class indices "
                            f"(integers 0, 1, ...), {example}. Received the key {key!r} in "
                            f"class_weight={class_weight!r}.")
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not weight >= 0:
            raise ValueError(f"{where}: each weight in `class_weight` must be a number >= 0 "
                             f"(not NaN), {example}. Received: class_weight[{key!r}]={weight!r}.")


def check_compile_arguments(loss_weights, run_eagerly, auto_scale_loss):
    from lamina.utils import tree

    where = "Model.compile()"
    weights = tree.flatten(loss_weights)  # (nested like the outputs, for nested outputs)
    if loss_weights is not None and any(
            isinstance(w, bool) or not isinstance(w, numbers.Real) for w in weights):
        raise TypeError(f"{where}: `loss_weights` must be a number (one output), or a list or a "
                        "dict keyed by output name of numbers (several outputs). Received: "
                        f"loss_weights={loss_weights!r}.")
    for name, value in (("run_eagerly", run_eagerly), ("auto_scale_loss", auto_scale_loss)):
        if not isinstance(value, bool):
            raise TypeError(f"{where}: `{name}` must be True or False. "
                            f"Received: {name}={value!r}.")


# What the single-batch methods take by keyword (they have no `batch_size`, `verbose`, ...).
_BATCH_METHOD_KEYWORDS = {
    "train_on_batch": ("x", "y", "sample_weight", "class_weight", "return_dict"),
    "test_on_batch": ("x", "y", "sample_weight", "return_dict"),
    "predict_on_batch": ("x",),
}


def check_batch_arguments(method, kwargs, return_dict=False, class_weight=None):
    """train_on_batch / test_on_batch / predict_on_batch: unknown keywords (listing the
    method's own), `return_dict` and `class_weight`."""
    from lamina.utils.arguments import check_kwargs

    where = f"Model.{method}()"
    check_kwargs(kwargs, _BATCH_METHOD_KEYWORDS[method], where)
    if not isinstance(return_dict, bool):
        raise TypeError(f"{where}: `return_dict` must be True or False. "
                        f"Received: return_dict={return_dict!r}.")
    check_class_weight(class_weight, where)


def check_targets_given(x, y, loss, where):
    """Arrays without `y` for a model compiled with a loss: say so before the loss fails on None
    (a generator or dataset yields its own targets, so only arrays are checked)."""
    from lamina.trainers import data_adapters

    if y is not None or loss is None or x is None or isinstance(x, data_adapters.DataAdapter):
        return
    try:
        if not data_adapters.is_array_data(x):
            return
    except TypeError:  # not data at all: the data adapter says so, naming what it accepts
        return
    raise ValueError(f"{where} received `x` but no targets `y`, and the model was compiled with "
                     f"loss={loss!r}, which compares predictions with targets. Pass "
                     f"{where.split('.')[-1][:-2]}(x, y, ...), or compile without a loss and "
                     "compute it in your own train_step.")
