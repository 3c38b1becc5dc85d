"""`KerasFileEditor`: inspect and edit the weights of a `.keras` or `.weights.h5` file without
building the model, then write them out as a `.weights.h5` file.

The file's weights become a tree of dicts, `weights_dict`: each object of the saved model (a
layer, a nested model, an optimizer) is a dict keyed by its place in Keras's weights layout
(`layers`, `dense_1`, `cell`, ...), and holds its own weights as arrays under their index
(`"0"`, `"1"`, ...) beside its child objects. On disk, an object's weights live in `<path>/vars`
(see weights_store.py); `save()` writes the tree back in that layout.

Unlike Keras's editor, an object that has weights of its own *and* child objects (a nested model,
an LSTM and its cell) keeps both here, so nothing is dropped when a file is read and saved again.
"""

import difflib
import io
import json
import math
import os
import zipfile

import h5py
import numpy as np

from lamina.registry.export import keras_export
from lamina.saving import atomic, keras_archive, weights_store

_MAX_DATASET_BYTES = 1 << 32  # a file claiming a bigger weight is refused, not read (as Keras)
_MAX_RANK = 64


@keras_export("saving.KerasFileEditor")
class KerasFileEditor:
    """Inspect, edit and re-save the weights of a Keras model file.

    Useful to adapt a saved weights file to a model whose architecture has changed: rename,
    delete or add layers and weights, check the result against the new model with `compare`,
    then save it and load it with `model.load_weights`.

    Args:
        filepath: a `.keras` model file (or an unzipped `.keras` directory) or a `.weights.h5`
            file.

    Example:

    ```python
    editor = KerasFileEditor("my_model.keras")
    editor.summary()                          # the objects and weights in the file
    editor.delete_object("layers/dense_2")    # drop a layer's weights
    editor.add_object("layers/einsum_dense", weights={"0": kernel, "1": bias})
    editor.compare(new_model)                 # what still differs from the new model
    editor.save("edited.weights.h5")
    new_model.load_weights("edited.weights.h5")
    ```
    """

    def __init__(self, filepath):
        self.filepath = os.fspath(filepath)
        self.config = None
        self.metadata = None
        self._printer = _Printer()
        weights_file = self._open_weights(self.filepath)
        try:
            self.object_metadata = {}  # {"/layers/dense": {"name": "dense"}}, as Keras's editor
            self.weights_dict = _read_group(weights_file, "", self.object_metadata)
        finally:
            weights_file.close()
        self._print_file_info()

    def _open_weights(self, filepath):
        if filepath.endswith(".keras"):
            config_json, weights_bytes = keras_archive._read_members(filepath)
            try:
                self.config = json.loads(config_json)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise ValueError(f"'{filepath}' has a corrupted config.json: {error}.") from error
            self.metadata = _read_metadata(filepath)
            return _open_h5(io.BytesIO(weights_bytes), f"the model.weights.h5 in '{filepath}'")
        if filepath.endswith(".weights.h5"):
            if not os.path.isfile(filepath):
                raise FileNotFoundError(f"No such file: '{filepath}'.")
            return _open_h5(filepath, f"'{filepath}'")
        raise ValueError(
            "KerasFileEditor opens `.keras` model files and `.weights.h5` weights files. "
            f"Received: filepath={filepath}. A legacy `.h5` model can be converted by loading it "
            "with `load_model` and saving it again with `model.save_weights('x.weights.h5')`."
        )

    # Display ---------------------------------------------------------------------------------

    def _print_file_info(self):
        p = self._printer
        p.print("Keras model file " + p.style(f"'{self.filepath}'", "color(33)"))
        if self.metadata is not None:
            version = str(self.metadata.get("keras_version", "?"))
            date = str(self.metadata.get("date_saved", "?"))
            p.print(f"Saved with Keras {p.style(version, 'color(33)')} - "
                    f"date: {p.style(date, 'color(33)')}")

    def summary(self):
        """Print the objects and weights in the file as a tree, with each weight's shape."""
        p = self._printer
        p.print("Weights structure")
        root_name = self.object_metadata.get("", {}).get("name")
        if root_name:
            p.print(p.text(f"(model '{root_name}')"))
        for line in _tree_lines(self.weights_dict, "", "", self.object_metadata, p):
            p.print(line)
        arrays = list(_flatten(self.weights_dict))
        total = sum(int(np.prod(np.shape(value))) for _, value in arrays)
        p.print(f"{len(arrays):,} weight{'s' if len(arrays) != 1 else ''}, "
                f"{total:,} value{'s' if total != 1 else ''} in all")

    def weights_summary(self):
        """The same as `summary()` (the name Keras's error messages point to)."""
        self.summary()

    def compare(self, reference_model):
        """Compare the file's weights with those of `reference_model` and print the mismatches.

        Args:
            reference_model: a model built the way the file should fit.

        Returns:
            A dict with `"status"` (`"success"` or `"error"`), `"error_count"` (the number of
            mismatches: an object or weight on one side only, or a weight whose shape differs)
            and `"match_count"` (the number of weights present on both sides with equal shapes).
        """
        p = self._printer
        p.print("Running comparison")
        reference = _model_weight_spec(reference_model)
        problems, matches = [], [0]
        _compare_trees(self.weights_dict, reference, "", problems, matches)
        for problem in problems:
            p.print(p.style("...", "color(160)") + p.text(problem))
        p.print("─────────────────────")
        count = len(problems)
        if count == 0:
            p.print(p.style("Comparison successful:", "bold color(28)")
                    + " saved file is compatible with the reference model")
            p.print(f"    Found {matches[0]} matching weight{'s' if matches[0] != 1 else ''}")
        else:
            p.print(p.style(f"Found {count} error{'s' if count != 1 else ''}:", "bold color(160)")
                    + " saved file is not compatible with the reference model")
        return {"status": "error" if count else "success", "error_count": count,
                "match_count": matches[0]}

    # Edits -----------------------------------------------------------------------------------

    def rename_object(self, object_name, new_name):
        """Rename an object of the file (a layer, an optimizer, ...).

        Args:
            object_name: the object's name (`"dense_2"`, when it occurs once in the file) or full
                path (`"layers/dense_2"`).
            new_name: its new name: a single name such as `"dense_3"`, not a path.
        """
        if not isinstance(new_name, str) or not new_name or "/" in new_name:
            raise ValueError(
                "`new_name` must be a single name (the last part of a path), e.g. 'dense_3'. "
                f"Received: new_name={new_name!r}. To move an object elsewhere, delete it and "
                "add it under its new path with `add_object`."
            )
        parent, key = self._locate(object_name)
        if new_name in parent:
            raise ValueError(
                f"Cannot rename '{object_name}' to '{new_name}': that name is already taken there. "
                f"Delete the existing object first with `delete_object('{new_name}')` (or its "
                "full path), or pick another name."
            )
        # Rebuild the parent so the renamed object keeps its position (the summary's order).
        items = [(new_name if k == key else k, v) for k, v in parent.items()]
        parent.clear()
        parent.update(items)

    def delete_object(self, object_name):
        """Remove an object (and everything in it) from the file.

        Args:
            object_name: the object's name (`"dense_2"`) or full path (`"layers/dense_2"`).
        """
        parent, key = self._locate(object_name)
        del parent[key]

    def add_object(self, object_path, weights):
        """Add a new object (e.g. a layer) with its weights.

        Args:
            object_path: the new object's full path, e.g. `"layers/dense_2"` (its parent,
                `"layers"`, must exist), or a name for an object at the top of the file.
            weights: a dict from weight names (`"0"`, `"1"`, ... in the order the layer creates
                its weights) to arrays, e.g. `{"0": kernel, "1": bias}`.
        """
        weights = _check_weights(weights)
        if not isinstance(object_path, str) or not object_path.strip("/"):
            raise ValueError(f"`object_path` must be a path such as 'layers/dense_2'. "
                             f"Received: object_path={object_path!r}")
        *parents, name = object_path.strip("/").split("/")
        parent = self.weights_dict
        for depth, part in enumerate(parents):
            if not isinstance(parent.get(part), dict):
                missing = "/".join(parents[:depth + 1])
                raise ValueError(f"Cannot add '{object_path}': the file has no object '{missing}'. "
                                 + self._nearest(missing))
            parent = parent[part]
        if name in parent:
            raise ValueError(
                f"Cannot add '{object_path}': it already exists. Use `add_weights` to add weights "
                "to it, or `delete_object` first to replace it."
            )
        parent[name] = weights

    def delete_weight(self, object_name, weight_name):
        """Remove one weight from an object.

        Args:
            object_name: the object's name (`"dense_2"`) or full path (`"layers/dense_2"`).
            weight_name: the weight's name in the object, e.g. `"1"`.
        """
        obj = self._object(object_name)
        if weight_name not in obj or isinstance(obj[weight_name], dict):
            found = [k for k, v in obj.items() if not isinstance(v, dict)]
            raise ValueError(f"Weight {weight_name!r} not found in object '{object_name}'. "
                             f"Weights found: {found}.")
        del obj[weight_name]

    def add_weights(self, object_name, weights):
        """Add weights to an existing object (a weight of the same name is replaced).

        Args:
            object_name: the object's name (`"dense_2"`) or full path (`"layers/dense_2"`).
            weights: a dict from weight names to arrays, e.g. `{"1": bias}`.
        """
        weights = _check_weights(weights)
        self._object(object_name).update(weights)

    # Saving ----------------------------------------------------------------------------------

    def save(self, filepath):
        """Write the (edited) weights to a `.weights.h5` file, for `model.load_weights`.

        The file is written under a temporary name and renamed into place, so an existing file
        at `filepath` stays intact if writing fails.

        Args:
            filepath: where to write; must end in `.weights.h5`.
        """
        filepath = os.fspath(filepath)
        if not str(filepath).endswith(".weights.h5"):
            raise ValueError(
                "KerasFileEditor saves weights only, to a file whose name ends in `.weights.h5`. "
                f"Received: filepath={filepath}. To get a `.keras` model, load the saved weights "
                "into the model with `model.load_weights(...)` and call `model.save(...)`."
            )
        # Built in memory, then written in one go: h5py's own writes cannot be made atomic.
        buffer = io.BytesIO()
        with h5py.File(buffer, "w") as f:
            _write_group(f, self.weights_dict, "")
        with atomic.atomic_write(filepath) as f:
            f.write(buffer.getbuffer())

    def resave_weights(self, filepath):
        """The same as `save(filepath)`."""
        self.save(filepath)

    # Finding objects -------------------------------------------------------------------------

    def _locate(self, object_name):
        """(parent dict, key) of the entry named by a full path or by a name found once."""
        if not isinstance(object_name, str) or not object_name.strip("/"):
            raise ValueError("Expected an object name such as 'dense_2' or a path such as "
                             f"'layers/dense_2'. Received: {object_name!r}")
        path = object_name.strip("/")
        if "/" not in path:
            paths = [p for p, _ in _walk(self.weights_dict) if p.rsplit("/", 1)[-1] == path]
            if len(paths) > 1:
                raise ValueError(f"Name '{path}' occurs more than once in the file, at {paths}. "
                                 "Pass the full path of the one you mean.")
            if not paths:
                raise ValueError(f"The file has no object or weight named '{path}'. "
                                 + self._nearest(path))
            path = paths[0]
        *parents, key = path.split("/")
        parent = self.weights_dict
        for part in parents:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or key not in parent:
            raise ValueError(f"Path '{path}' not found in the file. " + self._nearest(path))
        return parent, key

    def _object(self, object_name):
        parent, key = self._locate(object_name)
        if not isinstance(parent[key], dict):
            raise ValueError(f"'{object_name}' is a weight, not an object: pass the object that "
                             "holds it (the path without its last part).")
        return parent[key]

    def _nearest(self, path):
        """The existing paths most like `path`, to put in an error message."""
        paths = [p for p, value in _walk(self.weights_dict) if isinstance(value, dict)]
        names = {p.rsplit("/", 1)[-1]: p for p in paths}
        close = difflib.get_close_matches(path, paths, n=5, cutoff=0.5)
        close += [names[n] for n in difflib.get_close_matches(path, list(names), n=3, cutoff=0.6)
                  if names[n] not in close]
        if not close:
            close = paths[:8]
        return (f"Nearest existing object paths: {close}. `summary()` lists them all."
                if close else "The file holds no objects.")


# Reading and writing the tree ----------------------------------------------------------------


def _open_h5(source, description):
    try:
        return h5py.File(source, "r")
    except OSError as error:
        raise ValueError(f"{description} is not a readable HDF5 weights file (truncated, "
                         f"corrupted, or another kind of file): {error}.") from error


def _read_group(group, path, metadata):
    """The tree of one object: its own weights (from `vars`) and its child objects."""
    tree = {}
    attrs = dict(group.attrs)
    for key in group:
        child_path = f"{path}/{key}" if path else key
        kind = group.get(key, getclass=True, getlink=True)
        if kind in (h5py.SoftLink, h5py.ExternalLink):
            raise ValueError(f"Refusing to read '{child_path}': the file links it elsewhere "
                             f"({kind.__name__}), which a Keras weights file never does.")
        value = group[key]
        if key == "vars" and isinstance(value, h5py.Group):
            attrs.update(value.attrs)
            for name in value:  # (a vars group holds datasets only; anything else is checked)
                kind = value.get(name, getclass=True, getlink=True)
                if kind in (h5py.SoftLink, h5py.ExternalLink):
                    raise ValueError(f"Refusing to read '{child_path}/{name}': the file links "
                                     f"it elsewhere ({kind.__name__}).")
                if isinstance(value[name], h5py.Dataset):
                    tree[name] = _read_dataset(value[name], f"{child_path}/{name}")
        elif isinstance(value, h5py.Group):
            child = _read_group(value, child_path, metadata)
            if child:
                tree[key] = child
        elif isinstance(value, h5py.Dataset):
            tree[key] = _read_dataset(value, child_path)
    if attrs:
        metadata["/" + path if path else ""] = attrs
    return tree


def _read_dataset(dataset, path):
    if dataset.external:
        raise ValueError(f"Refusing to read '{path}': its data is stored outside the file.")
    if dataset.is_virtual:
        raise ValueError(f"Refusing to read '{path}': it is a virtual dataset (data from other "
                         "files).")
    shape = dataset.shape or ()
    if len(shape) > _MAX_RANK or any(dim < 0 for dim in shape):
        raise ValueError(f"Refusing to read '{path}': malformed shape {shape}.")
    size = math.prod(shape) * dataset.dtype.itemsize
    if size > _MAX_DATASET_BYTES:
        raise ValueError(f"Refusing to read '{path}': {size} bytes is more than the "
                         f"{_MAX_DATASET_BYTES} bytes a weight may take here.")
    return dataset[()]


def _write_group(h5_file, tree, path):
    """Keras's layout: an object's arrays in `<path>/vars/<name>`, its children below `path`."""
    arrays = {k: v for k, v in tree.items() if not isinstance(v, dict)}
    if arrays:
        group = h5_file.require_group(f"{path}/vars" if path else "vars")
        for name, value in arrays.items():
            group.create_dataset(name, data=np.asarray(value))
    for name, child in tree.items():
        if isinstance(child, dict) and child:
            _write_group(h5_file, child, f"{path}/{name}" if path else name)


def _read_metadata(filepath):
    """metadata.json of a `.keras` archive (or unzipped directory); None when it is absent."""
    try:
        if os.path.isdir(filepath):
            with open(os.path.join(filepath, "metadata.json"), "rb") as f:
                return json.loads(f.read())
        with zipfile.ZipFile(filepath) as archive:
            return json.loads(archive.read("metadata.json"))
    except (KeyError, FileNotFoundError, json.JSONDecodeError):
        return None


def _check_weights(weights):
    """`{"0": array, ...}` with arrays as numpy (nested dicts are child objects)."""
    if not isinstance(weights, dict):
        raise ValueError("`weights` must be a dict from weight names ('0', '1', ...) to arrays. "
                         f"Received: type(weights)={type(weights).__name__}")
    checked = {}
    for name, value in weights.items():
        if isinstance(name, int) and not isinstance(name, bool):
            name = str(name)
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"Weight names must be non-empty strings without '/', such as '0'. "
                             f"Received: {name!r}")
        if isinstance(value, dict):
            checked[name] = _check_weights(value)
            continue
        array = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
        if array.dtype == object:
            raise ValueError(f"Weight {name!r} must be an array of numbers. "
                             f"Received: {type(value).__name__}")
        checked[name] = array
    return checked


def _walk(tree, prefix=""):
    """(path, value) for every object and weight of the tree, depth first."""
    for key, value in tree.items():
        path = f"{prefix}/{key}" if prefix else key
        yield path, value
        if isinstance(value, dict):
            yield from _walk(value, path)


def _flatten(tree):
    return ((p, v) for p, v in _walk(tree) if not isinstance(v, dict))


# Comparing with a model ----------------------------------------------------------------------


def _model_weight_spec(model):
    """The tree `save_weights` would write for `model`, with weight shapes in place of values."""
    spec = {}
    for path, obj in weights_store.walk(model):
        if hasattr(obj, "save_own_variables"):
            store = {}
            obj.save_own_variables(store)
        else:
            store = {str(i): v for i, v in enumerate(weights_store.own_variables(obj) or [])}
        if not store:
            continue
        node = spec
        for part in path.split("/") if path else []:
            node = node.setdefault(part, {})
        node.update({key: tuple(np.shape(value)) if not hasattr(value, "shape")
                     else tuple(value.shape) for key, value in store.items()})
    return spec


def _compare_trees(saved, reference, path, problems, matches):
    for key in list(reference) + [k for k in saved if k not in reference]:
        where = f"{path}/{key}" if path else key
        in_file, in_model = saved.get(key), reference.get(key)
        if in_file is None or in_model is None:
            side = "reference model" if in_file is None else "saved file"
            other = "saved file" if in_file is None else "reference model"
            present = in_model if in_file is None else in_file
            if isinstance(present, dict):
                problems.append(f"Object {where} present in the {side}, missing from the {other} "
                                f"(it holds {sorted(k for k, _ in _walk(present))})")
            else:
                problems.append(f"Weight {where} present in the {side}, missing from the {other}")
        elif isinstance(in_file, dict) and isinstance(in_model, dict):
            _compare_trees(in_file, in_model, where, problems, matches)
        elif isinstance(in_file, dict) or isinstance(in_model, dict):
            problems.append(f"{where} is an object in the "
                            f"{'saved file' if isinstance(in_file, dict) else 'reference model'} "
                            "but a weight in the other")
        elif tuple(np.shape(in_file)) != tuple(in_model):
            problems.append(f"Weight shape mismatch for {where}: shape={tuple(in_model)} in the "
                            f"reference model, shape={tuple(np.shape(in_file))} in the saved file")
        else:
            matches[0] += 1


# Printing ------------------------------------------------------------------------------------


def _tree_lines(tree, prefix, path, metadata, printer):
    items = list(tree.items())
    for index, (key, value) in enumerate(items):
        last = index == len(items) - 1
        branch = "└── " if last else "├── "
        where = f"{path}/{key}" if path else key
        if isinstance(value, dict):
            label = printer.style(key, "bold")
            name = metadata.get("/" + where, {}).get("name")
            if name is not None:
                label += printer.text(f" ('{name}')")
            yield prefix + branch + label
            yield from _tree_lines(value, prefix + ("    " if last else "│   "), where, metadata,
                                   printer)
        else:
            yield (prefix + branch + printer.style(key, "bold")
                   + printer.text(f": shape={tuple(np.shape(value))}, "
                                  f"dtype={np.asarray(value).dtype}"))


class _Printer:
    """Prints through rich (styles, as `model.summary()`) when rich is installed, plain text
    otherwise. Text from the file goes through `text()` so it is never read as markup."""

    def __init__(self):
        try:
            from rich.console import Console
            from rich.markup import escape
        except ImportError:
            self._console = None
            return
        self._console = Console(highlight=False)
        self._escape = escape

    def text(self, text):
        return self._escape(text) if self._console is not None else text

    def style(self, text, style):
        return f"[{style}]{self._escape(text)}[/]" if self._console is not None else text

    def print(self, line):
        if self._console is None:
            print(line)
        else:
            self._console.print(line, soft_wrap=True)
