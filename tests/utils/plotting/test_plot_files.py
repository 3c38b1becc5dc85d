"""plot_model / model_to_dot / plot_history write real images (matplotlib drawing by default)."""

import builtins
import struct
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

import lamina
from lamina.utils import vis_utils
from lamina.utils.plotting import dot_drawing, model_plot, plot_history, plot_model

L = lamina.layers


@pytest.fixture(autouse=True)
def matplotlib_drawing(monkeypatch):
    """Use the matplotlib drawing even where Graphviz happens to be installed."""
    monkeypatch.setattr(dot_drawing, "graphviz_available", lambda: False)


def _model():
    a = lamina.Input((8,), name="a")
    b = lamina.Input((4,), name="b")
    x = L.Dense(8, activation="relu", name="da")(a)
    merged = L.Concatenate(name="concat")([x, b])
    return lamina.Model([a, b], [L.Dense(1, name="out1")(merged),
                                 L.Dense(3, name="out2")(merged)], name="two_heads")


def _png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _svg_texts(path):
    root = ElementTree.parse(path).getroot()  # parses: the file is well-formed XML
    return {"".join(node.itertext()).strip() for node in root.iter()
            if node.tag.endswith("text")}


def test_png_is_a_real_image_scaled_by_dpi(tmp_path):
    pytest.importorskip("matplotlib")
    plot_model(_model(), tmp_path / "m200.png", show_shapes=True)
    plot_model(_model(), tmp_path / "m100.png", show_shapes=True, dpi=100)
    width, height = _png_size(tmp_path / "m200.png")
    small_width, small_height = _png_size(tmp_path / "m100.png")
    assert 600 < width < 4000 and 800 < height < 6000  # three rows of boxes at 200 dpi
    assert abs(width - 2 * small_width) <= 2 and abs(height - 2 * small_height) <= 2
    plot_model(_model(), tmp_path / "wide.png", show_shapes=True, rankdir="LR", dpi=100)
    wide_width, wide_height = _png_size(tmp_path / "wide.png")
    assert wide_width > small_width and wide_height < small_height  # rows became columns


def test_svg_keeps_names_and_shapes_as_text(tmp_path):
    pytest.importorskip("matplotlib")
    plot_model(_model(), tmp_path / "m.svg", show_shapes=True, show_layer_names=True,
               show_layer_activations=True)
    texts = _svg_texts(tmp_path / "m.svg")
    assert {"a (InputLayer)", "da (Dense)", "concat (Concatenate)", "out1 (Dense)",
            "out2 (Dense)", "Input shape: [(None, 8), (None, 4)]", "Output shape: (None, 12)",
            "Output shape: (None, 3)", "Activation: relu"} <= texts
    plot_model(_model(), tmp_path / "plain.svg")  # Keras 3 default: class names only
    assert "Dense" in _svg_texts(tmp_path / "plain.svg")
    assert "da (Dense)" not in _svg_texts(tmp_path / "plain.svg")


def test_pdf_and_nested_models(tmp_path):
    pytest.importorskip("matplotlib")
    inner = lamina.Sequential([lamina.Input((12,)), L.Dense(5, name="inner")], name="block")
    x = lamina.Input((12,), name="x")
    model = lamina.Model(x, L.Dense(1, name="head")(inner(x)))
    plot_model(model, tmp_path / "m.pdf", expand_nested=True)
    assert (tmp_path / "m.pdf").read_bytes()[:5] == b"%PDF-"
    plot_model(model, tmp_path / "nested.svg", expand_nested=True, show_layer_names=True)
    texts = _svg_texts(tmp_path / "nested.svg")
    assert {"block", "inner (Dense)", "head (Dense)"} <= texts  # the frame's label and boxes
    assert "block (Sequential)" not in texts


def test_unknown_image_format(tmp_path):
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match=r"extension \.gif is not an image format\. Use one of: "
                                         r"\.png, \.svg, \.pdf"):
        plot_model(_model(), tmp_path / "m.gif")


def test_legacy_module_and_argument_errors(tmp_path):
    assert vis_utils.plot_model is plot_model
    assert vis_utils.model_to_dot is model_plot.model_to_dot
    with pytest.raises(ValueError, match="`layer_range` argument is no longer supported"):
        plot_model(_model(), tmp_path / "m.png", layer_range=["a", "b"])
    with pytest.raises(TypeError, match="Did you mean 'show_shapes'"):
        plot_model(_model(), tmp_path / "m.png", show_shape=True)


def _without(monkeypatch, *names):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split(".")[0] in names:
            raise ImportError(f"No module named '{name}'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


def test_without_matplotlib_the_error_says_what_to_install(tmp_path, monkeypatch):
    _without(monkeypatch, "matplotlib")
    with pytest.raises(ImportError,
                       match=r"plot_model needs matplotlib.*pip install lamina\[plot\]"):
        plot_model(_model(), tmp_path / "m.png")
    with pytest.raises(ImportError, match=r"pip install lamina\[plot\]"):
        plot_history({"loss": [1.0, 0.5]}, tmp_path / "h.png")
    assert not (tmp_path / "m.png").exists()


def test_import_lamina_does_not_import_matplotlib():
    # (pydot is left out: `import torch` itself imports it when installed, for torch.fx.)
    code = ("import sys, lamina, lamina.utils.plotting, lamina.callbacks.tensorboard; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('matplotlib', 'tensorboard')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------- model_to_dot (pydot)
def test_model_to_dot_with_pydot():
    pytest.importorskip("pydot")
    dot = model_plot.model_to_dot(_model(), show_shapes=True)
    text = dot.to_string()
    for name in ("da (Dense)", "concat (Concatenate)", "Output shape: (None, 3)"):
        assert name in text
    assert len(dot.get_edges()) == 5  # a->da, da->concat, b->concat, concat->out1/out2
    assert dot.get("rankdir") == "TB"
    pydot = pytest.importorskip("pydot")
    with warnings.catch_warnings():  # pydot's parser uses deprecated pyparsing names
        warnings.simplefilter("ignore")
        assert pydot.graph_from_dot_data(text)  # valid DOT source for Graphviz
    inner = lamina.Sequential([lamina.Input((4,)), L.Dense(2, name="inner")], name="block")
    x = lamina.Input((4,), name="x")
    nested = model_plot.model_to_dot(lamina.Model(x, inner(x)), expand_nested=True)
    (cluster,) = nested.get_subgraphs()
    assert cluster.get_name() == "cluster_block" and len(cluster.get_nodes()) == 1
    assert len(nested.get_edges()) == 1  # x -> inner


def test_model_to_dot_without_pydot(monkeypatch):
    _without(monkeypatch, "pydot", "pydot_ng", "pydotplus")
    with pytest.raises(ImportError, match=r"model_to_dot needs pydot: install it with "
                                          r"`pip install pydot`"):
        model_plot.model_to_dot(_model())


# ---------------------------------------------------------------- plot_history
def _history():
    model = lamina.Sequential([lamina.Input((3,)), L.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    return model.fit(x, y, epochs=4, validation_split=0.25, verbose=0)


def test_plot_history_draws_each_metric_against_epochs(tmp_path):
    pytest.importorskip("matplotlib")
    history = _history()
    figure = plot_history(history, tmp_path / "h.png")
    width, height = _png_size(tmp_path / "h.png")
    assert width > 500 and height > 200
    panels = {axes.get_title(): axes for axes in figure.axes}
    assert set(panels) == {"accuracy", "loss"}
    lines = {line.get_label(): line for line in panels["loss"].get_lines()}
    np.testing.assert_array_equal(lines["training"].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(lines["training"].get_ydata(), history.history["loss"])
    np.testing.assert_allclose(lines["validation"].get_ydata(), history.history["val_loss"])


def test_plot_history_svg_metric_choice_and_errors(tmp_path):
    pytest.importorskip("matplotlib")
    history = _history()
    plot_history(history.history, tmp_path / "h.svg", metrics=["acc"])  # Keras 2 name
    texts = _svg_texts(tmp_path / "h.svg")
    assert {"accuracy", "training", "validation", "epoch"} <= texts and "loss" not in texts
    figure = plot_history({"loss": [3.0, 2.0, 1.0]}, to_file=None)  # no validation, no file
    assert [line.get_label() for line in figure.axes[0].get_lines()] == ["training"]
    with pytest.raises(ValueError, match="no metric named 'f1' in the history. Available: "
                                         "accuracy, loss"):
        plot_history(history, tmp_path / "x.png", metrics=["f1"])
    with pytest.raises(ValueError, match="empty history"):
        plot_history({}, tmp_path / "x.png")
    with pytest.raises(TypeError, match="expects the History returned by fit"):
        plot_history([1, 2, 3], tmp_path / "x.png")
