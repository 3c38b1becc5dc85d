"""SwapEMAWeights (evaluation with the optimizer's moving average of the weights) and
RemoteMonitor (epoch logs posted to a local HTTP server; no network)."""

import http.server
import json
import threading
import urllib.parse

import numpy as np
import pytest
import torch

import lamina
from lamina.callbacks.remote_monitor import RemoteMonitor
from lamina.callbacks.swap_ema_weights import SwapEMAWeights


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5]], "float32")


def _model(use_ema=True):
    torch.manual_seed(0)
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
    model.compile(optimizer=lamina.optimizers.SGD(0.1, use_ema=use_ema, ema_momentum=0.5),
                  loss="mse")
    return model


class Snapshot(lamina.callbacks.Callback):
    """Records the model's weights and the optimizer's averages when evaluation begins/ends."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def _record(self):
        optimizer = self.model.optimizer
        self.seen.append(([v.detach().clone() for v in optimizer._trainable_variables],
                          [a.detach().clone() for a in optimizer._model_variables_moving_average]))

    def on_test_begin(self, logs=None):
        self._record()

    def on_test_end(self, logs=None):
        self._record()


def test_evaluation_inside_fit_sees_the_ema_weights_and_training_does_not():
    x, y = _data()
    before, after = Snapshot(), Snapshot()
    model = _model()
    model.fit(x, y, epochs=2, batch_size=8, validation_data=(x, y), shuffle=False, verbose=0,
              callbacks=[before, SwapEMAWeights(), after])
    (weights, averages), (swapped_weights, swapped_averages) = before.seen[0], after.seen[0]
    assert not torch.equal(weights[0], averages[0])
    assert torch.equal(swapped_weights[0], averages[0])  # EMA in the model while evaluating
    assert torch.equal(swapped_averages[0], weights[0])
    # At `on_test_end`, the callbacks after SwapEMAWeights see the weights swapped back.
    restored_weights, restored_averages = after.seen[1]
    assert torch.equal(restored_weights[0], weights[0])
    assert torch.equal(restored_averages[0], averages[0])
    # Training continued from the raw weights: the run equals one without the callback.
    reference = _model()
    reference.fit(x, y, epochs=2, batch_size=8, validation_data=(x, y), shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_val_loss_is_the_loss_of_the_ema_weights():
    x, y = _data()
    model, probe = _model(), Snapshot()
    history = model.fit(x, y, epochs=1, batch_size=8, validation_data=(x, y), shuffle=False,
                        verbose=0, callbacks=[probe, SwapEMAWeights()])
    kernel, bias = (a.numpy() for a in probe.seen[0][1])  # the averages when validation began
    expected = np.mean((x @ kernel + bias - y) ** 2)
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-5)


def test_swap_on_epoch_ends_training_with_the_ema_weights():
    x, y = _data()
    with_callback = _model()
    with_callback.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0,
                      callbacks=[SwapEMAWeights(swap_on_epoch=True)])
    plain = _model()
    plain.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0)  # finalizes to the EMA
    for a, b in zip(with_callback.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_predict_restores_the_weights():
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    weights = model.get_weights()
    model.predict(x, verbose=0, callbacks=[SwapEMAWeights()])
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)


def test_an_optimizer_without_ema_is_refused():
    x, y = _data()
    model = _model(use_ema=False)
    with pytest.raises(ValueError, match="use_ema=True"):
        model.fit(x, y, epochs=1, validation_data=(x, y), verbose=0,
                  callbacks=[SwapEMAWeights()])


# ---- RemoteMonitor ---------------------------------------------------------------------------
class _Recorder(http.server.BaseHTTPRequestHandler):
    received = []

    def do_POST(self):  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, self.headers["Content-Type"], body.decode(),
                              self.headers.get("X-Run")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    _Recorder.received = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Recorder.received
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_posts_each_epoch_as_a_form_field(server):
    root, received = server
    x, y = _data()
    model = _model(use_ema=False)
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[RemoteMonitor(root=root)])
    assert len(received) == 2
    path, content_type, body, _ = received[1]
    assert path == "/publish/epoch/end/"
    assert content_type == "application/x-www-form-urlencoded"
    payload = json.loads(urllib.parse.parse_qs(body)["data"][0])
    assert payload["epoch"] == 1
    assert payload["loss"] == pytest.approx(history.history["loss"][1])


def test_posts_json_with_headers(server):
    root, received = server
    monitor = RemoteMonitor(root=root, path="/logs", send_as_json=True, headers={"X-Run": "7"})
    monitor.on_epoch_end(3, {"loss": np.float32(0.5), "acc": torch.tensor(0.25)})
    path, content_type, body, run = received[0]
    assert (path, content_type, run) == ("/logs", "application/json", "7")
    assert json.loads(body) == {"epoch": 3, "loss": 0.5, "acc": 0.25}


def test_an_unreachable_server_warns_and_training_goes_on():
    monitor = RemoteMonitor(root="http://127.0.0.1:9", timeout=2)  # the discard port: closed
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        monitor.on_epoch_end(0, {"loss": 1.0})


def test_an_uncompiled_model_is_refused():
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled model"):
        model.predict(np.ones((2, 3), "float32"), verbose=0, callbacks=[SwapEMAWeights()])
