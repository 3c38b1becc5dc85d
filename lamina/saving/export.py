"""`model.export(path, format=...)`: an inference-only artifact that runs without lamina.

Two formats, both produced from one `torch.export` trace of the model's inference call:

* `"torch_export"` (alias `"torch"`): a `torch.export.ExportedProgram` saved with
  `torch.export.save` (conventionally `.pt2`); reload it with `torch.export.load(path).module()`.
* `"onnx"`: the same program converted by `torch.onnx.export`; run it with onnxruntime.

Unknown dimensions of the input signature (the batch size, usually) stay dynamic where the model
allows it. Keras's TensorFlow-based formats (`tf_saved_model`, `litert`, `openvino`) are not
available: lamina runs on PyTorch.
"""

import contextlib
import io
import os
import warnings

import numpy as np
import torch

from lamina import config
from lamina.symbolic.keras_tensor import KerasTensor
from lamina.saving import atomic
from lamina.utils import tree

FORMATS = {"onnx": "onnx", "torch_export": "torch_export", "torch": "torch_export"}
_EXTENSIONS = {".onnx": "onnx", ".pt2": "torch_export"}
_TENSORFLOW_FORMATS = ("tf_saved_model", "litert", "tflite", "openvino")
_STAND_IN_SIZE = 2  # example size for unknown dimensions (0 and 1 would be specialized away)


def export(model, filepath, format=None, verbose=None, input_signature=None, **kwargs):
    """Write `model`'s inference function to `filepath` as ONNX or as a torch.export program.

    Args:
        model: A built lamina model (or layer).
        filepath: Where to write; `format=None` picks the format from the extension
            (`.onnx` or `.pt2`).
        format: `"onnx"`, `"torch_export"` or `"torch"` (same as "torch_export").
        verbose: Print where the artifact was written.
        input_signature: The inputs, one entry per positional argument of the model's call: a
            `KerasTensor`/`InputSpec`-like object with `shape` and `dtype`, a tensor or array
            (its shape and dtype; the batch axis is made dynamic), or a shape tuple (floatx).
            Nested lists stand for a model that takes a list of inputs. By default the model's
            own `inputs` (functional and Sequential models with an Input).
        **kwargs: Passed to `torch.onnx.export` (format "onnx") or `torch.export.export`.
    """
    filepath = os.fspath(filepath)
    format = _resolve_format(format, filepath)
    if format == "onnx":
        _require_onnx()
    structure = _signature(model, input_signature)
    leaves = tree.flatten(structure)
    device = _model_device(model)
    examples = tuple(_example(spec, device) for spec in leaves)
    dynamic = tuple({axis: torch.export.Dim.AUTO for axis, size in enumerate(spec.shape)
                     if size is None} or None for spec in leaves)
    wrapper = _InferenceCall(model, structure)
    if not all(getattr(layer, "built", True) for layer in model.modules()):
        # Weights created inside the trace would not belong to the program: build them first.
        with torch.no_grad():
            wrapper(*examples)
    export_kwargs = kwargs if format == "torch_export" else {}
    try:
        # `forward(*flat_inputs)`: the varargs are one argument to torch.export.
        with _no_cached_shape_checks(model):
            program = torch.export.export(wrapper, examples, dynamic_shapes=(dynamic,),
                                          **export_kwargs)
    except Exception as error:  # torch raises many kinds here; all mean "cannot trace"
        raise ValueError(
            f"Could not export model '{getattr(model, 'name', model)}' with torch.export: "
            f"{error}\nCheck that its call() uses torch operations only (no Python side "
            "effects or data-dependent control flow), or pass an input_signature with fixed "
            "shapes."
        ) from error
    program = _with_plain_parameters(program)
    if format == "torch_export":
        buffer = io.BytesIO()  # (so a full disk is an OSError naming the file: see atomic)
        torch.export.save(program, buffer)
        atomic.write_bytes(filepath, buffer.getbuffer())
    else:
        names = [_input_name(spec, i) for i, spec in enumerate(leaves)]
        _write_onnx(program, filepath, names, kwargs)
    if verbose:
        print(f"Saved artifact at '{filepath}' ({format}).")


class _InferenceCall(torch.nn.Module):
    """Flat tensors in, the model's inference outputs out (what an exporter can trace)."""

    def __init__(self, model, structure):
        super().__init__()
        self.model = model
        self.structure = structure

    def forward(self, *flat_inputs):
        args = tree.pack_sequence_as(self.structure, list(flat_inputs))
        return self.model(*args, training=False)


@contextlib.contextmanager
def _no_cached_shape_checks(model):
    """Layers remember the last input shape they checked (`_shape_checked`) to skip re-checking;
    comparing a traced batch size with a remembered concrete one would pin the batch size in
    the exported program. Forget them for the trace, and restore them afterwards."""
    layers = [m for m in model.modules() if hasattr(m, "_shape_checked")]
    saved = [layer._shape_checked for layer in layers]
    for layer in layers:
        layer._shape_checked = None
    try:
        yield
    finally:
        for layer, shape in zip(layers, saved):
            layer._shape_checked = shape


def _resolve_format(format, filepath):
    if format is None:
        extension = os.path.splitext(filepath)[1].lower()
        if extension not in _EXTENSIONS:
            raise ValueError(
                f"Cannot tell the export format from '{filepath}': pass format='onnx' or "
                "format='torch_export', or use a file name ending in `.onnx` or `.pt2`."
            )
        return _EXTENSIONS[extension]
    if format in _TENSORFLOW_FORMATS:
        raise ValueError(
            f"format='{format}' needs TensorFlow, and lamina runs on PyTorch. Use "
            "format='onnx' (runs in onnxruntime, and converts to most runtimes) or "
            "format='torch_export' (a torch.export program)."
        )
    if format not in FORMATS:
        raise ValueError(
            f"Unknown export format {format!r}. Valid formats: 'onnx', 'torch_export' "
            "(alias 'torch')."
        )
    return FORMATS[format]


def _require_onnx():
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401  (torch.onnx's exporter is built on it)
    except ImportError as error:
        raise ImportError(
            f"Exporting to ONNX needs the `onnx` and `onnxscript` packages ({error}). Install "
            "them with `pip install onnx onnxscript onnxruntime` (onnxruntime runs the exported "
            "file)."
        ) from error


def _signature(model, input_signature):
    """The call's positional arguments as a list whose leaves are KerasTensors."""
    if input_signature is None:
        inputs = getattr(model, "_inputs_struct", None)
        if inputs is None:
            inputs = getattr(model, "inputs", None)
        if inputs is None and getattr(model, "_build_shapes", None) is not None:
            shapes = model._build_shapes
            inputs = (None,) + tuple(shapes[1:]) if _is_shape(shapes) else shapes
        if inputs is None:
            raise ValueError(
                f"Model '{getattr(model, 'name', model)}' has no known input shape, so export() "
                "cannot tell what to trace. Pass input_signature=[lamina.KerasTensor((None, "
                "features))] (or an example array), or call the model on data first."
            )
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and not _is_shape(inputs):
            inputs = inputs[0]
        return [_as_keras_tensors(inputs)]
    if not isinstance(input_signature, (list, tuple)) or _is_shape(input_signature):
        input_signature = [input_signature]
    signature = [_as_keras_tensors(spec) for spec in input_signature]
    expected = getattr(model, "inputs", None)
    if isinstance(expected, (list, tuple)) and len(expected) > 1 and \
            len(signature) == len(expected) and all(isinstance(s, KerasTensor) for s in signature):
        signature = [signature]  # the model takes its inputs as one list
    return signature


def _as_keras_tensors(spec):
    """Shape tuples, arrays, tensors and spec objects -> KerasTensors (lists stay lists)."""
    if isinstance(spec, KerasTensor):
        return spec
    if _is_shape(spec):
        return KerasTensor(spec, config.floatx())
    if isinstance(spec, dict):
        return {key: _as_keras_tensors(value) for key, value in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_as_keras_tensors(value) for value in spec]
    if isinstance(spec, (torch.Tensor, np.ndarray)):
        # A concrete example: keep its sizes but let the batch axis vary.
        shape = (None,) + tuple(spec.shape[1:]) if spec.ndim else ()
        dtype = spec.dtype if isinstance(spec, torch.Tensor) else \
            torch.from_numpy(np.zeros((), spec.dtype)).dtype
        return KerasTensor(shape, config.dtype_name(dtype))
    shape = getattr(spec, "shape", None)
    if shape is None:
        raise TypeError(
            f"Cannot read a shape from the input_signature entry {spec!r}: pass a KerasTensor, "
            "a tensor or array, or a shape tuple such as (None, 784)."
        )
    return KerasTensor(shape, getattr(spec, "dtype", None) or config.floatx(),
                       name=getattr(spec, "name", None))


def _is_shape(value):
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in value
    )


def _example(spec, device):
    shape = [_STAND_IN_SIZE if size is None else size for size in spec.shape]
    dtype = config.to_torch_dtype(spec.dtype)
    if dtype.is_floating_point:
        return torch.randn(shape, dtype=dtype, device=device)
    return torch.zeros(shape, dtype=dtype, device=device)


def _input_name(spec, index):
    name = getattr(spec, "name", None)
    return name if isinstance(name, str) and name else f"input_{index}"


def _model_device(model):
    for parameter in model.parameters():
        return parameter.device
    return torch.device("cpu")


def _with_plain_parameters(program):
    """Store plain torch Parameters in the program: the saved file then needs no lamina to load,
    and exporters that call `Tensor` methods on the weights see the stock behaviour."""
    for name, value in list(program.state_dict.items()):
        if type(value) is not torch.nn.Parameter and isinstance(value, torch.nn.Parameter):
            program.state_dict[name] = torch.nn.Parameter(value.detach(),
                                                          requires_grad=value.requires_grad)
    return program


def _write_onnx(program, filepath, input_names, kwargs):
    kwargs = dict(kwargs)
    kwargs.setdefault("input_names", input_names)
    outputs = [node for node in program.graph.nodes if node.op == "output"][0].args[0]
    count = len(outputs) if isinstance(outputs, (list, tuple)) else 1
    kwargs.setdefault("output_names", [f"output_{i}" for i in range(count)])
    kwargs.setdefault("verbose", False)
    with atomic.atomic_path(filepath) as temporary, warnings.catch_warnings():
        # torch.onnx warns about its own internals (pytree deprecations); nothing to act on.
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        onnx_program = torch.onnx.export(program, f=None, dynamo=True, **kwargs)
        onnx_program.save(temporary)
