"""`lamina.mixed_precision`: dtype policies (`set_global_policy("mixed_float16")`) and
`LossScaleOptimizer`."""

from lamina.mixed_precision.policy import DTypePolicy as DTypePolicy
from lamina.mixed_precision.policy import Policy as Policy
from lamina.mixed_precision.policy import global_policy as global_policy
from lamina.mixed_precision.policy import global_policy as dtype_policy
from lamina.mixed_precision.policy import set_global_policy as set_global_policy
from lamina.mixed_precision.policy import set_global_policy as set_dtype_policy


def __getattr__(name):
    # Imported on first use: every layer imports this package for its policy, and layers must
    # not pay for (or cycle through) the optimizers.
    if name == "LossScaleOptimizer":
        from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer

        return LossScaleOptimizer
    raise AttributeError(f"module 'lamina.mixed_precision' has no attribute '{name}'")


def __dir__():
    return sorted([*globals(), "LossScaleOptimizer"])
