"""Dtype policies: which dtype a layer keeps its weights in and which it computes in.

`"mixed_float16"` / `"mixed_bfloat16"` keep weights in float32 and compute in half precision:
lamina runs such a layer's `call` under `torch.autocast`, which casts per op (matmuls and
convolutions in half precision, reductions and softmax in float32) — the numerics PyTorch's AMP
is tuned for. With `"mixed_float16"`, `fit` scales the loss to keep small gradients from
underflowing (dynamic loss scaling, as Keras's LossScaleOptimizer does).
"""

from lamina import config
from lamina.registry.export import keras_export

_POLICIES = ("float16", "bfloat16", "float32", "float64", "mixed_float16", "mixed_bfloat16")


@keras_export(
    "dtype_policies.DTypePolicy", "mixed_precision.DTypePolicy", "mixed_precision.Policy",
    "DTypePolicy",
)
class DTypePolicy:
    _keras_module = "keras"  # Keras writes plain policies with module "keras"
    def __init__(self, name=None):
        if name is None:
            name = global_policy().name
        if isinstance(name, DTypePolicy):
            name = name.name
        if not isinstance(name, str):
            raise TypeError(
                f"A dtype policy name must be a string such as 'mixed_float16'; got {name!r} "
                f"(of type {type(name).__name__})."
            )
        self._name = name
        self._compute, self._variable = self._parse_name(name)

    @staticmethod
    def _parse_name(name):
        """(compute dtype, variable dtype) of a policy name."""
        if name.startswith("mixed_"):
            if name not in _POLICIES:
                raise ValueError(f"Unknown dtype policy {name!r}. Expected one of {list(_POLICIES)}.")
            return name[len("mixed_"):], "float32"
        try:
            dtype = config.dtype_name(name)
        except ValueError:
            raise ValueError(
                f"Unknown dtype policy {name!r}: use 'mixed_float16', 'mixed_bfloat16' or the "
                "name of a dtype such as 'float32'."
            ) from None
        return dtype, dtype

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._compute

    @property
    def variable_dtype(self):
        return self._variable

    @property
    def quantization_mode(self):
        """None: plain float policies are not quantized."""
        return None

    @property
    def is_mixed(self):
        return self._name.startswith("mixed_")

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config_dict):
        return cls(**config_dict)

    def __eq__(self, other):
        if not isinstance(other, DTypePolicy):
            return False
        if _is_float_policy(self) != _is_float_policy(other):
            return False
        return _is_float_policy(self) or type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


def _is_float_policy(policy):
    return type(policy) in (DTypePolicy, FloatDTypePolicy)


@keras_export("dtype_policies.FloatDTypePolicy", "FloatDTypePolicy")
class FloatDTypePolicy(DTypePolicy):
    """The Keras 3.0 name of a plain (float or mixed) DTypePolicy."""

    _keras_module = "keras"


Policy = DTypePolicy  # the Keras 2 name (tf.keras.mixed_precision.Policy)

_global_policy = [None]


def set_global_policy(policy):
    """Policy for layers created from now on without an explicit `dtype` (None: floatx)."""
    if policy is not None and not isinstance(policy, (str, DTypePolicy)):
        raise ValueError(
            "set_dtype_policy() takes a policy name such as 'mixed_float16' or a DTypePolicy; "
            f"got {policy!r} (of type {type(policy).__name__})."
        )
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
        if "class_name" not in identifier:
            return DTypePolicy(identifier.get("name"))
        from lamina.dtype_policies import deserialize

        return deserialize(identifier)
    if isinstance(identifier, str) and identifier.startswith(_QUANTIZATION_MODES):
        from lamina.dtype_policies.quantized import policy_from_name

        return policy_from_name(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(config.dtype_name(identifier))
    except (ValueError, TypeError):
        raise ValueError(
            f"Cannot interpret dtype policy {identifier!r}: expected a name such as "
            "'mixed_float16' or a DTypePolicy."
        ) from None


_QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")
