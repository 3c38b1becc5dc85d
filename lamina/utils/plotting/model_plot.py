"""`plot_model` and `model_to_dot`: a picture of a model's layer graph.

With pydot and Graphviz installed, the picture is made by Graphviz, as in Keras. Otherwise
matplotlib draws it (`pip install lamina[plot]`); neither is imported before it is needed.
"""

import os

from lamina.registry.export import keras_export
from lamina.utils.arguments import check_kwargs
from lamina.utils.plotting import dot_drawing
from lamina.utils.plotting.model_graph import LabelOptions, build_graph

_ARGUMENTS = {"model", "to_file", "show_shapes", "show_dtype", "show_layer_names", "rankdir",
              "expand_nested", "dpi", "subgraph", "show_layer_activations", "show_trainable",
              "splines"}


@keras_export("utils.model_to_dot")
def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """The model's layer graph as a `pydot.Dot` (a `pydot.Cluster` with `subgraph=True`).

    Needs `pip install pydot` (and Graphviz to render it). Arguments as in `plot_model`.
    """
    _check_kwargs(kwargs, "model_to_dot()")
    options = LabelOptions(show_shapes, show_dtype, show_layer_names, show_layer_activations,
                           show_trainable)
    graph = build_graph(model, options, expand_nested)
    return dot_drawing.graph_to_dot(graph, model.name, rankdir, dpi, splines, subgraph)


@keras_export("utils.plot_model")
def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draw the model's layers and their connections into an image file.

    Args:
        model: a Functional or Sequential model (a subclassed model is one box).
        to_file: the image file; its extension picks the format (.png, .svg, .pdf, ...).
        show_shapes: write each layer's input and output shapes.
        show_dtype: write each layer's output dtype.
        show_layer_names: title boxes "name (ClassName)" rather than "ClassName".
        rankdir: "TB" draws top to bottom, "LR" left to right ("BT", "RL" reversed).
        expand_nested: draw the layers of nested models inside a dashed frame.
        dpi: resolution of bitmap formats.
        show_layer_activations: write the activation of layers that have one.
        show_trainable: mark layers with weights "Trainable" or "Non-trainable".
        splines: how Graphviz draws arrows ("ortho", "curved", "line", ...); unused by the
            matplotlib drawing, whose arrows are straight.

    Returns:
        An IPython image (shown inline in a notebook) when IPython is installed, else None.

    Example:
        lamina.utils.plot_model(model, "model.svg", show_shapes=True)
    """
    _check_kwargs(kwargs, "plot_model()")
    to_file = os.fspath(to_file)
    options = LabelOptions(show_shapes, show_dtype, show_layer_names, show_layer_activations,
                           show_trainable)
    graph = build_graph(model, options, expand_nested)
    if dot_drawing.graphviz_available():
        dot = dot_drawing.graph_to_dot(graph, model.name, rankdir, dpi, splines)
        extension = os.path.splitext(to_file)[1][1:] or "png"
        dot.write(to_file, format=extension)
    else:
        from lamina.utils.plotting.matplotlib_drawing import draw_graph

        draw_graph(graph, to_file, rankdir=rankdir, dpi=dpi)
    return _notebook_image(to_file)


def _check_kwargs(kwargs, where):
    if "layer_range" in kwargs:
        raise ValueError(f"{where}: the `layer_range` argument is no longer supported (as in "
                         "Keras 3). Plot a sub-model built from the layers you want instead.")
    check_kwargs(kwargs, _ARGUMENTS, where)  # (all named: only typos reach here)


def _notebook_image(to_file):
    extension = os.path.splitext(to_file)[1].lower()
    if extension == ".pdf":
        return None
    try:
        from IPython import display
    except ImportError:
        return None
    if extension == ".svg":
        return display.SVG(filename=to_file)
    return display.Image(filename=to_file)
