"""`model.summary()`: the Keras table of layers, output shapes and parameter counts (via rich).

Laid out as Keras 3 lays it out: a Sequential, a subclassed model and a functional model whose
graph is a simple chain get the three columns (88 characters wide by default); any other
functional model also gets "Connected to" (108 wide). `show_trainable` adds a column ("-" for a
layer without weights). Column widths follow `positions` (fractions of `line_length`, which
defaults to those widths or the terminal's less 4, whichever is smaller). After
the optimizer is built, its variables are counted too ("Optimizer params", included in the
total). `print_fn` receives the whole text in one call.
"""

import io
import shutil


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    if not model.built and not model.layers:
        raise ValueError(
            f'Model "{model.name}" has not yet been built and has no layers. Build it first by '
            "calling it on data, calling build(input_shape), or starting it with lamina.Input()."
        )
    text = render_summary(model, line_length, expand_nested, show_trainable, layer_range,
                          positions)
    if print_fn is not None:
        print_fn(text.rstrip("\n"))
        return
    import sys

    sys.stdout.write(text)
    sys.stdout.flush()


def render_summary(model, width=None, expand_nested=False, show_trainable=False,
                   layer_range=None, positions=None):
    from rich import box
    from rich.console import Console
    from rich.table import Column, Table

    connected = not _sequential_like(model)
    header = ["Layer (type)", "Output Shape", "Param #"]
    justify = ["left", "left", "right"]
    if connected:
        header.append("Connected to")
        justify.append("left")
        default_width, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
    else:
        default_width, default_positions = 88, [0.45, 0.80, 1.0]
    positions = list(positions or default_positions)
    if show_trainable:
        header.append("Trainable")
        justify.append("center")
        default_width += 12
        positions = [p * 0.90 for p in positions] + [1.0]
    # (as Keras: no wider than the terminal, less 4; 80 columns when not writing to one)
    width = width or min(default_width, shutil.get_terminal_size().columns - 4)
    bounds = [int(p * width) if p <= 1 else int(p) for p in positions]
    widths = [right - left for left, right in zip([0] + bounds[:-1], bounds)]
    if any(w < 4 for w in widths):
        raise ValueError(
            f"summary(): line_length={width} with positions={positions} leaves a column "
            "narrower than 4 characters. Pass a larger line_length.")
    columns = [Column(name, justify=align, width=w)
               for name, align, w in zip(header, justify, widths)]
    table = Table(*columns, box=box.HEAVY_HEAD, show_lines=True, width=width)
    rows = list(_rows(model, expand_nested, connected, show_trainable, depth=0))
    if layer_range is not None:
        names = [r[0].split(" (")[0].strip("└ ").strip() for r in rows]
        start, stop = (names.index(layer_range[0]), names.index(layer_range[1]) + 1)
        rows = rows[start:stop]
    for row in rows:
        table.add_row(*row)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width + 1, force_terminal=False,
                      color_system=None, highlight=False)
    console.print(f'Model: "{model.name}"')
    console.print(table)
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    trainable_bytes = _bytes(model.trainable_weights)
    non_trainable_bytes = _bytes(model.weights) - trainable_bytes
    optimizer = _built_optimizer(model)
    optimizer_count = _count(optimizer.variables) if optimizer is not None else 0
    optimizer_bytes = _bytes(optimizer.variables) if optimizer is not None else 0
    total = trainable + non_trainable + optimizer_count
    total_bytes = trainable_bytes + non_trainable_bytes + optimizer_bytes
    console.print(f" Total params: {total:,} ({_human(total_bytes)})")
    console.print(f" Trainable params: {trainable:,} ({_human(trainable_bytes)})")
    console.print(f" Non-trainable params: {non_trainable:,} ({_human(non_trainable_bytes)})")
    if optimizer is not None:
        console.print(f" Optimizer params: {optimizer_count:,} ({_human(optimizer_bytes)})")
    return buffer.getvalue()


def _sequential_like(model):
    """Keras's test: not a functional model, or one whose graph is a chain (one input, every
    call on one tensor, no layer called twice, no branches)."""
    from lamina.models.functional import Functional

    if not isinstance(model, Functional):
        return True
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return False
    layers_seen, tensors_seen = set(), set()
    for node in model._nodes:
        if len(node.input_tensors) > 1 or id(node.layer) in layers_seen:
            return False
        layers_seen.add(id(node.layer))
        for tensor in node.input_tensors:
            if id(tensor) in tensors_seen:  # one tensor feeding two calls: a branch
                return False
            tensors_seen.add(id(tensor))
    return True


def _rows(model, expand_nested, connected, show_trainable, depth):
    from lamina.layers.core.op_layer import OpLayer, serialized_op
    from lamina.models.functional import Functional
    from lamina.models.model import Model

    model_nodes = {id(node) for node in getattr(model, "_nodes", ())}
    # (a functional graph's ops too, as Keras lists them)
    for layer in model._operations if isinstance(model, Functional) else model.layers:
        prefix = "   " * depth + "└ " if depth else ""
        type_name = serialized_op(layer)[1] if isinstance(layer, OpLayer) else (
            type(layer).__name__)
        row = [f"{prefix}{layer.name} ({type_name})", _output_shape(layer, model_nodes),
               f"{_count(layer.weights):,}" if layer.built or layer.weights else "0 (unbuilt)"]
        if connected:
            row.append(_connections(layer, model_nodes) if not depth else "-")
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        yield row
        if expand_nested and isinstance(layer, Model):
            yield from _rows(layer, expand_nested, connected, show_trainable, depth + 1)


def _output_shape(layer, model_nodes):
    try:
        shape = layer.output_shape
    except (AttributeError, ValueError, RuntimeError, NotImplementedError):
        # A layer called more than once: its first call in this model (Keras shows that).
        nodes = [n for n in layer._inbound_nodes if id(n) in model_nodes] or layer._inbound_nodes
        if nodes:
            shapes = [tuple(t.shape) for t in nodes[0].output_tensors]
            return str(shapes[0] if len(shapes) == 1 else shapes)
        shapes = getattr(layer, "_last_known_shape", None)
        return "?" if shapes is None else str(shapes)
    if isinstance(shape, list) and len(shape) == 1:
        shape = shape[0]
    return str(shape)


def _connections(layer, model_nodes):
    parts = []
    for node in layer._inbound_nodes:
        if model_nodes and id(node) not in model_nodes:
            continue  # a call that belongs to another model
        for tensor in node.input_tensors:
            source, node_index, tensor_index = tensor._keras_history
            parts.append(f"{source.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) if parts else "-"


def _built_optimizer(model):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "compiled", False):
        return None
    return optimizer if getattr(optimizer, "built", False) else None


def _count(weights):
    return int(sum(w.numel() for w in weights))


def _bytes(weights):
    return int(sum(w.numel() * w.element_size() for w in weights))


def _human(num_bytes):
    for unit in ("B", "KB", "MB", "GB"):
        if num_bytes < 1024 or unit == "GB":
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.2f} GB"
