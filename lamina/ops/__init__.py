"""`lamina.ops`: Keras 3's backend-agnostic ops, running on torch tensors.

Every op is available flat (`lamina.ops.matmul`) and in its family module, as in Keras
(`lamina.ops.numpy`, `lamina.ops.nn`, `lamina.ops.linalg`; conversion and control flow live in
`lamina.ops.core`, erf/top_k/logsumexp in `lamina.ops.math`). Image ops are only in
`lamina.ops.image`, as in Keras.
"""

from lamina.ops import core, image, linalg, math, nn, numpy
from lamina.ops.core import *  # noqa: F401,F403
from lamina.ops.math import *  # noqa: F401,F403
from lamina.ops.nn import *  # noqa: F401,F403
from lamina.ops.numpy import *  # noqa: F401,F403
from lamina.ops.linalg import *  # noqa: F401,F403 - Keras exports linalg ops flat too
