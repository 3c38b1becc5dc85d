"""`model.summary()`: the Keras table of layers, output shapes and parameter counts (via rich)."""

import io



def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    if not model.built and not model.layers:
        raise ValueError(
            f'Model "{model.name}" has not yet been built and has no layers. Build it first by '
            "calling it on data, calling build(input_shape), or starting it with lamina.Input()."
        )
    text = render_summary(model, line_length or 96, expand_nested, show_trainable, layer_range)
    if print_fn is not None:
        for line in text.rstrip("\n").split("\n"):
            print_fn(line)
        return
    import sys

    sys.stdout.write(text)
    sys.stdout.flush()


def render_summary(model, width=96, expand_nested=False, show_trainable=False, layer_range=None):
    from rich import box
    from rich.console import Console
    from rich.table import Table

    from lamina.models.functional import Functional

    connected = isinstance(model, Functional)
    table = Table(box=box.HEAVY_HEAD, show_lines=False)
    table.add_column("Layer (type)", no_wrap=False)
    table.add_column("Output Shape")
    table.add_column("Param #", justify="right")
    if connected:
        table.add_column("Connected to")
    if show_trainable:
        table.add_column("Trainable")
    rows = list(_rows(model, expand_nested, connected, show_trainable, depth=0))
    if layer_range is not None:
        names = [r[0].split(" (")[0].strip("└ ").strip() for r in rows]
        start, stop = (names.index(layer_range[0]), names.index(layer_range[1]) + 1)
        rows = rows[start:stop]
    for row in rows:
        table.add_row(*row)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None,
                      highlight=False)
    console.print(f'Model: "{model.name}"')
    console.print(table)
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    total_bytes = sum(w.numel() * w.element_size() for w in model.weights)
    trainable_bytes = sum(w.numel() * w.element_size() for w in model.trainable_weights)
    console.print(f" Total params: {trainable + non_trainable:,} ({_human(total_bytes)})")
    console.print(f" Trainable params: {trainable:,} ({_human(trainable_bytes)})")
    console.print(
        f" Non-trainable params: {non_trainable:,} ({_human(total_bytes - trainable_bytes)})"
    )
    return buffer.getvalue()


def _rows(model, expand_nested, connected, show_trainable, depth):
    from lamina.models.model import Model

    from lamina.models.functional import Functional

    # (a functional graph's ops too, as Keras lists them)
    for layer in model._operations if isinstance(model, Functional) else model.layers:
        indent = "   " * depth
        row = [f"{indent}{layer.name} ({type(layer).__name__})", _output_shape(layer),
               f"{_count(layer.weights):,}" if layer.built or layer.weights else "0 (unbuilt)"]
        if connected:
            row.append(_connections(layer))
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        yield row
        if expand_nested and isinstance(layer, Model):
            yield from _rows(layer, expand_nested, False if not connected else connected,
                             show_trainable, depth + 1)


def _output_shape(layer):
    try:
        shape = layer.output_shape
    except (AttributeError, ValueError, RuntimeError, NotImplementedError):
        shapes = getattr(layer, "_last_known_shape", None)
        return "?" if shapes is None else str(shapes)
    if isinstance(shape, list) and len(shape) == 1:
        shape = shape[0]
    return str(shape) if not isinstance(shape, dict) else str(shape)


def _connections(layer):
    parts = []
    for node in layer._inbound_nodes[:1]:
        for tensor in node.input_tensors:
            source, node_index, tensor_index = tensor._keras_history
            parts.append(f"{source.name}[{node_index}][{tensor_index}]")
    return ", ".join(parts) if parts else "-"


def _count(weights):
    return int(sum(w.numel() for w in weights))


def _human(num_bytes):
    for unit in ("B", "KB", "MB", "GB"):
        if num_bytes < 1024 or unit == "GB":
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.2f} GB"


