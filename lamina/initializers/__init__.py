"""`lamina.initializers`: Keras's weight initializers, and `get` / `serialize` / `deserialize`.

Besides the class names, Keras's string names are accepted: `"glorot_uniform"`, `"he_normal"`,
`"zeros"`, ..., and the older `"normal"`, `"uniform"`, `"zero"`, `"one"` (Keras 1/2 spellings that
Keras 3 still reads; `Embedding` defaults to `"uniform"`).
"""

import numpy as _np
import torch as _torch

from lamina import config as _config
from lamina.initializers.constant_initializers import Constant as Constant
from lamina.initializers.constant_initializers import Identity as Identity
from lamina.initializers.constant_initializers import Ones as Ones
from lamina.initializers.constant_initializers import Zeros as Zeros
from lamina.initializers.initializer import Initializer as Initializer
from lamina.initializers.initializer import standardize_shape as _standardize_shape
from lamina.initializers.orthogonal_initializer import Orthogonal as Orthogonal
from lamina.initializers.random_initializers import RandomNormal as RandomNormal
from lamina.initializers.random_initializers import RandomUniform as RandomUniform
from lamina.initializers.random_initializers import TruncatedNormal as TruncatedNormal
from lamina.initializers.stft_initializer import STFT as STFT
from lamina.initializers.variance_scaling_initializers import GlorotNormal as GlorotNormal
from lamina.initializers.variance_scaling_initializers import GlorotUniform as GlorotUniform
from lamina.initializers.variance_scaling_initializers import HeNormal as HeNormal
from lamina.initializers.variance_scaling_initializers import HeUniform as HeUniform
from lamina.initializers.variance_scaling_initializers import LecunNormal as LecunNormal
from lamina.initializers.variance_scaling_initializers import LecunUniform as LecunUniform
from lamina.initializers.variance_scaling_initializers import VarianceScaling as VarianceScaling
from lamina.initializers.variance_scaling_initializers import compute_fans as compute_fans
from lamina.registry import serialization as _serialization

# Keras's lower-case and legacy aliases of the classes.
constant = Constant
identity = IdentityInitializer = Identity
ones = Ones
zeros = Zeros
orthogonal = OrthogonalInitializer = Orthogonal
stft = STFTInitializer = STFT
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform

_PACKAGE = "initializers"


def get(identifier):
    """An initializer from a name, a config dict, a class, an instance or a callable.

    A tensor or NumPy array is also accepted: it becomes an initializer that returns (a copy of)
    those values, for a weight of exactly that shape. `None` gives `None`.
    """
    if isinstance(identifier, (_torch.Tensor, _np.ndarray, _np.generic)):
        return _from_values(identifier)
    return _serialization.resolve(_PACKAGE, identifier, "initializer")


def serialize(initializer):
    return _serialization.serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    obj = _serialization.deserialize_keras_object(
        config, package=_PACKAGE, custom_objects=custom_objects, what="initializer"
    )
    return obj() if isinstance(obj, type) else obj


def _from_values(values):
    values = _torch.as_tensor(values).detach()

    def initialize_fn(shape, dtype=None):  # (Keras's name for it)
        if _standardize_shape(shape) != tuple(values.shape):
            raise ValueError(
                f"This initializer holds values of shape {tuple(values.shape)}, but a weight of "
                f"shape {tuple(shape)} asked for them. Pass values of the weight's shape."
            )
        return values.to(device="cpu", dtype=_config.to_torch_dtype(dtype), copy=True)

    return initialize_fn
