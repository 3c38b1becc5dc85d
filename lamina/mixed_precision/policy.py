"""Dtype policies: which dtype a layer keeps its weights in and which it computes in.

`"mixed_float16"` / `"mixed_bfloat16"` keep weights in float32 and compute in half precision:
lamina runs such a layer's `call` under `torch.autocast`, which casts per op (matmuls and
convolutions in half precision, reductions and softmax in float32) — the numerics PyTorch's AMP
is tuned for. With `"mixed_float16"`, `fit` scales the loss to keep small gradients from
underflowing (dynamic loss scaling, as Keras's LossScaleOptimizer does).
"""

from lamina import config
from lamina.saving.object_registry import register_builtin

_POLICIES = ("float16", "bfloat16", "float32", "float64", "mixed_float16", "mixed_bfloat16")


@register_builtin("dtype_policies")
class DTypePolicy:
    def __init__(self, name=None):
        name = name or config.floatx()
        if isinstance(name, DTypePolicy):
            name = name.name
        name = config.dtype_name(name) if not str(name).startswith("mixed_") else str(name)
        if name not in _POLICIES:
            raise ValueError(f"Unknown dtype policy {name!r}. Expected one of {list(_POLICIES)}.")
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._name.replace("mixed_", "")

    @property
    def variable_dtype(self):
        return "float32" if self._name.startswith("mixed_") else self._name

    @property
    def is_mixed(self):
        return self._name.startswith("mixed_")

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config_dict):
        return cls(**config_dict)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


Policy = DTypePolicy  # the Keras 2 name (tf.keras.mixed_precision.Policy)

_global_policy = [None]


def set_global_policy(policy):
    """Policy for layers created from now on without an explicit `dtype`."""
    _global_policy[0] = None if policy is None else get(policy)


def global_policy():
    return _global_policy[0] or DTypePolicy(config.floatx())


def get(identifier):
    """A DTypePolicy from a name, a policy, or Keras's config dict."""
    if identifier is None:
        return global_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return DTypePolicy(identifier.get("config", identifier).get("name"))
    name = getattr(identifier, "name", None)
    return DTypePolicy(name if isinstance(name, str) and not isinstance(identifier, str) else identifier)
