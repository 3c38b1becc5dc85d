"""Safe mode: loading never runs Python code taken from a file unless the user says so.

`safe_mode=True` is the default everywhere a config is loaded. Code paths that would execute
code from a file (a Lambda layer's serialized bytecode) check `in_safe_mode()` and refuse.
"""

_safe_mode = [True]


def in_safe_mode():
    return _safe_mode[-1]


class SafeModeScope:
    def __init__(self, safe_mode=True):
        self.safe_mode = True if safe_mode is None else bool(safe_mode)

    def __enter__(self):
        _safe_mode.append(self.safe_mode)
        return self

    def __exit__(self, *exc):
        _safe_mode.pop()


def enable_unsafe_deserialization():
    """Turn safe mode off for the rest of the process (as `keras.config.enable_unsafe_deserialization`)."""
    _safe_mode[0] = False
