import pytest
import torch

from lamina.utils import naming


@pytest.fixture(autouse=True)
def fresh_session():
    """Each test starts with fresh default names (`dense`, not `dense_17`) and a fixed seed."""
    naming.reset_names()
    torch.manual_seed(0)
    yield
