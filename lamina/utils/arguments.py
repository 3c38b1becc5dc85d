"""Keyword-argument checks shared by the whole public API.

Two jobs: reject an unknown keyword with a `TypeError` that suggests the closest valid one
(`epoches` -> `epochs`), and accept the Keras 1/2 spellings that tutorials still use, with a
`DeprecationWarning` naming the modern spelling.
"""

import difflib
import warnings


def check_kwargs(kwargs, allowed, where):
    """Raise TypeError for the first keyword in `kwargs` that is not in `allowed`."""
    for key in kwargs:
        if key not in allowed:
            raise TypeError(unknown_keyword_message(key, allowed, where))


def unknown_keyword_message(key, allowed, where):
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    valid = ", ".join(sorted(allowed))
    return f"{where} got an unexpected keyword argument '{key}'.{hint} Valid keywords: {valid}."


def warn_deprecated(old, new, where, stacklevel=3):
    warnings.warn(
        f"{where}: `{old}` is a Keras 1/2 spelling; use `{new}` instead.",
        DeprecationWarning,
        stacklevel=stacklevel,
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
