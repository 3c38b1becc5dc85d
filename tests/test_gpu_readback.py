"""The test harness's GPU read-back (conftest.py) applies to calls made from test code only:
lamina's own code must keep torch's behaviour, so that a library bug stays visible."""

import os
import sys

# (the tests' conftest.py, however pytest imported it)
conftest = next(module for module in list(sys.modules.values()) if getattr(
    module, "__file__", None) == os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                              "conftest.py"))


def _as_if_numpy_called_back():
    # conftest's wrappers call _called_from_tests() from inside Tensor.numpy / __array__: one
    # frame between it and the code that asked for the conversion, as here.
    return conftest._called_from_tests()


def _run_as(filename):
    namespace = {"ask": _as_if_numpy_called_back}
    exec(compile("result = ask()", filename, "exec"), namespace)
    return namespace["result"]


def test_calls_from_test_modules_are_read_back():
    assert _as_if_numpy_called_back()
    assert _run_as(os.path.join(conftest._TESTS, "layers", "test_something.py"))


def test_calls_from_lamina_itself_are_left_to_torch():
    library = os.path.join(os.path.dirname(conftest._TESTS), "lamina", "ops", "core.py")
    assert not _run_as(library)
    assert not _run_as("/usr/lib/python3/site-packages/somepackage/module.py")


def test_numpy_and_torch_frames_are_looked_through():
    """np.testing.assert_allclose(t, ...) converts inside NumPy: the caller above it counts."""
    inner = os.path.join(os.sep, "site-packages", "numpy", "testing", "utils.py")
    namespace = {"ask": _as_if_numpy_called_back}
    exec(compile("def helper():\n    return ask()\n", inner, "exec"), namespace)
    assert _run_as_caller_of(namespace["helper"], os.path.join(conftest._TESTS, "t.py"))
    assert not _run_as_caller_of(namespace["helper"], "/work/lamina/metrics/metric.py")


def _run_as_caller_of(function, filename):
    namespace = {"function": function}
    exec(compile("result = function()", filename, "exec"), namespace)
    return namespace["result"]
