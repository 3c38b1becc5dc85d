import os
import sys

import pytest
import torch

from lamina.utils import naming


@pytest.fixture(autouse=True)
def fresh_session():
    """Each test starts with fresh default names (`dense`, not `dense_17`) and a fixed seed."""
    naming.reset_names()
    torch.manual_seed(0)
    yield


@pytest.fixture(autouse=True, scope="session")
def tests_read_gpu_tensors_back():
    """On a GPU machine lamina puts new tensors on the GPU, as Keras on torch does, and the
    tests' own `np.asarray(t)` / `t.numpy()` / `np.testing.assert_allclose(t, ...)` on such
    tensors would fail for the test's sake, not lamina's. Only for calls made from test code,
    GPU tensors are copied back to the host first; lamina's own code gets torch's behaviour
    unchanged, so a library that reads a GPU tensor as NumPy still fails here. Nothing changes
    where there is no GPU."""
    if not torch.cuda.is_available():
        yield
        return
    original_numpy, original_array = torch.Tensor.numpy, torch.Tensor.__array__

    def numpy(self, *, force=False):
        if self.device.type != "cpu" and _called_from_tests():
            return original_numpy(self.detach().cpu(), force=force)
        return original_numpy(self, force=force)

    def __array__(self, *args, **kwargs):
        if self.device.type != "cpu" and _called_from_tests():
            return original_array(self.detach().cpu(), *args, **kwargs)
        return original_array(self, *args, **kwargs)

    torch.Tensor.numpy, torch.Tensor.__array__ = numpy, __array__
    try:
        yield
    finally:
        torch.Tensor.numpy, torch.Tensor.__array__ = original_numpy, original_array


_TESTS = os.path.dirname(os.path.abspath(__file__))
_PASS_THROUGH = (os.sep + "numpy" + os.sep, os.sep + "torch" + os.sep, os.path.abspath(__file__))


def _called_from_tests():
    """Whether the first frame outside NumPy, torch and this file belongs to a test module."""
    frame = sys._getframe(2)
    while frame is not None and any(part in frame.f_code.co_filename for part in _PASS_THROUGH):
        frame = frame.f_back
    return frame is not None and frame.f_code.co_filename.startswith(_TESTS)
