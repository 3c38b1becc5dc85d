"""Keyword-argument checks shared by the whole public API.

Two jobs: reject an unknown keyword with a `TypeError` that suggests the closest valid one
(`epoches` -> `epochs`), and accept the Keras 1/2 spellings that tutorials still use, with a
`DeprecationWarning` naming the modern spelling.
"""

import difflib
import sys
import warnings


def check_kwargs(kwargs, allowed, where, listed=None):
    """Raise TypeError for the first keyword in `kwargs` that is not in `allowed`.

    The message suggests and lists `listed` (default: `allowed`): a method whose `**kwargs`
    only takes legacy keywords lists its real parameters instead.
    """
    for key in kwargs:
        if key not in allowed:
            raise TypeError(unknown_keyword_message(key, listed or allowed, where))


def unknown_keyword_message(key, allowed, where):
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    valid = ", ".join(sorted(allowed))
    return f"{where} got an unexpected keyword argument '{key}'.{hint} Valid keywords: {valid}."


def warn_deprecated(old, new, where, stacklevel=None):
    """`new` is code (shown in backticks), or a sentence that marks its own code spans.

    The warning points at the user's line (the first frame outside lamina), so Python's
    default filter, which shows a DeprecationWarning only when it is blamed on `__main__`,
    shows it in a script. (`stacklevel` is accepted for old callers and not needed.)"""
    shown = new if "`" in new else f"`{new}`"
    warnings.warn(
        f"{where}: `{old}` is a Keras 1/2 spelling; use {shown} instead.",
        DeprecationWarning,
        stacklevel=user_stacklevel(),
    )


def rename_legacy_kwargs(kwargs, renames, where):
    """Move each legacy key of `kwargs` to its modern name, warning once per key.

    `renames` maps old -> new. Passing both spellings at once is an error, since one would be lost.
    """
    for old, new in renames.items():
        if old in kwargs:
            if new in kwargs:
                raise TypeError(f"{where}: pass either `{old}` or `{new}`, not both.")
            warn_deprecated(old, new, where, stacklevel=4)
            kwargs[new] = kwargs.pop(old)
    return kwargs


def check_rate(value, argument, owner):
    """`value` as a float in [0, 1], or a ValueError naming `owner`'s `argument`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{owner}: `{argument}` must be a number between 0 and 1. "
                         f"Received: {argument}={value!r}")
    return float(value)


def check_positive_number(value, argument, owner):
    """`value` as a float > 0, or a ValueError naming `owner`'s `argument`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{owner}: `{argument}` must be a positive number. "
                         f"Received: {argument}={value!r}")
    return float(value)


def check_axis(value, argument, owner):
    """An int axis, or a list/tuple of them, or a TypeError naming `owner`'s `argument`."""
    axes = value if isinstance(value, (list, tuple)) else [value]
    if not axes or any(isinstance(a, bool) or not isinstance(a, int) for a in axes):
        raise TypeError(f"{owner}: `{argument}` must be an int (or a list of ints). "
                        f"Received: {argument}={value!r}")
    return value


def check_call_signature(function, arguments, where, expected):
    """TypeError now if `function(*arguments)` could not even be called (wrong number of
    parameters), rather than a bare "takes 0 positional arguments" deep inside a training loop.
    `expected` spells the call the library makes, e.g. "fn(epoch, logs)"."""
    import inspect

    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # builtins without a signature: let the call decide
        return
    try:
        signature.bind(*arguments)
    except TypeError:
        named = getattr(function, "func", function)  # a functools.partial: its function's name
        name = getattr(named, "__name__", type(named).__name__)
        raise TypeError(f"{where}: the function is called as {expected}, but its signature is "
                        f"{name}{signature}. Change its parameters to match.") from None


def check_bool(value, argument, owner):
    """`value` as a bool, or a TypeError: `bool("no")` is True, so a string would silently mean
    the opposite of what it says."""
    if isinstance(value, bool) or type(value).__name__ == "bool_" or value in (0, 1):
        return bool(value)
    raise TypeError(f"{owner}: `{argument}` must be True or False. Received: {argument}={value!r}")


def check_integer(value, argument, owner, minimum=1, optional=False):
    """`value` as an int >= `minimum` (None too when `optional`), or an error naming it."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) and type(value).__name__ not in (
            "int64", "int32"):
        raise TypeError(f"{owner}: `{argument}` must be an integer"
                        f"{' or None' if optional else ''}. Received: {argument}={value!r}")
    if value < minimum:
        allowed = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{owner}: `{argument}` must be {allowed}. Received: {argument}={value!r}")
    return int(value)


def user_stacklevel():
    """The `stacklevel` that points a warning, issued by the function calling this one, at the
    first line outside lamina (the user's), however deep inside lamina that function is."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_NOT_USER_CODE):
        frame, level = frame.f_back, level + 1
    return level


# lamina itself, and the import machinery between an `import keras.layers.core` and lamina
_NOT_USER_CODE = ("lamina.", "importlib.", "_frozen_importlib")
