"""`ExportArchive`: several inference endpoints of one or more models, written as
`torch.export` programs.

Keras's `ExportArchive` writes a TensorFlow SavedModel. lamina runs on PyTorch, so the same
workflow (track the models, add named endpoints with input signatures, write out) produces a
directory of `torch.export` programs instead, one `<endpoint>.pt2` per endpoint, which load
without lamina:

    program = torch.export.load("path/serve.pt2")
    outputs = program.module()(inputs)

plus `endpoints.json` (the endpoints, their input signatures and the default one) and one
`<name>.pt` per variable collection (`torch.load(..., weights_only=True)` reads it).
"""

import contextlib
import json
import os
import re

import torch

from lamina.registry.object_registry import keras_export
from lamina.utils import tree

_MANIFEST = "endpoints.json"
_TENSORFLOW_FORMATS = ("saved_model", "neptune_model")


@keras_export("export.ExportArchive", package=False)
class ExportArchive:
    """Collects inference endpoints and writes them as `torch.export` programs.

    Example:

    ```python
    archive = lamina.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", model.call,
                         input_signature=[lamina.KerasTensor((None, 3), "float32")])
    archive.add_endpoint("serve_training", lambda x: model(x, training=True),
                         input_signature=[lamina.KerasTensor((None, 3), "float32")])
    archive.write_out("path/to/location")

    serve = torch.export.load("path/to/location/serve.pt2").module()
    ```

    Args:
        format: `"torch_export"` (the only format; alias `"torch"`). Keras's
            `"saved_model"` and `"neptune_model"` need TensorFlow and are refused.
    """

    def __init__(self, format="torch_export"):
        if format in _TENSORFLOW_FORMATS:
            raise ValueError(
                f"ExportArchive(format={format!r}) writes a TensorFlow SavedModel, which needs "
                "TensorFlow; lamina runs on PyTorch. Use ExportArchive() (torch.export "
                "programs), or model.export(path, format='onnx') for other runtimes."
            )
        if format not in ("torch_export", "torch"):
            raise ValueError(
                f"Unknown ExportArchive format {format!r}. Valid formats: 'torch_export' "
                "(alias 'torch')."
            )
        self._tracked = []
        self._endpoints = {}  # name -> (ExportedProgram, input signature)
        self._collections = {}

    # -------------------------------------------------------------------- tracked weights
    @property
    def variables(self):
        """The weights of the tracked models and layers (each once)."""
        return _unique(p for module in self._tracked for p in module.parameters())

    @property
    def trainable_variables(self):
        return [v for v in self.variables if v.requires_grad]

    @property
    def non_trainable_variables(self):
        return [v for v in self.variables if not v.requires_grad]

    def track(self, resource):
        """Make the weights of `resource` (a lamina layer or model, or any `torch.nn.Module`)
        part of the endpoints that use it. An endpoint whose function is a method of a module
        tracks that module by itself; functions that only close over a model (lambdas) need
        it tracked here."""
        if not isinstance(resource, torch.nn.Module):
            raise ValueError(
                "ExportArchive.track() takes a lamina layer or model (or a torch.nn.Module). "
                f"Received {resource!r} of type {type(resource).__name__}."
            )
        if not getattr(resource, "built", True):
            raise ValueError(
                f"Layer '{getattr(resource, 'name', resource)}' is not built yet, so it has no "
                "weights to export: call it on data (or build it) before tracking it."
            )
        if all(resource is not module for module in self._tracked):
            self._tracked.append(resource)

    # -------------------------------------------------------------------- endpoints
    def add_endpoint(self, name, fn, input_signature=None, **kwargs):
        """Trace `fn` on inputs of `input_signature` and register it as endpoint `name`.

        Args:
            name: The endpoint's name (a Python identifier; also its file name).
            fn: The function to export. It may only use weights of tracked modules (or of the
                module it is a method of).
            input_signature: One entry per positional argument of `fn`: a `KerasTensor` (or
                any object with `shape` and `dtype`), an example tensor or array (its batch
                axis becomes dynamic), or a shape tuple (floatx); nested lists and dicts for
                structured arguments. `None` dimensions stay dynamic where the function
                allows it. May be omitted when `fn` is a model (or its `call` / `__call__`)
                with known inputs.
            **kwargs: Passed to `torch.export.export` (e.g. `strict=True`).

        Returns:
            The traced endpoint, callable on tensors (`ExportedProgram.module()`).
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"Endpoint names must be Python identifiers (they name files and methods). "
                f"Received: name={name!r}"
            )
        if name in self._endpoints:
            raise ValueError(f"Endpoint name '{name}' is already taken.")
        for jax_only in ("jax2tf_kwargs", "is_static"):
            if jax_only in kwargs:
                raise ValueError(
                    f"'{jax_only}' configures Keras's JAX-to-TensorFlow conversion and has no "
                    "meaning in lamina; remove it."
                )
        owner = _owning_module(fn)
        if owner is not None:
            self.track(owner)
        signature = _signature(fn, owner, input_signature)
        program = _trace(fn, signature, self._tracked, name, kwargs)
        self._endpoints[name] = (program, signature)
        return program.module()

    def track_and_add_endpoint(self, name, resource, input_signature=None, **kwargs):
        """`track(resource)`, then `add_endpoint(name, resource, input_signature)`: the
        endpoint is the resource's inference call."""
        self.track(resource)
        return self.add_endpoint(name, resource, input_signature, **kwargs)

    def add_variable_collection(self, name, variables):
        """Save `variables` (a list, tuple or set of variables or tensors) with the archive,
        as `<name>.pt`: a dict from each variable's path (or `variable_<i>`) to its value."""
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"Collection names must be Python identifiers. Received: {name!r}")
        if not isinstance(variables, (list, tuple, set)):
            raise ValueError(
                "Expected `variables` to be a list, tuple or set. Received an object of type "
                f"{type(variables).__name__}."
            )
        strays = sorted({type(v).__name__ for v in variables if not isinstance(v, torch.Tensor)})
        if strays:
            raise ValueError(
                f"Every entry of `variables` must be a variable or tensor; found {strays}."
            )
        self._collections[name] = list(variables)

    # -------------------------------------------------------------------- writing
    def write_out(self, filepath, options=None, verbose=True):
        """Write the archive to the directory `filepath`: `<endpoint>.pt2` per endpoint,
        `<collection>.pt` per variable collection, and `endpoints.json`, whose "default" is
        the first endpoint (or the one named "serving_default")."""
        if not self._endpoints:
            raise ValueError("No endpoints have been added yet: call add_endpoint() first.")
        if options is not None:
            raise ValueError(
                "`options` takes TensorFlow's SaveOptions, which have no meaning for "
                "torch.export programs; leave it as None."
            )
        from lamina.saving import atomic

        directory = os.fspath(filepath)
        os.makedirs(directory, exist_ok=True)
        for name, (program, _) in self._endpoints.items():
            with atomic.atomic_write(os.path.join(directory, f"{name}.pt2")) as f:
                torch.export.save(program, f)
        for name, variables in self._collections.items():
            values = {_variable_key(v, i): v.detach().cpu().clone()
                      for i, v in enumerate(variables)}
            with atomic.atomic_write(os.path.join(directory, f"{name}.pt")) as f:
                torch.save(values, f)
        manifest = self._manifest()
        with atomic.atomic_write(os.path.join(directory, _MANIFEST), "w") as f:
            json.dump(manifest, f, indent=1)
        if verbose:
            print(self._describe(directory))

    def _manifest(self):
        names = list(self._endpoints)
        return {
            "format": "torch_export",
            "default": "serving_default" if "serving_default" in names else names[0],
            "endpoints": {name: {"file": f"{name}.pt2",
                                 "inputs": tree.map_structure(_spec_json, signature)}
                          for name, (_, signature) in self._endpoints.items()},
            "variable_collections": {name: f"{name}.pt" for name in self._collections},
        }

    def _describe(self, directory):
        lines = [f"Saved artifact at '{directory}'. The following endpoints are available:"]
        for name, (_, signature) in self._endpoints.items():
            inputs = ", ".join(f"{_shown_name(spec)}: {spec.dtype} {tuple(spec.shape)}"
                               for spec in tree.flatten(signature))
            lines.append(f"* Endpoint '{name}' ({name}.pt2), inputs: {inputs}")
        return "\n".join(lines)


class _Endpoint(torch.nn.Module):
    """Calls `fn`; the tracked modules are submodules, so their weights become the program's
    parameters rather than stray constants."""

    def __init__(self, fn, tracked):
        super().__init__()
        self._fn = (fn,)  # in a tuple: a module `fn` is already among the tracked ones
        self.tracked = torch.nn.ModuleList(tracked)

    def forward(self, *args):
        return self._fn[0](*args)


def _owning_module(fn):
    """The module `fn` belongs to: the module itself, or the owner of a bound method."""
    if isinstance(fn, torch.nn.Module):
        return fn
    owner = getattr(fn, "__self__", None)
    return owner if isinstance(owner, torch.nn.Module) else None


def _signature(fn, owner, input_signature):
    from lamina.saving import export

    if input_signature is None:
        if owner is None:
            raise ValueError(
                "add_endpoint() needs an `input_signature` for this function, to know the "
                "shapes and dtypes to trace it with, e.g.\n\n"
                "archive.add_endpoint('serve', fn, input_signature=[\n"
                "    lamina.KerasTensor((None, 224, 224, 3), 'float32')])"
            )
        return export._signature(owner, None)
    if not isinstance(input_signature, (list, tuple)) or export._is_shape(input_signature):
        input_signature = [input_signature]
    return [export._as_keras_tensors(spec) for spec in input_signature]


def _trace(fn, signature, tracked, name, kwargs):
    from lamina.saving import export

    device = next((p.device for m in tracked for p in m.parameters()), torch.device("cpu"))
    # The program takes the arguments in the signature's structure (lists, dicts of tensors).
    examples = tuple(tree.map_structure(lambda spec: export._example(spec, device), argument)
                     for argument in signature)
    dynamic = tuple(tree.map_structure(_dynamic_axes, argument) for argument in signature)
    wrapper = _Endpoint(fn, tracked)
    with contextlib.ExitStack() as stack:
        for module in tracked:
            stack.enter_context(_inference_mode(module))
            stack.enter_context(export._no_cached_shape_checks(module))
        try:
            # `forward(*args)`: the varargs are one argument to torch.export.
            program = torch.export.export(wrapper, examples, dynamic_shapes=(dynamic,),
                                          **kwargs)
        except Exception as error:  # torch raises many kinds here; all mean "cannot trace"
            raise ValueError(
                f"Could not trace endpoint '{name}' with torch.export: {error}\nCheck that the "
                "function uses torch operations only (no data-dependent Python control flow), "
                "that every model it uses is tracked (archive.track(model)), and that the "
                "input_signature matches its arguments."
            ) from error
    return export._with_plain_parameters(program)


def _dynamic_axes(spec):
    """Unknown sizes stay symbolic (torch.export may still pin those the function fixes)."""
    axes = {axis: torch.export.Dim.AUTO for axis, size in enumerate(spec.shape) if size is None}
    return axes or None


@contextlib.contextmanager
def _inference_mode(module):
    """Trace with the modules in eval mode, so plain calls are inference calls (as Keras's
    serving functions are); an explicit `training=True` still overrides it."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, mode in modes:
            m.train(mode)


def _unique(values):
    seen, result = set(), []
    for value in values:
        if id(value) not in seen:
            seen.add(id(value))
            result.append(value)
    return result


def _variable_key(variable, index):
    path = getattr(variable, "path", None)
    return path if isinstance(path, str) and path else f"variable_{index}"


def _spec_json(spec):
    return {"shape": list(spec.shape), "dtype": str(spec.dtype), "name": spec.name}


def _shown_name(spec):
    """A signature's input name; "input" for an unnamed one (a KerasTensor's auto name)."""
    name = getattr(spec, "name", None)
    return "input" if not name or re.fullmatch(r"keras_tensor(_\d+)?", name) else name
