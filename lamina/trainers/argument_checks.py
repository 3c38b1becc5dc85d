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
                        validation_steps, validation_batch_size, validation_freq):
    where = "Model.fit()"
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
