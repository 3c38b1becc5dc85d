"""Merging layers against Keras 3 (fixtures/make_fixtures.py): every op with broadcasting and
masks, plus symbolic shapes, the functional forms, gradients, configs and errors."""

import json
import math
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina.layers.core.masking import Masking
from lamina.layers.merging import concatenate as concatenate_module
from lamina.layers.merging import dot as dot_module
from lamina.layers.merging import elementwise
from lamina.layers.merging.concatenate import Concatenate
from lamina.layers.merging.dot import Dot
from lamina.layers.merging.elementwise import (Add, Average, Maximum, Minimum, Multiply,
                                               Subtract)

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
FIXTURE = json.loads((FIXTURES / "keras_merging.json").read_text())
DATA = np.load(FIXTURES / "keras_merging.npz")["data"]
CLASSES = {cls.__name__: cls for cls in (Add, Subtract, Multiply, Average, Maximum, Minimum,
                                         Concatenate, Dot)}


def array(case, name):
    offset, shape = FIXTURE["index"][f"{case['id']}/{name}"]
    return DATA[offset:offset + math.prod(shape)].reshape(shape)


def fixture_inputs(case):
    inputs = [torch.as_tensor(array(case, f"x{i}")) for i in range(case["inputs"])]
    if case["masked"]:
        for i, x in enumerate(inputs):
            x._keras_mask = torch.as_tensor(array(case, f"m{i}")).bool()
    return inputs


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["id"])
def test_matches_keras(case):
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}
    layer = CLASSES[case["layer"]](**kwargs)
    y = layer(fixture_inputs(case))
    np.testing.assert_allclose(y.numpy(), array(case, "y"), atol=1e-5, rtol=1e-5)
    if case["output_mask"]:
        np.testing.assert_array_equal(y._keras_mask.numpy(), array(case, "ym").astype(bool))
    else:
        assert getattr(y, "_keras_mask", None) is None


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: c["id"])
def test_symbolic_shape_matches_the_eager_one(case):
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}
    inputs = [lamina.Input(shape=array(case, f"x{i}").shape[1:]) for i in range(case["inputs"])]
    symbolic = CLASSES[case["layer"]](**kwargs)(inputs)
    assert symbolic.shape == (None,) + array(case, "y").shape[1:]


@pytest.mark.parametrize("function, cls", [
    (elementwise.add, Add), (elementwise.subtract, Subtract), (elementwise.multiply, Multiply),
    (elementwise.average, Average), (elementwise.maximum, Maximum),
    (elementwise.minimum, Minimum), (concatenate_module.concatenate, Concatenate),
])
def test_functional_forms_on_real_and_symbolic_tensors(function, cls):
    a, b = torch.randn(2, 3), torch.randn(2, 3)
    torch.testing.assert_close(function([a, b]), cls()([a, b]))
    x1, x2 = lamina.Input((3,)), lamina.Input((3,))
    out = function([x1, x2], name="merged")
    model = lamina.Model([x1, x2], out)
    assert model.layers[-1].name == "merged" and isinstance(model.layers[-1], cls)
    torch.testing.assert_close(model([a, b]), cls()([a, b]))


def test_functional_dot_and_concatenate_keywords():
    a, b = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    torch.testing.assert_close(dot_module.dot([a, b], axes=2), a @ b.transpose(1, 2))
    torch.testing.assert_close(concatenate_module.concatenate([a, b], axis=1), torch.cat([a, b], 1))


def test_formulas():
    a, b, c = torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 3)
    torch.testing.assert_close(Average()([a, b, c]), (a + b + c) / 3)
    torch.testing.assert_close(Maximum()([a, b, c]), torch.maximum(torch.maximum(a, b), c))
    torch.testing.assert_close(Subtract()([a, b]), a - b)
    cosine = Dot(axes=1, normalize=True)([a, b])
    torch.testing.assert_close(cosine[:, 0], torch.nn.functional.cosine_similarity(a, b))


@pytest.mark.parametrize("layer", [Add(), Subtract(), Multiply(), Average(), Maximum(),
                                   Minimum(), Concatenate(), Dot(axes=1)])
def test_gradients_reach_every_input(layer):
    a, b = torch.randn(3, 4, requires_grad=True), torch.randn(3, 4, requires_grad=True)
    layer([a, b]).sum().backward()
    assert a.grad is not None and b.grad is not None
    assert a.grad.abs().sum() > 0 and b.grad.abs().sum() > 0


def test_configs_have_keras_keys_and_defaults():
    for name, keras_config in FIXTURE["configs"].items():
        layer = CLASSES[name](axes=1) if name == "Dot" else CLASSES[name]()
        config = layer.get_config()
        for key, value in keras_config.items():
            if key not in ("name", "dtype"):
                assert config[key] == value, (name, key)


@pytest.mark.parametrize("layer", [Add(), Concatenate(axis=1), Dot(axes=(1, 2), normalize=True)])
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(json.loads(json.dumps(config)))
    assert {k: v for k, v in clone.get_config().items() if k != "name"} == {
        k: v for k, v in config.items() if k != "name"}


def test_shape_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r'"add".*\(None, 3\), \(None, 4\).*neither match'):
        elementwise.add([lamina.Input((3,)), lamina.Input((4,))])
    with pytest.raises(ValueError, match=r'"multiply".*\(2, 3\), \(2, 4\)'):
        Multiply()([torch.zeros(2, 3), torch.zeros(2, 4)])
    with pytest.raises(ValueError, match="different batch sizes"):
        Add()([torch.zeros(2, 3), torch.zeros(5, 3)])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        Subtract()([torch.zeros(2, 3)] * 3)
    with pytest.raises(ValueError, match="must be called on a list of tensors"):
        Add()(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"concatenation axis.*\(2, 3, 4\), \(2, 5, 5\)"):
        Concatenate()([torch.zeros(2, 3, 4), torch.zeros(2, 5, 5)])
    with pytest.raises(ValueError, match="axis 1 of the first has size 3 but axis 1 of the second"):
        Dot(axes=1)([torch.zeros(2, 3), torch.zeros(2, 4)])
    with pytest.raises(ValueError, match="pair of ints"):
        Dot(axes=(1, 2, 3))
    # Shapes that change after the first call still get the readable error.
    layer = Add()
    layer([torch.zeros(2, 3), torch.zeros(2, 3)])
    with pytest.raises(ValueError, match=r"\(2, 3\), \(2, 5\)"):
        layer([torch.zeros(2, 3), torch.zeros(2, 5)])


def test_masks_propagate_through_a_functional_model():
    steps = lamina.Input((3, 2))
    masked = Masking()(steps)
    doubled = elementwise.add([masked, masked])
    model = lamina.Model(steps, doubled)
    x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [3.0, 4.0]]])
    y = model(x)
    torch.testing.assert_close(y, 2 * x)
    assert y._keras_mask.tolist() == [[True, False, True]]
