"""`lamina.mixed_precision`: dtype policies (`set_global_policy("mixed_float16")`)."""

from lamina.mixed_precision.policy import DTypePolicy as DTypePolicy
from lamina.mixed_precision.policy import Policy as Policy
from lamina.mixed_precision.policy import global_policy as global_policy
from lamina.mixed_precision.policy import global_policy as dtype_policy
from lamina.mixed_precision.policy import set_global_policy as set_global_policy
from lamina.mixed_precision.policy import set_global_policy as set_dtype_policy
