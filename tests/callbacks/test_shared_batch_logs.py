"""Callbacks see one logs dict per batch, in order, as in Keras 3: what one writes into it
reaches the next ones, lamina's own included (recorded from Keras 3.15.1: TerminateOnNaN
stops at batch 1 and the last callback sees the added key)."""

import numpy as np

import lamina as keras


class Poison(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 1:
            logs["loss"] = float("nan")
        logs["extra"] = 1.0


class Reader(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.seen = dict(logs)


def test_a_callbacks_edit_reaches_the_callbacks_after_it(capsys):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    reader = Reader()
    history = model.fit(np.ones((40, 3)), np.ones((40, 1)), batch_size=4, epochs=2, verbose=0,
                        callbacks=[Poison(), keras.callbacks.TerminateOnNaN(), reader])
    assert model.stop_training and len(history.history["loss"]) == 1
    assert "Batch 1: Invalid loss, terminating training" in capsys.readouterr().out
    assert sorted(reader.seen) == ["extra", "loss"]
