"""`make_train_function` / `make_test_function` / `make_predict_function` and the
`*_function` attributes, as Keras's torch backend has them: a function of a list holding one
batch, kept until compile(), and called by fit/evaluate/predict when set. (Checked line by line
against Keras 3.15.1 on torch; Keras's `make_*_function` returns None when it makes a new one,
lamina returns the function.)"""

import pickle

import numpy as np
import torch

import lamina as keras

X = np.arange(24, dtype="float32").reshape(8, 3) / 10
Y = X.sum(axis=1, keepdims=True) + 1.0  # the ones-kernel model misses by exactly 1


def model(cls=keras.Sequential):
    net = cls([keras.Input((3,)), keras.layers.Dense(1, kernel_initializer="ones")])
    net.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    return net


def test_step_functions_are_none_until_made_and_take_a_list_of_one_batch():
    net = model()
    assert net.train_function is None and net.test_function is None
    test = net.make_test_function()
    assert test is net.test_function and net.make_test_function() is test  # kept
    assert {k: float(v) for k, v in test([(X, Y)]).items()} == {"loss": 1.0, "mae": 1.0}
    train = net.make_train_function()
    logs = train([(X, Y)])
    assert float(logs["loss"]) == 1.0
    # one SGD step on mse: the bias moves by 0.1 * 2 * mean(error) = 0.2
    np.testing.assert_allclose(net.layers[0].bias.detach().numpy(), [0.2], rtol=1e-6)
    predicted = net.make_predict_function()([(X,)])
    np.testing.assert_allclose(predicted.detach().numpy(), net.predict(X, verbose=0), rtol=1e-6)
    assert net.make_train_function(force=True) is not train
    net.compile("sgd", "mse")
    assert net.train_function is None and net.test_function is None
    assert net.predict_function is None


def test_fit_calls_an_overridden_make_train_function_and_its_train_function():
    calls = []

    class Counting(keras.Sequential):
        def make_train_function(self, force=False):
            calls.append("make")
            inner = super().make_train_function(force)

            def wrapped(data):
                calls.append((type(data).__name__, len(data)))
                return inner(data)

            self.train_function = wrapped
            return wrapped

    net = model(Counting)
    history = net.fit(X, Y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    assert calls == ["make", ("list", 1), ("list", 1)]
    assert history.history["loss"][0] < 1.0  # the wrapped step trained


def test_an_assigned_test_function_is_what_evaluate_runs():
    net = model()
    seen = []
    test = net.make_test_function()
    net.test_function = lambda data: seen.append(len(data)) or test(data)
    assert net.evaluate(X, Y, batch_size=4, verbose=0) == [1.0, 1.0]
    assert seen == [1, 1]


def test_train_step_called_directly_trains():
    # (no fit before it: the step itself gets the optimizer ready, as Keras's does)
    net = model()
    net.train_step((torch.from_numpy(X), torch.from_numpy(Y), None))
    np.testing.assert_allclose(net.layers[0].bias.detach().numpy(), [0.2], rtol=1e-6)


def test_fit_stores_no_function_so_the_model_still_pickles():
    net = model()
    net.fit(X, Y, epochs=1, verbose=0)
    net.evaluate(X, Y, verbose=0)
    assert net.train_function is None and net.test_function is None
    again = pickle.loads(pickle.dumps(net))
    np.testing.assert_allclose(again.predict(X, verbose=0), net.predict(X, verbose=0))
