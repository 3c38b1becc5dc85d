"""lamina.testing.keras_alias: unchanged Keras programs run on lamina through `import keras`."""

import subprocess
import sys
import textwrap
import types

import pytest

import lamina
from lamina.testing import keras_alias

GUIDE_PROGRAM = textwrap.dedent("""
    from lamina.testing import keras_alias
    keras_alias.install()

    import numpy as np
    import keras
    from keras import layers
    import keras.ops as ops
    from keras.layers import Dense
    import lamina

    assert keras is lamina and layers is lamina.layers and ops is lamina.ops
    assert Dense is lamina.layers.Dense

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(8, activation="relu"),
        Dense(1),
    ])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = np.random.rand(64, 4).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    loss, mae = model.evaluate(x, y, verbose=0)
    print(len(history.history["loss"]), model.predict(x, verbose=0).shape, ops.shape(x))
""")


def test_a_keras_guide_program_runs_through_the_alias():
    # A subprocess: the alias changes the import system for the whole interpreter.
    result = subprocess.run([sys.executable, "-W", "error", "-c", GUIDE_PROGRAM],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "3 (64, 1) (64, 4)"


def test_a_missing_keras_module_is_named():
    with keras_alias.aliased():
        with pytest.raises(ModuleNotFoundError, match="keras.no_such_module") as raised:
            __import__("keras.no_such_module")
    assert raised.value.name == "keras.no_such_module"


def test_aliased_is_the_same_module_objects_and_is_undone():
    with keras_alias.aliased():
        import keras
        import keras.optimizers.schedules
        assert keras is lamina
        assert keras.optimizers.schedules is lamina.optimizers.schedules
        # The lamina modules keep their own identity.
        assert lamina.optimizers.schedules.__spec__.name == "lamina.optimizers.schedules"
    assert not keras_alias.is_installed()
    assert "keras" not in sys.modules and "keras.optimizers" not in sys.modules


def test_install_refuses_once_the_real_keras_is_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "keras", types.ModuleType("keras"))
    with pytest.raises(RuntimeError, match="already imported"):
        keras_alias.install()
    assert not keras_alias.is_installed()


def test_aliased_sets_a_real_keras_aside_and_restores_it(monkeypatch):
    real = types.ModuleType("keras")
    monkeypatch.setitem(sys.modules, "keras", real)
    with keras_alias.aliased():
        import keras
        assert keras is lamina
    assert sys.modules["keras"] is real
