"""`LayoutMap`: variable paths (regular expressions) -> `TensorLayout`s."""

import collections
import collections.abc
import re

from lamina.distribution.device_mesh import TensorLayout
from lamina.registry.export import keras_export


@keras_export("distribution.LayoutMap")
class LayoutMap(collections.abc.MutableMapping):
    """A dict from variable paths to layouts, where each key is matched as a regular expression.

    Looking up a path returns the layout of the key equal to it, else of the one key whose
    pattern matches the whole path (`re.fullmatch`), else None; two matching keys are an error.
    A tuple of axis names is accepted in place of a `TensorLayout`.

    Example:
        layout_map = LayoutMap(device_mesh)
        layout_map[".*dense.*kernel"] = (None, "model")
        layout_map[".*dense.*bias"] = ("model",)

    Args:
        device_mesh: the `DeviceMesh` the layouts' axis names refer to.
    """

    def __init__(self, device_mesh):
        self._layout_map = collections.OrderedDict()
        self._device_mesh = device_mesh

    def __getitem__(self, key):
        if key in self._layout_map:
            return self._layout_map[key]
        matches = [pattern for pattern in self._layout_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Path '{key}' matches several LayoutMap keys: {matches}. Make each variable path "
                "match at most one key.")
        return self._layout_map[matches[0]] if matches else None

    def __setitem__(self, key, layout):
        if key in self._layout_map:
            raise ValueError(
                f"'{key}' is already in the LayoutMap (with {self._layout_map[key]}); keys must "
                "not repeat.")
        if isinstance(layout, (tuple, list)):
            layout = TensorLayout(axes=layout)
        if not isinstance(layout, TensorLayout):
            raise ValueError(
                f"A LayoutMap value must be a TensorLayout or a tuple of axis names; received "
                f"{layout!r} of type {type(layout).__name__}.")
        if layout.device_mesh is None and self._device_mesh is not None:
            layout.device_mesh = self._device_mesh
        self._layout_map[key] = layout

    def __delitem__(self, key):
        return self._layout_map.pop(key)

    def __len__(self):
        return len(self._layout_map)

    def __iter__(self):
        return iter(self._layout_map)

    @property
    def device_mesh(self):
        return self._device_mesh
