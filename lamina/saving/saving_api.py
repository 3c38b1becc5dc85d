"""`save_model` / `load_model` / `save_weights` / `load_weights`: pick the format by file name.

- `.keras` (or a directory written with `zipped=False`): the Keras 3 archive;
- `.weights.h5`: Keras 3 weights layout;
- `.h5` / `.hdf5`: legacy Keras 2 HDF5 (whole model or weights);
- `.pt` / `.pth`: a PyTorch `state_dict` (weights only).
"""

import errno
import os

import torch

from lamina.saving import atomic, keras_archive, weights_store


def _kind(filepath):
    name = os.fspath(filepath)
    if name.endswith(".keras"):
        return "keras"
    if name.endswith(".weights.h5"):
        return "weights_h5"
    if name.endswith((".h5", ".hdf5")):
        return "legacy_h5"
    if name.endswith((".pt", ".pth")):
        return "torch"
    return None


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    from lamina.distribution import model_parallel

    # A model sharded by ModelParallel is gathered by every process; process 0 writes it.
    with model_parallel.gathered(model) as sharded:
        if not sharded or model_parallel.is_main_process():
            return _save_model(model, filepath, overwrite, zipped, **kwargs)


def _save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    kind = _kind(filepath)
    if zipped is False and kind is None:
        kind = "keras_directory"
    if kind not in ("keras", "legacy_h5", "keras_directory"):
        raise ValueError(
            f"Cannot tell the format from the file name '{filepath}'. Use a name ending in "
            "`.keras` (recommended) or `.h5` (legacy Keras 2 format); for weights only, use "
            "model.save_weights('name.weights.h5')."
        )
    if kwargs:
        from lamina.utils.arguments import check_kwargs

        check_kwargs(kwargs, {"include_optimizer", "save_format"}, "save_model()")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"'{filepath}' exists and overwrite=False.")
    if kind == "legacy_h5":
        from lamina.saving import legacy_h5

        return legacy_h5.save_model(model, filepath,
                                    include_optimizer=kwargs.get("include_optimizer", True))
    return keras_archive.save_model(model, filepath, zipped=kind == "keras")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    kind = _kind(filepath)
    if kind == "keras" or os.path.isdir(os.fspath(filepath)):
        return keras_archive.load_model(filepath, custom_objects, compile, safe_mode)
    if kind == "legacy_h5":
        from lamina.saving import legacy_h5

        return legacy_h5.load_model(filepath, custom_objects, compile, safe_mode)
    raise ValueError(
        f"File format not supported: '{filepath}'. lamina loads `.keras` files (Keras 3), "
        "`.h5`/`.hdf5` files (Keras 2), and directories written with zipped=False. For weights "
        "files, build the model and call model.load_weights()."
    )


def save_weights(model, filepath, overwrite=True, max_shard_size=None):
    from lamina.distribution import model_parallel

    # A model sharded by ModelParallel is gathered by every process; process 0 writes it.
    with model_parallel.gathered(model) as sharded:
        if not sharded or model_parallel.is_main_process():
            return _save_weights(model, filepath, overwrite, max_shard_size)


def _save_weights(model, filepath, overwrite=True, max_shard_size=None):
    kind = _kind(filepath)
    if max_shard_size is not None:
        raise NotImplementedError("Sharded weights (max_shard_size=) are not supported yet.")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"'{filepath}' exists and overwrite=False.")
    if kind == "weights_h5":
        with atomic.h5_file(filepath) as f:
            weights_store.save_weights_to_group(model, f)
    elif kind == "legacy_h5":
        from lamina.saving import legacy_h5

        legacy_h5.save_weights(model, filepath)
    elif kind == "torch":
        atomic.torch_save(model.state_dict(), filepath)
    else:
        raise ValueError(
            f"The file name must end in `.weights.h5` for save_weights(); received '{filepath}'. "
            "(`.h5` writes the legacy Keras 2 layout, `.pt` a PyTorch state_dict.)"
        )


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    kind = _kind(filepath)
    by_name = kwargs.pop("by_name", False)
    if kwargs:
        from lamina.utils.arguments import check_kwargs

        check_kwargs(kwargs, set(), "load_weights()")
    if not os.path.exists(filepath):
        raise FileNotFoundError(errno.ENOENT, f"No such file: '{filepath}'.")
    if kind != "keras" and os.path.isdir(filepath):
        raise IsADirectoryError(
            errno.EISDIR, f"'{filepath}' is a directory, not a weights file. Give the file's path.")
    if kind == "keras":
        loaded = keras_archive.load_model(filepath, compile=False)
        model.set_weights(loaded.get_weights())
    elif kind == "weights_h5":
        _check_hdf5(filepath)
        weights_store.load_weights_h5(model, filepath, skip_mismatch)
    elif kind == "legacy_h5":
        _check_hdf5(filepath)
        from lamina.saving import legacy_h5

        legacy_h5.load_weights(model, filepath, by_name=by_name, skip_mismatch=skip_mismatch)
    elif kind == "torch":
        from lamina.saving import torch_file

        try:
            state = torch_file.load(filepath, "a PyTorch state_dict file (torch.save)")
        except torch_file.RefusedContent as error:
            raise ValueError(
                f"{error} A weights file holds a state_dict: save one with "
                "`torch.save(model.state_dict(), path)`. If you trust this file, load it yourself "
                "with `torch.load(path, weights_only=False)` and pass the tensors to "
                "`model.load_state_dict`."
            ) from error
        if not isinstance(state, dict) or not all(
                isinstance(value, torch.Tensor) for value in state.values()):
            raise ValueError(f"'{filepath}' is not a state_dict (a dict of tensors by name); "
                             f"it holds a {type(state).__name__}.")
        own = model.state_dict()
        if set(state) != set(own) and len(state) == len(own) and all(
            tuple(a.shape) == tuple(b.shape) for a, b in zip(state.values(), own.values())
        ):
            # Same architecture, other auto-generated layer names (`dense_4` vs `dense`): match
            # by position, as Keras's legacy loader does.
            state = dict(zip(own, state.values()))
        return model.load_state_dict(state, strict=not skip_mismatch)
    else:
        raise ValueError(
            f"Cannot load weights from '{filepath}': expected a `.weights.h5`, `.keras`, `.h5` or "
            "`.pt` file."
        )


def _check_hdf5(filepath):
    import h5py

    if not h5py.is_hdf5(filepath):
        raise ValueError(
            f"'{filepath}' is not an HDF5 file, so it cannot hold weights. It may be truncated, "
            "corrupted, or a different kind of file."
        )
