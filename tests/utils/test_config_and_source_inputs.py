"""utils.Config, utils.get_source_inputs and optimizers.legacy, with Keras 3.15's behaviour
(recorded by running the same lines on Keras)."""

import pytest

import lamina
from lamina import layers


def test_config_reads_like_attributes_and_items_and_freezes():
    config = lamina.utils.Config(lr=0.1, units=3)
    assert config.lr == 0.1 and config["units"] == 3 and len(config) == 2
    assert config.as_dict() == {"lr": 0.1, "units": 3} and config.to_json() == '{"lr": 0.1, "units": 3}'
    config.layers = 2
    assert "layers" in config and list(config) == ["lr", "units", "layers"]
    config.freeze()
    assert config.frozen
    for change in (lambda: setattr(config, "lr", 3), lambda: config.update(lr=1),
                   lambda: config.pop("lr"), lambda: config.__setitem__("lr", 1)):
        with pytest.raises(ValueError, match="frozen"):
            change()
    config.unfreeze()
    config.lr = 0.5
    assert config.get("lr") == 0.5 and repr(config).startswith("<Config {")
    with pytest.raises(AttributeError, match="Did you mean 'units'"):
        config.unit


def test_get_source_inputs_follows_the_graph_to_the_inputs():
    a, b = lamina.Input((3,), name="a"), lamina.Input((2,), name="b")
    c = layers.Concatenate()([layers.Dense(2)(a), b])
    assert lamina.utils.get_source_inputs(c) == [a, b]
    assert lamina.utils.get_source_inputs(a) == [a]
    assert lamina.utils.get_source_inputs(3) == 3


def test_legacy_optimizers_give_the_modern_ones_with_a_warning():
    with pytest.warns(DeprecationWarning, match="keras.optimizers.Adam"):
        adam = lamina.optimizers.legacy.Adam
    assert adam is lamina.optimizers.Adam
