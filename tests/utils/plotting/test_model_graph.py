"""The layer graph that plot_model draws, and its layout (no matplotlib or pydot needed)."""

import numpy as np
import pytest

import lamina
from lamina.utils.plotting.layout import layered_layout, order_rows, ranks
from lamina.utils.plotting.model_graph import LabelOptions, build_graph

L = lamina.layers


def _named_edges(graph):
    names = {box.key: box.title.split(" (")[0] for box in graph.boxes}
    return {(names[a], names[b]) for a, b in graph.edges}


def _titles(graph):
    return [box.title for box in graph.boxes]


def _two_input_model():
    a = lamina.Input((8,), name="a")
    b = lamina.Input((4,), name="b")
    block = lamina.Sequential([lamina.Input((12,)), L.Dense(6, activation="relu", name="inner"),
                               L.Dense(6, name="inner_out")], name="block")
    x = L.Dense(8, activation="relu", name="da")(a)
    y = L.Dense(4, name="db")(b)
    z = block(L.Concatenate(name="concat")([x, y]))
    outputs = [L.Dense(1, name="out1")(z), L.Dense(3, name="out2")(z)]
    return lamina.Model([a, b], outputs, name="two_heads")


NAMES = LabelOptions(show_layer_names=True)


def test_sequential_chain_with_shapes():
    model = lamina.Sequential([lamina.Input((3,)), L.Dense(4, activation="relu", name="hidden"),
                               L.Dense(1, name="out")])
    graph = build_graph(model, LabelOptions(show_shapes=True, show_layer_activations=True))
    assert _titles(graph) == ["Dense", "Dense"]  # no InputLayer box for a Sequential, as Keras
    assert graph.boxes[0].lines == ["Activation: relu", "Input shape: (None, 3)",
                                    "Output shape: (None, 4)"]
    assert graph.boxes[1].lines == ["Activation: linear", "Input shape: (None, 4)",
                                    "Output shape: (None, 1)"]
    assert len(graph.edges) == 1 and graph.edges[0] == (graph.boxes[0].key, graph.boxes[1].key)


def test_multi_input_multi_output_functional():
    graph = build_graph(_two_input_model(), LabelOptions(show_layer_names=True, show_shapes=True,
                                                         show_dtype=True))
    assert _titles(graph) == ["a (InputLayer)", "da (Dense)", "b (InputLayer)", "db (Dense)",
                              "concat (Concatenate)", "block (Sequential)", "out1 (Dense)",
                              "out2 (Dense)"]
    assert _named_edges(graph) == {("a", "da"), ("b", "db"), ("da", "concat"), ("db", "concat"),
                                   ("concat", "block"), ("block", "out1"), ("block", "out2")}
    by_title = {box.title: box for box in graph.boxes}
    assert by_title["a (InputLayer)"].lines == ["Output shape: (None, 8)", "Output dtype: float32"]
    assert by_title["concat (Concatenate)"].lines[0] == "Input shape: [(None, 8), (None, 4)]"
    assert by_title["block (Sequential)"].lines[:2] == ["Input shape: (None, 12)",
                                                        "Output shape: (None, 6)"]


def test_expand_nested_draws_inner_layers_in_a_frame():
    graph = build_graph(_two_input_model(), NAMES, expand_nested=True)
    edges = _named_edges(graph)
    assert {("concat", "inner"), ("inner", "inner_out"), ("inner_out", "out1"),
            ("inner_out", "out2")} <= edges
    assert not any("block" in edge for edge in edges)
    clusters = {box.title.split(" (")[0]: box.cluster for box in graph.boxes}
    assert clusters["inner"] == ("block",) and clusters["da"] == ()


def test_nested_functional_arrows_enter_its_inputs():
    p = lamina.Input((2,), name="p")
    q = lamina.Input((2,), name="q")
    inner = lamina.Model([p, q], L.Add(name="add")([p, q]), name="adder")
    x = lamina.Input((2,), name="x")
    left, right = L.Dense(2, name="left")(x), L.Dense(2, name="right")(x)
    outer = lamina.Model(x, L.Dense(1, name="head")(inner([left, right])))
    edges = _named_edges(build_graph(outer, NAMES, expand_nested=True))
    assert edges == {("x", "left"), ("x", "right"), ("left", "p"), ("right", "q"),
                     ("p", "add"), ("q", "add"), ("add", "head")}


def test_shared_layer_is_one_box_with_both_inputs():
    shared = L.Dense(3, name="shared")
    a, b = lamina.Input((3,), name="a"), lamina.Input((3,), name="b")
    model = lamina.Model([a, b], L.Add(name="add")([shared(a), shared(b)]))
    graph = build_graph(model, NAMES)
    assert _titles(graph).count("shared (Dense)") == 1
    assert _named_edges(graph) == {("a", "shared"), ("b", "shared"), ("shared", "add")}


def test_subclassed_model_is_one_box_and_trainable_marks():
    class Tiny(lamina.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(2)

        def call(self, x):
            return self.dense(x)

    tiny = Tiny()
    tiny(np.zeros((1, 2), dtype="float32"))
    assert _titles(build_graph(tiny, LabelOptions())) == ["Tiny"]
    frozen = L.Dense(2, name="frozen", trainable=False)
    model = lamina.Sequential([lamina.Input((2,)), frozen, L.Dense(2, name="free"),
                               L.ReLU(name="act")])
    graph = build_graph(model, LabelOptions(show_trainable=True))
    assert [box.lines for box in graph.boxes] == [["Non-trainable"], ["Trainable"], []]


def test_unbuilt_model_is_an_error():
    with pytest.raises(ValueError, match="has not been built yet.*lamina.Input"):
        build_graph(lamina.Sequential([L.Dense(2)]), LabelOptions())


# ---------------------------------------------------------------- layout
def test_ranks_follow_the_longest_path():
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]
    assert ranks(["a", "b", "c", "d"], edges) == {"a": 0, "b": 1, "c": 2, "d": 3}
    with pytest.raises(ValueError, match="cycle"):
        ranks(["a", "b"], [("a", "b"), ("b", "a")])


def test_ordering_removes_crossings():
    # Row 0: p, q; row 1 listed crossed (y fed by q first, x fed by p).
    keys = ["p", "q", "y", "x"]
    edges = [("p", "x"), ("q", "y")]
    rows = order_rows(keys, edges, ranks(keys, edges))
    assert rows == [["p", "q"], ["x", "y"]]


def test_layout_directions_and_spacing():
    sizes = {"a": (2.0, 1.0), "b": (1.0, 1.0), "c": (1.0, 1.0)}
    edges = [("a", "b"), ("a", "c")]
    top_down = layered_layout(sizes, edges, direction="TB", gap=(0.5, 0.5))
    assert top_down["a"].y > top_down["b"].y == top_down["c"].y  # a row above its children
    assert top_down["c"].x - top_down["b"].x == pytest.approx(1.5)  # widths/2 + gap
    assert top_down["a"].x == pytest.approx(0.0)  # rows are centred
    left_right = layered_layout(sizes, edges, direction="LR")
    assert left_right["a"].x < left_right["b"].x == left_right["c"].x
    with pytest.raises(ValueError, match="rankdir must be 'TB', 'LR'"):
        layered_layout(sizes, edges, direction="diagonal")
