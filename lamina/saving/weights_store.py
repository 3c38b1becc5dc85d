"""Weights in Keras 3's h5 layout: the object graph of a model as groups, variables as datasets.

Keras 3 writes every saveable object (layer, model, optimizer) to a group named by where it sits
in the graph — `layers/dense`, `layers/dense_1`, `layers/lstm/cell`, `optimizer` — with its own
variables in `<path>/vars/0`, `<path>/vars/1`, ... . Layers in a model's layer list are named by
their snake_case class name with a counter (not by layer name); attributes by attribute name.
Each object is visited once (shared layers). The same walk reads and writes, so a file written
by Keras loads here and the reverse, as long as the two object graphs agree.
"""

import warnings

import h5py
import numpy as np
import torch

from lamina.utils import naming
from lamina.utils.arguments import user_stacklevel
from lamina.variables import assign_full, to_numpy


def saveable_children(obj):
    """(name, child) pairs in Keras's order: the model's layer list first, then attributes sorted
    with public names before private ones. A child is a layer, an optimizer or a list of them."""
    from lamina.layers.layer import Layer, _child_modules
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential

    children = []
    graph = isinstance(obj, (Sequential, Functional))
    if graph:
        children.append(("layers", list(obj.layers)))
    attributes = {}
    if isinstance(obj, Layer):
        for name, module in obj._modules.items():
            if graph and name.isdigit():
                continue  # (the positional registration of the layer list above)
            public = name.lstrip("_")
            if public != name and isinstance(getattr(type(obj), public, None), property):
                name = public  # Keras walks dir(): a public property wins over `_attribute`
            if isinstance(module, (torch.nn.ModuleList, torch.nn.ModuleDict)):
                attributes[name] = _nested_layers(module)
            elif isinstance(module, Layer):
                attributes[name] = module
        optimizer = getattr(obj, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "save_own_variables"):
            attributes["optimizer"] = optimizer
    extra = getattr(obj, "_saveable_attributes", None)
    if extra is not None:
        attributes.update(extra())
    for name in sorted(attributes, key=lambda n: (n.startswith("_"), n)):
        children.append((name, attributes[name]))
    return children


def _nested_layers(container):
    """The layers of a ModuleList / ModuleDict attribute as a list; a list or dict nested
    inside it (`[[conv, norm], ...]`) stays a nested list, which Keras saves as a group named
    "container" (then "container_1", ...)."""
    from lamina.layers.layer import Layer, _child_modules

    items = []
    for module in container.values() if isinstance(container, torch.nn.ModuleDict) else container:
        if isinstance(module, (torch.nn.ModuleList, torch.nn.ModuleDict)) and \
                not isinstance(module, Layer):
            items.append(_nested_layers(module))
        elif isinstance(module, Layer):
            items.append(module)
        elif isinstance(module, torch.nn.Sequential):
            items.extend(m for m in _child_modules(module) if isinstance(m, Layer))
    return items


def walk(obj, path="", visited=None):
    """Yield (path, object) for every saveable object reachable from `obj`, each once."""
    visited = set() if visited is None else visited
    if id(obj) in visited:
        return
    visited.add(id(obj))
    yield path, obj
    for name, child in saveable_children(obj):
        child_path = f"{path}/{name}" if path else name
        if isinstance(child, list):
            yield from _walk_list(child, child_path, visited)
        else:
            yield from walk(child, child_path, visited)


def _walk_list(items, path, visited):
    used = {}
    for item in items:
        base = "container" if isinstance(item, list) else naming.to_snake_case(
            type(item).__dict__.get("_keras_source_class_name", type(item).__name__))
        count = used.get(base)
        used[base] = 0 if count is None else count + 1
        item_name = base if count is None else f"{base}_{count + 1}"
        if isinstance(item, list):
            yield from _walk_list(item, f"{path}/{item_name}", visited)
        else:
            yield from walk(item, f"{path}/{item_name}", visited)


def own_variables(obj):
    """A layer's own variables in Keras order: trainable ones, then non-trainable ones."""
    from lamina.layers.layer import Layer

    if not isinstance(obj, Layer):
        return None
    own = obj._own_weights()
    trainable = [v for v in own if getattr(v, "_keras_trainable", v.requires_grad)]
    return trainable + [v for v in own if not getattr(v, "_keras_trainable", v.requires_grad)]


def save_weights_to_group(model, h5_group):
    for path, obj in walk(model):
        group = h5_group.create_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = getattr(obj, "name", "") or ""
        if hasattr(obj, "save_own_variables"):  # optimizers, and layers with their own layout
            obj.save_own_variables(_GroupWriter(group))
            continue
        for index, variable in enumerate(own_variables(obj) or []):
            group.create_dataset(str(index), data=to_numpy(variable))


def load_weights_from_group(model, h5_group, skip_mismatch=False, filename="the file"):
    """Assign the weights stored under `h5_group`; errors name the layer and the shapes."""
    _check_layout(h5_group, filename)
    problems = []
    for path, obj in walk(model):
        key = f"{path}/vars" if path else "vars"
        stored = h5_group[key] if key in h5_group else None
        if hasattr(obj, "load_own_variables"):
            if stored is not None and len(stored):
                if not getattr(obj, "built", False):
                    continue  # an optimizer that was never built: nothing to restore into
                obj.load_own_variables(_GroupReader(stored))
            continue
        variables = own_variables(obj) or []
        if stored is not None and set(stored) != {str(i) for i in range(len(stored))}:
            problems.append(
                f'Layer "{obj.name}" (path "{path or "/"}") does not read the entries '
                f"{sorted(stored)} that {filename} holds there (a layer of another kind?)."
            )
            continue
        arrays = [] if stored is None else [stored[str(i)][()] for i in range(len(stored))]
        if len(arrays) != len(variables):
            problems.append(
                f'Layer "{obj.name}" (path "{path or "/"}") expects {len(variables)} variables, '
                f"but {filename} holds {len(arrays)} there."
            )
            continue
        mismatched = [
            f'Layer "{obj.name}" weight "{getattr(variable, "path", "?")}" has shape '
            f"{tuple(variable.shape)}, but {filename} holds shape {tuple(array.shape)}."
            for variable, array in zip(variables, arrays)
            if tuple(array.shape) != tuple(variable.shape)]
        if mismatched:  # the whole layer is skipped, as Keras skips it (no half-loaded layer)
            problems += mismatched
            continue
        with torch.no_grad():
            for variable, array in zip(variables, arrays):
                assign_full(variable, np.asarray(array))
    if problems and not skip_mismatch:
        raise ValueError(
            "The weights do not match this model:\n  " + "\n  ".join(problems)
            + "\nCheck that the model is built the same way as the saved one, or pass "
            "skip_mismatch=True to load what matches."
        )
    if problems:
        warnings.warn(
            f"load_weights(skip_mismatch=True): {len(problems)} weight(s) did not match and "
            "their layers were left as they were:\n  " + "\n  ".join(problems),
            UserWarning, stacklevel=user_stacklevel())
    return problems


def _check_layout(h5_group, filename):
    """Keras 3 always writes the root object's `vars` group; the legacy Keras 2 layout lists its
    layers in a `layer_names` attribute instead. Say so rather than "expects 2 variables"."""
    if "vars" in h5_group or "layers" in h5_group:
        return
    if "layer_names" in h5_group.attrs or "model_weights" in h5_group:
        where = filename if filename == "the file" else f"'{filename}'"
        raise ValueError(
            f"{where} holds weights in the legacy Keras 2 `.h5` layout (a `layer_names` list), "
            "not in Keras 3's `.weights.h5` layout. A legacy weights file loads from a name "
            "ending in `.h5` (model.load_weights('weights.h5')), which reads that layout."
        )


class _GroupWriter:
    """The `store` an optimizer writes into: `store["0"] = array`."""

    def __init__(self, group):
        self.group = group

    def __setitem__(self, key, value):
        value = np.asarray(value)
        if value.dtype == np.int64:
            value = value.astype(np.int32)  # Keras stores counters as int32
        self.group.create_dataset(key, data=value)


class _GroupReader:
    def __init__(self, group):
        self.group = group

    def keys(self):
        return list(self.group.keys())

    def __getitem__(self, key):
        return self.group[key][()]

    def __len__(self):
        return len(self.group)


def save_weights_h5(model, filepath):
    from lamina.saving import atomic

    with atomic.h5_file(filepath) as f:
        save_weights_to_group(model, f)


def load_weights_h5(model, filepath, skip_mismatch=False):
    with h5py.File(filepath, "r") as f:
        return load_weights_from_group(model, f, skip_mismatch, filename=str(filepath))
