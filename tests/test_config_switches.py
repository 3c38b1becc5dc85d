"""keras.config's switches: interactive logging, traceback filtering, backend and NNX queries,
and the debugging caps (the flash-attention switch is tested with the op, in
tests/ops/test_dot_product_attention.py)."""

import logging
import traceback

import numpy as np
import pytest

import lamina
from lamina import config, layers
from lamina.utils.progbar import Progbar


def test_disabled_interactive_logging_sends_progress_to_the_logger(caplog, capsys):
    assert config.is_interactive_logging_enabled()
    config.disable_interactive_logging()
    try:
        assert lamina.utils.is_interactive_logging_enabled() is False
        with caplog.at_level(logging.INFO, logger="lamina"):
            bar = Progbar(4)
            bar.update(4, [("loss", 0.5)], finalize=True)
    finally:
        config.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    assert any("4/4" in record.getMessage() and "loss: 0.5" in record.getMessage()
               for record in caplog.records)
    Progbar(2).update(2, finalize=True)  # enabled again: stdout
    assert "2/2" in capsys.readouterr().out


class _Broken(layers.Layer):
    def call(self, x):
        return self.helper(x)

    def helper(self, x):
        raise KeyError("raised in user code")


def _frames(error):
    return [frame.filename for frame in traceback.extract_tb(error.__traceback__)]


def test_traceback_filtering_hides_lamina_frames_and_keeps_the_users():
    model = lamina.Sequential([layers.Dense(2), _Broken()])
    with pytest.raises(KeyError) as caught:
        model(np.ones((1, 3), "float32"))
    frames = _frames(caught.value)
    assert any(f == __file__ for f in frames)  # the user's call and helper
    lamina_frames = [f for f in frames if "/lamina/" in f.replace("\\", "/")]
    assert len(lamina_frames) <= 1, lamina_frames  # only the outermost call's re-raising line

    config.disable_traceback_filtering()
    try:
        with pytest.raises(KeyError) as caught:
            lamina.Sequential([layers.Dense(2), _Broken()])(np.ones((1, 3), "float32"))
    finally:
        config.enable_traceback_filtering()
    assert len([f for f in _frames(caught.value) if "/lamina/" in f.replace("\\", "/")]) > 3


def test_backend_queries():
    assert config.backend() == "torch"
    assert config.is_nnx_enabled() is False
    config.set_backend("torch")
    with pytest.raises(ValueError, match="PyTorch only"):
        config.set_backend("jax")


def test_caps_are_validated():
    with pytest.raises(ValueError, match="max_epochs"):
        config.set_max_epochs(0)
    with pytest.raises(ValueError, match="max_steps_per_epoch"):
        config.set_max_steps_per_epoch("5")
    assert config.max_epochs() is None and config.max_steps_per_epoch() is None


def test_debugging_caps_limit_fit_evaluate_and_predict():
    model = lamina.Sequential([lamina.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((40, 2), "float32"), np.ones((40, 1), "float32")
    config.set_max_epochs(2)
    config.set_max_steps_per_epoch(3)
    try:
        with pytest.warns(UserWarning) as caught:
            history = model.fit(x, y, epochs=5, batch_size=4, verbose=0)
        messages = " ".join(str(w.message) for w in caught)
        assert "Limiting epochs to 2" in messages and "Limiting steps_per_epoch to 3" in messages
        assert len(history.history["loss"]) == 2
        assert int(model.optimizer.iterations) == 2 * 3
        with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
            assert len(model.predict(x, batch_size=4, verbose=0)) == 12
    finally:
        config.set_max_epochs(None)
        config.set_max_steps_per_epoch(None)
    assert len(model.predict(x, batch_size=4, verbose=0)) == 40
