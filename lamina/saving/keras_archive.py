"""The `.keras` file: a zip of `metadata.json`, `config.json` and `model.weights.h5` (Keras 3).

Members are stored uncompressed and in Keras's order, so files cross between lamina and Keras 3
in both directions. `zipped=False` writes the same three entries into a directory.
"""

import datetime
import io
import json
import os
import tempfile
import zipfile

import h5py

from lamina.saving import atomic, weights_store
from lamina.registry.object_registry import CustomObjectScope
from lamina.registry.safe_mode import SafeModeScope
from lamina.registry.serialization import deserialize_layer, serialize_keras_object, serialize_layer

KERAS_VERSION = "3.15.1"  # the Keras file-format version these files follow
_CONFIG, _METADATA, _WEIGHTS = "config.json", "metadata.json", "model.weights.h5"


def model_config(model):
    """config.json's content: the model's config plus how to rebuild and compile it."""
    config = serialize_layer(model)
    config["build_config"] = model.get_build_config() if hasattr(model, "get_build_config") else None
    compile_config = model.get_compile_config() if hasattr(model, "get_compile_config") else None
    # A model may override get_compile_config() with objects in it (Keras serializes them too).
    config["compile_config"] = serialize_keras_object(compile_config)
    return config


def save_model(model, filepath, zipped=True):
    filepath = os.fspath(filepath)
    if getattr(model, "compiled", False) and model.built and model.weights:
        model._prepare_optimizer()  # so the file always carries the optimizer's full state
    config_json = json.dumps(model_config(model))
    metadata_json = json.dumps({
        "keras_version": KERAS_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    })
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        weights_store.save_weights_to_group(model, f)
    if not zipped:
        atomic.make_directories(filepath)
        _save_assets(model, filepath)
        for name, data in ((_METADATA, metadata_json), (_CONFIG, config_json),
                           (_WEIGHTS, weights.getvalue())):
            with atomic.atomic_write(os.path.join(filepath, name)) as f:
                f.write(data.encode() if isinstance(data, str) else data)
        return
    with tempfile.TemporaryDirectory() as assets_dir, atomic.atomic_write(filepath) as f:
        assets = _save_assets(model, assets_dir)
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(_METADATA, metadata_json)
            archive.writestr(_CONFIG, config_json)
            archive.writestr(_WEIGHTS, weights.getvalue())
            for arcname, path in assets:
                archive.write(path, arcname)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    filepath = os.fspath(filepath)
    config_json, weights_bytes = _read_members(filepath)
    with tempfile.TemporaryDirectory() as assets_dir:
        model = _load(filepath, config_json, weights_bytes, custom_objects, compile, safe_mode)
        _load_assets(model, filepath, assets_dir)
    return model


def _load(filepath, config_json, weights_bytes, custom_objects, compile, safe_mode):
    try:
        config = json.loads(config_json)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(
            f"'{filepath}' has a corrupted config.json (not JSON): {error}.") from error
    _check_config(config, filepath)
    with SafeModeScope(safe_mode):
        try:
            model = deserialize_layer(config, custom_objects)
        except (KeyError, TypeError) as error:  # a field the class's from_config needs
            raise ValueError(
                f"'{filepath}' has a config.json that does not describe a model lamina can "
                f"rebuild: {type(error).__name__}: {error}. It was not written by Keras or "
                "lamina, or was edited; check the field named above."
            ) from error
        compile_config = config.get("compile_config")
        if compile and compile_config:
            with CustomObjectScope(custom_objects or {}):  # (Keras's signature: config only)
                model.compile_from_config(compile_config)
    if compile and compile_config and getattr(model, "optimizer", None) is not None:
        model._prepare_optimizer()
    _check_hdf5_member(weights_bytes, filepath)
    try:
        with h5py.File(io.BytesIO(weights_bytes), "r") as f:
            weights_store.load_weights_from_group(model, f, filename=filepath)
    except OSError as error:
        raise ValueError(f"'{filepath}' holds a damaged {_WEIGHTS} (truncated or corrupted): "
                         f"{error}.") from error
    return model


def _check_config(config, filepath, where="config.json"):
    """The fields every saved layer entry has: a `class_name` and a `config` dict (in a model,
    also for each entry of its `layers` list), checked before anything is built."""
    def problem(text):
        return ValueError(
            f"'{filepath}' has a config.json that does not describe a model: {text}. It was not "
            "written by Keras or lamina, or was edited."
        )

    if not isinstance(config, dict):
        raise problem(f"{where} is a {type(config).__name__}, not a layer entry (a JSON object "
                      "with `class_name` and `config`)")
    for field in ("class_name", "config"):
        if field not in config:
            raise problem(f"{where} has no `{field}` field")
    if not isinstance(config["config"], dict):
        raise problem(f"the `config` of {where} is a {type(config['config']).__name__}, not a "
                      "JSON object")
    layers = config["config"].get("layers")
    if isinstance(layers, list):
        for index, entry in enumerate(layers):
            name = entry.get("config", {}).get("name") if isinstance(entry, dict) else None
            label = f"layer {index}" + (f" ('{name}')" if isinstance(name, str) else "")
            _check_config(entry, filepath, f"{label} of {where}")


def _check_hdf5_member(data, filepath):
    if not bytes(data[:8]) == b"\x89HDF\r\n\x1a\n":
        head = bytes(data[:8])
        found = "it is empty" if not head else f"it starts with bytes {head!r}"
        raise ValueError(
            f"'{filepath}' holds a {_WEIGHTS} that is not an HDF5 file ({found}): the archive is "
            "damaged, or was not written by Keras or lamina."
        )


def _save_assets(model, root):
    """Files some layers keep beside their weights (lookup vocabularies), in Keras's layout:
    `assets/<path of the object in the weights file>/...`. Returns (archive name, file) pairs."""
    written = []
    for path, obj in weights_store.walk(model):
        if not hasattr(obj, "save_assets"):
            continue
        directory = os.path.join(root, "assets", path)
        os.makedirs(directory, exist_ok=True)
        obj.save_assets(directory)
        for name in sorted(os.listdir(directory)):
            if os.path.isfile(os.path.join(directory, name)):
                written.append((f"assets/{path}/{name}", os.path.join(directory, name)))
    return written


def _load_assets(model, filepath, scratch):
    """Give each object its `assets/<path>/` folder, from the archive or the directory."""
    if os.path.isdir(filepath):
        root = filepath
    else:
        with zipfile.ZipFile(filepath) as archive:
            members = [n for n in archive.namelist() if n.startswith("assets/")]
            if not members:
                return
            for name in members:
                if ".." in name.split("/") or name.startswith("/"):
                    raise ValueError(f"'{filepath}' holds an unsafe asset path: {name!r}.")
            archive.extractall(scratch, members)
        root = scratch
    for path, obj in weights_store.walk(model):
        directory = os.path.join(root, "assets", path)
        if hasattr(obj, "load_assets") and os.path.isdir(directory) and os.listdir(directory):
            obj.load_assets(directory)


def _read_members(filepath):
    if os.path.isdir(filepath):
        try:
            with open(os.path.join(filepath, _CONFIG), "rb") as f:
                config = f.read()
            with open(os.path.join(filepath, _WEIGHTS), "rb") as f:
                weights = f.read()
        except FileNotFoundError as error:
            raise ValueError(
                f"'{filepath}' is a directory but not an unzipped .keras model: {error.filename} "
                "is missing."
            ) from error
        return config, weights
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: '{filepath}'.")
    if not zipfile.is_zipfile(filepath):
        raise ValueError(
            f"'{filepath}' is not a .keras model file: it is not a zip archive "
            f"({_describe(filepath)}). It may be truncated, corrupted, or a different kind of file."
        )
    try:
        with zipfile.ZipFile(filepath) as archive:
            names = set(archive.namelist())
            missing = {_CONFIG, _WEIGHTS} - names
            if missing:
                raise ValueError(
                    f"'{filepath}' is a zip archive but not a .keras model: it lacks "
                    f"{', '.join(sorted(missing))}."
                )
            return archive.read(_CONFIG), archive.read(_WEIGHTS)
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise ValueError(f"'{filepath}' is a damaged .keras archive: {error}.") from error


def _describe(filepath):
    with open(filepath, "rb") as f:
        head = f.read(8)
    if head.startswith(b"\x89PNG"):
        return "it is a PNG image"
    if head.startswith(b"\x89HDF"):
        return "it is an HDF5 file; load it as .h5"
    if not head:
        return "it is empty"
    return f"it starts with bytes {head!r}"
