"""`lamina.name_scope`: variable and layer paths as Keras 3.15 gives them (the expected strings
were printed by Keras 3.15.1 on the jax and torch backends, same lines)."""

import pytest

import lamina
from lamina import layers


def test_variables_and_layers_created_inside_get_the_scope_path():
    with lamina.name_scope("outer"):
        v = lamina.Variable(1.0, name="v")
        dense = layers.Dense(2, name="dd")
        dense.build((None, 3))
        with lamina.name_scope("inner"):
            w = lamina.Variable(1.0, name="w")
        with lamina.name_scope("outer"):  # no caller: nested, not deduplicated
            u = lamina.Variable(1.0, name="u")
        with lamina.name_scope("x", override_parent="top"):
            z = lamina.Variable(1.0, name="z")
    assert [v.path, dense.kernel.path, w.path, u.path, z.path, dense.path] == [
        "outer/v", "outer/dd/kernel", "outer/inner/w", "outer/outer/u", "top/x/z", "outer/dd"]
    assert lamina.Variable(1.0, name="free").path == "free"  # outside every scope


def test_a_layer_called_or_a_model_built_inside_a_scope():
    dense = layers.Dense(2, name="ee")
    with lamina.name_scope("a") as scope:
        dense(lamina.ops.ones((1, 3)))
    assert scope.name == "a"
    assert (dense.kernel.path, dense.path) == ("a/ee/kernel", "a/ee")
    model = lamina.Sequential([layers.Dense(2, name="q")], name="seq")
    with lamina.name_scope("a"):
        model.build((None, 3))
    assert model.weights[0].path == "a/seq/q/kernel"


def test_same_name_and_caller_is_deduplicated():
    owner = object()
    with lamina.name_scope("blk", caller=owner):
        with lamina.name_scope("blk", caller=owner):
            v = lamina.Variable(1.0, name="v")
        with lamina.name_scope("blk", caller=owner, deduplicate=False):
            w = lamina.Variable(1.0, name="w")
    assert (v.path, w.path) == ("blk/v", "blk/blk/w")


def test_a_variable_made_in_a_custom_build_nests_under_the_layer():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.s = lamina.Variable(1.0, name="s")

        def call(self, x):
            return x * self.s

    layer = Scale(name="scale")
    layer(lamina.ops.ones((1, 2)))
    assert layer.s.path == "scale/s"


@pytest.mark.parametrize("name", [3, "a/b"])
def test_a_bad_name_says_what_to_pass(name):
    with pytest.raises(ValueError, match="string without '/'"):
        lamina.name_scope(name)


def test_metric_variables_are_under_the_metric_name():
    metric = lamina.metrics.Mean(name="mm")
    assert [v.path for v in metric.variables] == ["mm/total", "mm/count"]
