"""The legacy HDF5 format (`model.save("x.h5")`, `model.save_weights("x.h5")`) of Keras 1/2/3.

Layout of a whole-model file (weights-only files have the `model_weights` part at the root):

    attrs: backend, keras_version, model_config (JSON), training_config (JSON, if compiled)
    /model_weights          attrs: layer_names (every layer of `model.layers`), backend, keras_version
        /<layer name>       attrs: weight_names (trainable then non-trainable weights)
            /<weight name>  one dataset per weight, e.g. dense/kernel (Keras 2: dense/kernel:0)
        /top_level_model_weights
    /optimizer_weights      attrs: weight_names; datasets at those names

Name lists longer than HDF5's 64 KB attribute limit are split into `layer_names0`,
`layer_names1`, ... Weights load by position, as Keras loads them: the layers that have weights,
in model order, against the saved layers that have weights, in file order (or by layer name with
`by_name=True`). Optimizer state is positional too: Keras 2 files lack the learning-rate variable
and TF's legacy optimizers stored slots slot-major; both are lined up with lamina's order.
"""

import json
import os
import warnings

import numpy as np

from lamina.saving import atomic, legacy_config
from lamina.registry.object_registry import CustomObjectScope
from lamina.registry.safe_mode import SafeModeScope
from lamina.registry.serialization import deserialize_layer, serialize_keras_object
from lamina.variables import assign_full, to_numpy

HDF5_OBJECT_HEADER_LIMIT = 64512
BACKEND = "torch"


def _keras_version():
    from lamina.saving.keras_archive import KERAS_VERSION

    return KERAS_VERSION


# =========================================================================== saving

def save_model(model, filepath, include_optimizer=True):
    """Architecture, weights and (optionally) compile state in one legacy `.h5` file."""
    filepath = os.fspath(filepath)
    metadata = {"keras_version": _keras_version(), "backend": BACKEND,
                "model_config": legacy_model_config(model)}
    optimizer = getattr(model, "optimizer", None) if include_optimizer else None
    training_config = _training_config(model) if optimizer is not None else None
    if training_config is not None:
        metadata["training_config"] = training_config
        if model.built and model.weights:
            model._prepare_optimizer()  # so the file carries the optimizer's full state
    else:
        optimizer = None
    with atomic.h5_file(filepath) as f:
        for key, value in metadata.items():
            f.attrs[key] = json.dumps(value) if isinstance(value, dict) else value
        save_weights_to_group(f.create_group("model_weights"), model)
        if optimizer is not None and getattr(optimizer, "built", False):
            _save_optimizer_weights(f, optimizer)


def save_weights(model, filepath):
    """Weights only, in the legacy layout (what Keras 2's `save_weights("x.h5")` wrote)."""
    with atomic.h5_file(filepath) as f:
        save_weights_to_group(f, model)


def legacy_model_config(model):
    """`{"class_name", "config"}` with layer entries as Keras's legacy saver writes them: no
    `module`, `registered_name` or `build_config` next to each layer's `class_name`."""
    from lamina.models.functional import Functional
    from lamina.models.sequential import Sequential
    from lamina.registry import object_registry

    config = _strip_layer_entries({
        "class_name": object_registry.get_registered_name(type(model)),
        "config": model.get_config(),
    })
    build_config = model.get_build_config() if hasattr(model, "get_build_config") else None
    if build_config and not isinstance(model, (Functional, Sequential)):
        # A subclassed model's weights exist only once it is built; Keras's legacy format has
        # no place for that, so without this key the file could not be loaded back.
        config["build_config"] = build_config
    return config


def _strip_layer_entries(entry):
    config = entry.get("config")
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        layers = []
        for layer in config["layers"]:
            registered = layer.get("registered_name")
            layer = {k: v for k, v in layer.items()
                     if k not in ("module", "registered_name", "build_config")}
            if isinstance(registered, str) and ">" in registered:
                layer["class_name"] = registered  # as Keras names registered custom classes
            layers.append(_strip_layer_entries(layer))
        entry = {**entry, "config": {**config, "layers": layers}}
    return entry


# Keras 3.15 cannot compile a legacy file whose loss is a short alias (keras-team/keras#19330);
# the full names load everywhere, so lamina writes those.
_LOSS_FULL_NAMES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
                    "mape": "mean_absolute_percentage_error",
                    "msle": "mean_squared_logarithmic_error",
                    "kld": "kl_divergence", "bce": "binary_crossentropy"}


def _training_config(model):
    from lamina.registry.serialization import serialize_keras_object

    compile_config = serialize_keras_object(
        model.get_compile_config() if hasattr(model, "get_compile_config") else None)
    if not compile_config or not compile_config.get("optimizer"):
        return None  # not compiled, or a torch.optim optimizer (no config to write)
    from lamina.registry import object_registry

    config = dict(compile_config)
    optimizer = config.pop("optimizer")
    config["loss"] = legacy_config._map_objects(
        lambda loss: _LOSS_FULL_NAMES.get(loss, loss) if isinstance(loss, str) else loss,
        config.get("loss"))
    config["optimizer_config"] = {
        "class_name": object_registry.get_registered_name(type(model.optimizer)),
        "config": optimizer["config"],
    }
    return serialize_keras_object(config)


def save_weights_to_group(group, model):
    _write_name_list(group, "layer_names", [layer.name for layer in model.layers])
    group.attrs["backend"] = BACKEND
    group.attrs["keras_version"] = _keras_version()
    # Groups in sorted name order, as Keras creates them (HDF5 lists them sorted anyway).
    for layer in sorted(model.layers, key=lambda layer: layer.name):
        _save_weight_list(group.create_group(layer.name), layer.name, legacy_weights(layer))
    _save_weight_list(group.create_group("top_level_model_weights"), model.name,
                      top_level_weights(model))


def legacy_weights(layer):
    """A layer's weights in the legacy order: trainable ones, then non-trainable ones."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def top_level_weights(model):
    """Weights the model owns itself (not through a layer of `model.layers`)."""
    return [w for w in model._own_weights()] if hasattr(model, "_own_weights") else []


def _save_weight_list(group, owner_name, weights):
    names, used = [], set()
    for index, weight in enumerate(weights):
        name = getattr(weight, "path", None) or f"{owner_name}/variable_{index}"
        if not name.startswith(owner_name + "/"):
            name = f"{owner_name}/{name}"  # as Keras names the weights of nested models
        base, count = name, 1
        while name in used:
            name = f"{base}_{count}"
            count += 1
        used.add(name)
        names.append(name)
    _write_name_list(group, "weight_names", names)
    for name, weight in zip(names, weights):
        group.create_dataset(name, data=to_numpy(weight))  # (a sharded weight: gathered)


def _save_optimizer_weights(f, optimizer):
    values = [to_numpy(v) for v in optimizer.variables]
    if not values:
        return
    group = f.create_group("optimizer_weights")
    names, used = [], set()
    for name in optimizer.variable_names:  # Adafactor's slots repeat names ("adafactor/kernel")
        base, count = name, 1
        while name in used:
            name = f"{base}_{count}"
            count += 1
        used.add(name)
        names.append(name)
    _write_name_list(group, "weight_names", names)
    for name, value in zip(names, values):
        if value.dtype == np.int64:
            value = value.astype(np.int32)  # Keras stores its step counter as int32
        group.create_dataset(name, data=value)


def _write_name_list(group, name, values):
    """Write a list of strings as an attribute, split into numbered chunks when it is too big
    for one HDF5 object header (Keras's `save_attributes_to_hdf5_group` convention)."""
    encoded = [value.encode("utf8") for value in values]
    too_long = [value for value in values if len(value.encode("utf8")) > HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(
            f"Cannot save the name {too_long[0][:80]!r}...: it is longer than "
            f"{HDF5_OBJECT_HEADER_LIMIT} bytes, the most an HDF5 attribute can hold."
        )
    array = np.asarray(encoded) if encoded else np.asarray([], dtype=np.float64)
    chunks = 1
    pieces = [array]
    while any(piece.nbytes > HDF5_OBJECT_HEADER_LIMIT for piece in pieces):
        chunks += 1
        pieces = np.array_split(array, chunks)
    if chunks == 1:
        group.attrs[name] = array
    else:
        for index, piece in enumerate(pieces):
            group.attrs[f"{name}{index}"] = piece


def _read_name_list(group, name):
    if name in group.attrs:
        raw = list(group.attrs[name])
    else:
        raw, index = [], 0
        while f"{name}{index}" in group.attrs:
            raw.extend(group.attrs[f"{name}{index}"])
            index += 1
    return [value.decode("utf8") if isinstance(value, bytes) else str(value) for value in raw]


def _has_name_list(group, name):
    return name in group.attrs or f"{name}0" in group.attrs


# =========================================================================== loading

def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    filepath = os.fspath(filepath)
    with _open(filepath) as f:
        model_config = _read_json_attribute(f, "model_config", filepath)
        if model_config is None:
            raise ValueError(_no_model_message(f, filepath))
        if "model_weights" not in f:
            raise ValueError(
                f"'{filepath}' has a model config but no `model_weights` group, so it holds no "
                "weights. It may be truncated or written by another program."
            )
        with _legacy_spellings_accepted(), SafeModeScope(safe_mode):
            model = deserialize_layer(legacy_config.translate_model_config(model_config),
                                      custom_objects)
        _guard(filepath, load_weights_from_group, f["model_weights"], model, filename=filepath)
        training_config = _read_json_attribute(f, "training_config", filepath) if compile else None
        if training_config:
            _compile(model, training_config, custom_objects)
            if "optimizer_weights" in f and getattr(model, "optimizer", None) is not None:
                _guard(filepath, _load_optimizer_weights, model, f["optimizer_weights"], filepath)
    return model


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    filepath = os.fspath(filepath)
    with _open(filepath) as f:
        group = f["model_weights"] if "model_weights" in f else f
        if not _has_name_list(group, "layer_names"):
            raise ValueError(_no_weights_message(f, filepath))
        loader = load_weights_from_group_by_name if by_name else load_weights_from_group
        _guard(filepath, loader, group, model, skip_mismatch=skip_mismatch, filename=filepath)


def load_weights_from_group(group, model, skip_mismatch=False, filename="the file"):
    """Positional loading: the k-th layer with weights gets the k-th saved layer with weights."""
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    saved = [name for name in _read_name_list(group, "layer_names")
             if name in group and _read_name_list(group[name], "weight_names")]
    if len(saved) != len(layers):
        unbuilt = [layer.name for layer in model.layers if not layer.built]
        hint = (f" Layers {unbuilt} are not built yet (no input shape known): build the model "
                "first, e.g. model.build(input_shape)." if unbuilt else "")
        raise ValueError(
            f"'{filename}' holds weights for {len(saved)} layers {saved}, but the model has "
            f"{len(layers)} layers with weights {[layer.name for layer in layers]}. Weights "
            "load by position, so the architectures must match; pass by_name=True to match "
            f"layers by name instead.{hint}"
        )
    for index, (name, layer) in enumerate(zip(saved, layers)):
        values = _read_weight_list(group[name])
        where = f"layer #{index} ('{layer.name}' in the model, '{name}' in the file)"
        _assign(layer, legacy_weights(layer), values, where, skip_mismatch)
    _load_top_level(group, model, skip_mismatch)


def load_weights_from_group_by_name(group, model, skip_mismatch=False, filename="the file"):
    """Each saved layer's weights go to the model's layers of the same name; others are skipped."""
    by_name = {}
    for layer in model.layers:
        by_name.setdefault(layer.name, []).append(layer)
    for index, name in enumerate(_read_name_list(group, "layer_names")):
        if name not in group or name not in by_name:
            continue
        values = _read_weight_list(group[name])
        for layer in by_name[name]:
            weights = legacy_weights(layer)
            where = f"layer #{index} ('{name}')"
            if len(values) != len(weights):
                message = (f"{where}: the model's layer has {len(weights)} weights, "
                           f"'{filename}' holds {len(values)}.")
                if skip_mismatch:
                    warnings.warn(f"Skipping {message}", stacklevel=4)
                    continue
                raise ValueError(f"Weight count mismatch for {message}")
            _assign(layer, weights, values, where, skip_mismatch)
    _load_top_level(group, model, skip_mismatch)


def _load_top_level(group, model, skip_mismatch):
    if "top_level_model_weights" not in group:
        return
    values = _read_weight_list(group["top_level_model_weights"])
    weights = top_level_weights(model)
    if len(values) != len(weights):
        message = (f"the model owns {len(weights)} weights directly, the file holds "
                   f"{len(values)} top-level weights.")
        if skip_mismatch:
            warnings.warn(f"Skipping top-level weights: {message}", stacklevel=4)
            return
        raise ValueError(f"Weight count mismatch: {message}")
    _assign(model, weights, values, "the model's top-level weights", skip_mismatch)


def _read_weight_list(group):
    return [np.asarray(group[name]) for name in _read_name_list(group, "weight_names")]


def _assign(layer, weights, values, where, skip_mismatch):
    if len(values) != len(weights):
        raise ValueError(
            f"Weight count mismatch for {where}: the layer has {len(weights)} weights "
            f"{[tuple(w.shape) for w in weights]}, the file holds {len(values)} "
            f"{[tuple(v.shape) for v in values]}."
        )
    for weight, value in zip(weights, values):
        if tuple(weight.shape) != tuple(value.shape):
            message = (f"{where}, weight '{getattr(weight, 'path', '?')}': the layer expects "
                       f"shape {tuple(weight.shape)}, the file holds shape {tuple(value.shape)}.")
            if skip_mismatch:
                warnings.warn(f"Skipping {message}", stacklevel=5)
                continue
            raise ValueError(f"Shape mismatch in {message}")
        assign_full(weight, value)  # (a sharded weight keeps its own part)


def _compile(model, training_config, custom_objects):
    outputs = getattr(model, "outputs", None)
    count = len(outputs) if isinstance(outputs, (list, tuple)) else 1
    compile_config = legacy_config.translate_training_config(training_config, count)
    with _legacy_spellings_accepted(), CustomObjectScope(custom_objects or {}):
        model.compile_from_config(compile_config)


def _load_optimizer_weights(model, group, filename):
    if not (model.built and model.weights):
        return
    model._prepare_optimizer()
    optimizer = model.optimizer
    names = _read_name_list(group, "weight_names")
    values = [np.asarray(group[name]) for name in names]
    values = _line_up_optimizer_values(optimizer, names, values)
    expected = [tuple(v.shape) for v in optimizer.variables]
    if values is None or [tuple(np.shape(v)) for v in values] != expected:
        warnings.warn(
            f"The optimizer state in '{filename}' ({len(names)} variables) does not fit this "
            f"model's {type(optimizer).__name__} ({len(expected)} variables); the optimizer "
            "starts fresh. The model's weights were loaded.", stacklevel=4)
        return
    optimizer.set_weights(values)


def _line_up_optimizer_values(optimizer, names, values):
    """Saved optimizer values in lamina's order `[iteration, learning_rate, slots...]` with the
    slots variable-major (all slots of variable 0, then of variable 1, ...), or None."""
    variables = optimizer.variables
    has_rate = len(optimizer.variable_names) > 1 and \
        optimizer.variable_names[1].endswith("/learning_rate")
    saved_rate = any(name.split(":")[0].endswith("learning_rate") for name in names)
    if has_rate and not saved_rate and values:
        # Keras 2 kept the learning rate out of the optimizer's weights: keep the current one.
        values = values[:1] + [to_numpy(variables[1])] + values[1:]
        names = names[:1] + ["learning_rate"] + names[1:]
    head = 2 if has_rate else 1
    if len(variables) == head and len(values) > head:
        # This optimizer keeps no per-variable state (e.g. SGD without momentum), but the
        # writer's did (Keras 2's SGD always kept momentum buffers): only the counters apply.
        return values[:head]
    if len(values) != len(variables):
        return None
    slots, slot_names = values[head:], names[head:]
    variable_count = len(getattr(optimizer, "_trainable_variables", []))
    if variable_count > 1 and slots and len(slots) % variable_count == 0 and \
            len(slots) > variable_count:
        # TF's legacy optimizers saved slot-major ("Adam/dense/kernel/m:0", ".../bias/m:0", ...,
        # then the "v" slots); recognised by the first `variable_count` names sharing a slot name.
        slot_kinds = {name.rsplit("/", 1)[-1] for name in slot_names[:variable_count]}
        if len(slot_kinds) == 1 and ":" in next(iter(slot_kinds)):
            per_variable = len(slots) // variable_count
            slots = [slots[kind * variable_count + index]
                     for index in range(variable_count) for kind in range(per_variable)]
    return values[:head] + slots


# =========================================================================== file checks

class _open:
    """Open an HDF5 file for reading, turning every way that can fail into a clear error."""

    def __init__(self, filepath):
        self.filepath = filepath

    def __enter__(self):
        import h5py

        if not os.path.exists(self.filepath):
            raise FileNotFoundError(f"No such file: '{self.filepath}'.")
        if os.path.isdir(self.filepath):
            raise ValueError(f"'{self.filepath}' is a directory, not an .h5 file.")
        if not h5py.is_hdf5(self.filepath):
            raise ValueError(
                f"'{self.filepath}' is not an HDF5 file ({_describe(self.filepath)}), so it is "
                "not a Keras .h5 model. It may be truncated, corrupted, or a different kind of "
                "file."
            )
        try:
            self.file = h5py.File(self.filepath, "r")
        except OSError as error:
            raise ValueError(
                f"'{self.filepath}' is a damaged HDF5 file (truncated or corrupted) and cannot be "
                f"opened: {error}."
            ) from error
        return self.file

    def __exit__(self, *exc):
        self.file.close()


def _guard(filepath, fn, *args, **kwargs):
    """Run a reader; HDF5 errors from a damaged file become a ValueError naming the file."""
    try:
        return fn(*args, **kwargs)
    except (OSError, KeyError, RuntimeError) as error:
        raise ValueError(
            f"'{filepath}' is damaged (truncated or corrupted) and its weights cannot be read: "
            f"{error}."
        ) from error


def _read_json_attribute(f, name, filepath):
    if name not in f.attrs:
        return None
    value = f.attrs[name]
    if isinstance(value, bytes):
        value = value.decode("utf8")
    try:
        return json.loads(str(value))
    except json.JSONDecodeError as error:
        raise ValueError(f"'{filepath}' has a corrupted `{name}` attribute: {error}.") from error


def _no_model_message(f, filepath):
    if _has_name_list(f, "layer_names"):
        return (
            f"'{filepath}' holds only weights (it was written by save_weights()), not a whole "
            "model: it has no `model_config`. Build the model in code, then call "
            f"model.load_weights('{os.path.basename(filepath)}')."
        )
    if "vars" in f or "layers" in f:
        return (
            f"'{filepath}' holds weights in Keras 3's layout (a `.weights.h5` file), not a "
            "whole model: it has no `model_config`. Build the model in code and call "
            "model.load_weights() on the file renamed to end in `.weights.h5`."
        )
    return (
        f"'{filepath}' is an HDF5 file but not a saved Keras model: it has no `model_config` "
        "attribute (Keras writes one with model.save('x.h5'))."
    )


def _no_weights_message(f, filepath):
    if "vars" in f or "layers" in f:
        return (
            f"'{filepath}' holds weights in Keras 3's layout, not the legacy `.h5` layout. "
            "Rename it to end in `.weights.h5` and load that."
        )
    return (
        f"'{filepath}' is an HDF5 file but holds no Keras weights: it has no `layer_names` "
        "attribute (neither at the root nor in a `model_weights` group)."
    )


def _describe(filepath):
    with open(filepath, "rb") as f:
        head = f.read(8)
    if not head:
        return "it is empty"
    if head.startswith(b"PK"):
        return "it is a zip archive, perhaps a .keras file; name it `.keras`"
    return f"it starts with bytes {head!r}"


class _legacy_spellings_accepted(warnings.catch_warnings):
    """Old files use Keras 1/2 spellings on purpose; the DeprecationWarnings those trigger are
    meant for people writing code, not for someone loading a file, so they stay inside."""

    def __enter__(self):
        result = super().__enter__()
        warnings.simplefilter("ignore", DeprecationWarning)
        return result
