"""DTypePolicyMap: a dtype policy per layer path (exact keys first, then regex full matches)."""

import re
from collections.abc import MutableMapping

from lamina.mixed_precision.policy import DTypePolicy, get
from lamina.registry.export import keras_export


@keras_export("dtype_policies.DTypePolicyMap")
class DTypePolicyMap(DTypePolicy, MutableMapping):
    def __init__(self, default_policy=None, policy_map=None):
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(
                f"`policy_map` must be a dict when given; got {type(policy_map).__name__}."
            )
        self._default_policy_arg = default_policy
        self._default_policy = get(default_policy) if default_policy is not None else None
        self._policy_map = dict(policy_map or {})

    @property
    def default_policy(self):
        """The policy for unmatched paths (the global policy when none was given)."""
        return get(self._default_policy)

    @property
    def name(self):
        return f"map_{self.default_policy.name}"

    @property
    def _name(self):
        return self.name

    @property
    def variable_dtype(self):
        return self.default_policy.variable_dtype

    @property
    def compute_dtype(self):
        return self.default_policy.compute_dtype

    @property
    def quantization_mode(self):
        return self.default_policy.quantization_mode

    @property
    def is_mixed(self):
        return self.default_policy.is_mixed

    def __getitem__(self, key):
        if key in self._policy_map:
            return self._policy_map[key]
        matches = [pattern for pattern in self._policy_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path '{key}' matches multiple dtype policy keys: {matches}. Each path may "
                "match at most one key of a DTypePolicyMap."
            )
        if matches:
            return self._policy_map[matches[0]]
        return self.default_policy

    def __setitem__(self, key, policy):
        if key in self._policy_map:
            raise ValueError(
                f"{key} is already in the DTypePolicyMap (as {self._policy_map[key]}); keys "
                "cannot be assigned twice."
            )
        try:
            policy = get(policy)
        except Exception:
            raise ValueError(
                f"Cannot interpret {policy!r} (of type {type(policy).__name__}) as a dtype policy."
            ) from None
        self._policy_map[key] = policy

    def __delitem__(self, key):
        return self._policy_map.pop(key)

    def __contains__(self, key):
        return key in self._policy_map

    def __len__(self):
        return len(self._policy_map)

    def __iter__(self):
        return iter(self._policy_map)

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def get_config(self):
        from lamina.registry.serialization import serialize_keras_object

        return {"default_policy": self._default_policy_arg,
                "policy_map": serialize_keras_object(self._policy_map)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from lamina.dtype_policies import deserialize

        config = dict(config)
        config["policy_map"] = {key: deserialize(value, custom_objects)
                                for key, value in (config.get("policy_map") or {}).items()}
        return cls(**config)

    def __repr__(self):
        default = self._default_policy.name if self._default_policy is not None else None
        mapping = [(key, value.name) for key, value in self._policy_map.items()]
        return f"<DTypePolicyMap at {hex(id(self))} default_policy={default}, mapping={mapping}>"
