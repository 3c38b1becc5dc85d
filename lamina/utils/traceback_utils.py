"""Tracebacks that show the user's code, not lamina's plumbing (`keras.config`'s traceback
filtering, on by default; `lamina.config.disable_traceback_filtering()` shows everything).

An error raised while a layer runs travels through several lamina frames (the call pipeline,
the functional graph, the trainer) before it reaches the user's line. A layer call drops those
frames from the traceback and re-raises the same exception object, so its type,
message and cause are untouched; frames of torch and of the user's own layers stay.
"""

import os
import types

from lamina import config

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def filter_traceback(error):
    """`error`, its traceback without lamina's frames (unchanged when filtering is off).

    Each enclosing layer call filters again, so the frames the error gathered on its way out
    of a nested call go too; only the outermost call's re-raising line remains.
    """
    if not config.is_traceback_filtering_enabled():
        return error
    kept = []
    tb = error.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            kept.append(tb)
        tb = tb.tb_next
    new_tb = None  # all frames lamina's: an argument check whose message says it all
    for tb in reversed(kept):
        new_tb = types.TracebackType(new_tb, tb.tb_frame, tb.tb_lasti, tb.tb_lineno)
    return error.with_traceback(new_tb)
