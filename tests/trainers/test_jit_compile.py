"""compile(jit_compile=True): fit, evaluate and predict run their steps through torch.compile.

Most tests use the "aot_eager" backend: the same Dynamo capture and AOTAutograd backward as
the default "inductor", without code generation (seconds instead of minutes on a CPU). One test
runs inductor itself on a tiny model. Every compiled result is compared with the eager run.
"""

import numpy as np
import pytest
import torch

import lamina as keras
from lamina import layers
from lamina.trainers import step_compiler

# Dynamo probes `.grad` of every tensor it meets and hides torch's warning about non-leaf
# tensors with a filter of its own, which this suite's "error" filter overrides.
pytestmark = pytest.mark.filterwarnings(
    "ignore:The .grad attribute of a Tensor that is not a leaf:UserWarning")
# (Importing inductor touches torch.jit APIs that torch itself deprecates.)
_INDUCTOR_IMPORT = pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated")


@pytest.fixture(autouse=True)
def _fast_backend(monkeypatch):
    monkeypatch.setattr(step_compiler, "BACKEND", "aot_eager")
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def _mlp():
    return keras.Sequential([
        keras.Input((12,)),
        layers.Dense(16, activation="relu", activity_regularizer="l2"),  # an add_loss each step
        layers.BatchNormalization(),  # buffers updated inside the compiled graph
        layers.Dense(3, activation="softmax"),
    ])


def _cnn():
    return keras.Sequential([
        keras.Input((10, 10, 1)), layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(3, activation="softmax")])


def _lstm():
    return keras.Sequential([
        keras.Input((9,), dtype="int32"), layers.Embedding(40, 8), layers.LSTM(8),
        layers.Dense(1, activation="sigmoid")])


class _TokenAndPositionEmbedding(layers.Layer):
    """As in Keras's text-classification transformer example: positions from ops.arange (a
    tensor made from no tensor, on lamina's default device, inside the compiled step)."""

    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = layers.Embedding(vocab_size, embed_dim)
        self.pos_emb = layers.Embedding(maxlen, embed_dim)

    def call(self, x):
        positions = keras.ops.arange(0, keras.ops.shape(x)[-1], 1)
        return self.token_emb(x) + self.pos_emb(positions) * keras.ops.ones(())


def _transformer():
    tokens = keras.Input((9,), dtype="int32")
    x = _TokenAndPositionEmbedding(9, 40, 16)(tokens)
    x = layers.LayerNormalization()(layers.Add()([x, layers.MultiHeadAttention(2, 8)(x, x)]))
    ffn = layers.Dense(16)(layers.Dense(32, activation="relu")(x))
    x = layers.LayerNormalization()(layers.Add()([x, ffn]))
    out = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling1D()(x))
    return keras.Model(tokens, out)


def _data(kind, n=70):
    rng = np.random.RandomState(0)
    if kind == "mlp":
        return rng.rand(n, 12).astype("float32"), rng.randint(0, 3, n)
    if kind == "cnn":
        return rng.rand(n, 10, 10, 1).astype("float32"), rng.randint(0, 3, n)
    return rng.randint(0, 40, (n, 9)), rng.randint(0, 2, n).astype("float32")


MODELS = {"mlp": _mlp, "cnn": _cnn, "lstm": _lstm, "transformer": _transformer}


def _train(kind, jit_compile, optimizer="adam"):
    keras.utils.set_random_seed(7)
    model = MODELS[kind]()
    loss = ("sparse_categorical_crossentropy" if kind in ("mlp", "cnn")
            else "binary_crossentropy")
    model.compile(optimizer, loss, metrics=["accuracy"], jit_compile=jit_compile)
    x, y = _data(kind)
    history = model.fit(x, y, batch_size=16, epochs=2, validation_split=0.2, verbose=0)
    evaluation = model.evaluate(x, y, batch_size=32, verbose=0)
    prediction = model.predict(x, batch_size=32, verbose=0)
    return model, history.history, evaluation, prediction


@pytest.mark.parametrize("kind", ["mlp", "lstm"])  # (the other models: capture tests below)
def test_compiled_fit_evaluate_predict_equal_eager(kind):
    eager = _train(kind, False)
    compiled = _train(kind, True)
    assert compiled[0].jit_compile is True
    for key, values in eager[1].items():
        np.testing.assert_allclose(compiled[1][key], values, rtol=1e-4, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(compiled[2], eager[2], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(compiled[3], eager[3], rtol=1e-4, atol=1e-5)
    for a, b in zip(compiled[0].get_weights(), eager[0].get_weights()):  # incl. moving stats
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert compiled[0].optimizer.iterations.item() == eager[0].optimizer.iterations.item()


def _outside_fused_recurrence(break_reasons):
    """The breaks not caused by the fused recurrent kernel, which runs outside the graph on
    purpose (lamina/layers/rnn/fused.py: torch 2.13 cannot compile torch.lstm with autograd on
    the CPU); Dynamo breaks the enclosing RNN frames around it too."""
    return [b for b in break_reasons
            if not (b.user_stack and "lamina/layers/rnn/" in b.user_stack[-1].filename)]


@pytest.mark.parametrize("kind", sorted(MODELS))
@pytest.mark.parametrize("training", [False, True])
def test_builtin_models_forward_is_one_graph(kind, training):
    model = MODELS[kind]()
    x = torch.as_tensor(_data(kind, 8)[0])
    explanation = torch._dynamo.explain(lambda inputs: model(inputs, training=training))(x)
    assert not _outside_fused_recurrence(explanation.break_reasons)
    if kind != "lstm":
        assert explanation.graph_count == 1 and explanation.graph_break_count == 0


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_train_step_is_one_graph(kind):
    """Forward, loss, gradients, optimizer and metric updates: one graph, no break (the
    gradients by torch.autograd.grad, traced with `trace_autograd_ops`, as step_compiler runs
    it). The LSTM's fused kernel runs outside the graph on purpose and is the only exception:
    autograd.grad then runs between two graphs."""
    model = MODELS[kind]()
    loss = "sparse_categorical_crossentropy" if kind in ("mlp", "cnn") else "binary_crossentropy"
    model.compile("adam", loss, metrics=["accuracy"])
    x, y = _data(kind, 16)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # builds the optimizer and metrics
    data = (torch.as_tensor(x), torch.as_tensor(y))
    with torch._dynamo.config.patch(trace_autograd_ops=True):
        explanation = torch._dynamo.explain(model.train_step)(data)
    reasons = [b.reason for b in _outside_fused_recurrence(explanation.break_reasons)]
    if kind == "lstm":  # the gradients flow through the kernel's own autograd node, outside
        assert all("external grad_fn" in reason for reason in reasons), reasons
    else:
        assert explanation.graph_count == 1 and explanation.graph_break_count == 0


@pytest.mark.parametrize("kind", ["mlp", "cnn", "transformer"])
@pytest.mark.parametrize("step", ["test_step", "predict_step"])
def test_evaluate_and_predict_steps_are_one_graph(kind, step):
    model = MODELS[kind]()
    loss = "sparse_categorical_crossentropy" if kind in ("mlp", "cnn") else "binary_crossentropy"
    model.compile("adam", loss, metrics=["accuracy"])
    x, y = _data(kind, 16)
    model.evaluate(x, y, batch_size=16, verbose=0)  # builds the metrics
    data = (torch.as_tensor(x), torch.as_tensor(y))
    with torch.no_grad():
        explanation = torch._dynamo.explain(getattr(model, step))(data)
    assert explanation.graph_count == 1 and explanation.graph_break_count == 0, \
        [b.reason for b in explanation.break_reasons]


def test_no_recompilation_after_the_first_epoch():
    """Two batch sizes (full and last) compile once each; later epochs compile nothing."""
    keras.utils.set_random_seed(0)
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=True)
    x, y = _data("mlp", 40)  # batches of 16, 16, 8
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    frames = torch._dynamo.utils.counters["stats"]["unique_graphs"]
    model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] == frames


def test_custom_train_step_is_compiled_too():
    def run(jit):
        # Counted in a tensor: a compiled step replays tensor updates at every step, whereas a
        # Python counter is a constant of the traced code (as in Keras on JAX).
        steps_seen = torch.zeros((), dtype=torch.int64)

        class Custom(keras.Model):
            def train_step(self, data):
                x, y = data
                y_pred = self(x, training=True)
                loss = self.compute_loss(x, y, y_pred)
                loss.backward()
                self.optimizer.apply([v.grad for v in self.trainable_weights],
                                     self.trainable_weights)
                for v in self.trainable_weights:
                    v.grad = None
                steps_seen.add_(1)
                return {"loss": loss}

        keras.utils.set_random_seed(1)
        inputs = keras.Input((12,))
        model = Custom(inputs, layers.Dense(3, activation="softmax")(layers.Dense(8)(inputs)))
        model.compile("sgd", "sparse_categorical_crossentropy", jit_compile=jit)
        history = model.fit(*_data("mlp", 32), batch_size=16, epochs=2, verbose=0)
        return history.history["loss"], int(steps_seen)

    eager, compiled = run(False), run(True)
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-5)
    assert compiled[1] == eager[1] == 4


@pytest.mark.parametrize("zero_grad_first", [True, False])
def test_the_keras_torch_guide_train_step_compiles_to_the_eager_numbers(zero_grad_first):
    """The train step of Keras's "customizing fit() with PyTorch" guide: `zero_grad()`,
    `loss.backward()`, the gradients read from `v.value.grad`, metrics updated by hand. With
    `zero_grad()` between the loss and `backward()` (a common reordering), a graph break falls
    between them; lamina's traced-autograd setting then lost the gradients (the optimizer got
    none). User steps now compile without it."""
    class GuideModel(keras.Model):
        def train_step(self, data):
            x, y = data
            if zero_grad_first:
                self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            if not zero_grad_first:
                self.zero_grad()
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    def run(jit):
        keras.utils.set_random_seed(0)
        inputs = keras.Input((12,))
        model = GuideModel(inputs, layers.Dense(1)(layers.Dense(8, activation="relu")(inputs)))
        model.compile("adam", "mse", metrics=["mae"], jit_compile=jit)
        x, y = _data("mlp", 48)
        history = model.fit(x, y.astype("float32")[:, None], batch_size=16, epochs=2,
                            verbose=0).history
        return history, model.get_weights()

    eager, compiled = run(False), run(True)
    for key in ("loss", "mae"):
        np.testing.assert_allclose(compiled[0][key], eager[0][key], rtol=1e-5, err_msg=key)
    for a, b in zip(compiled[1], eager[1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert eager[0]["loss"][-1] < eager[0]["loss"][0]


def test_only_lamina_train_steps_trace_autograd():
    class Own(keras.Model):
        def train_step(self, data):
            return super().train_step(data)

    assert step_compiler._builtin_train_step(_mlp())
    assert not step_compiler._builtin_train_step(Own())
    assert step_compiler._dynamo_settings(trace_autograd=False)["trace_autograd_ops"] is False


def test_a_masked_recurrent_model_compiles_quietly_to_the_eager_numbers(caplog):
    """Right-padded sequences reach the fused kernel with their lengths, which are read on the
    host outside the graph: no Dynamo warning about graph breaks on `Tensor.item()` (one per
    read, printed to the user's terminal), and the compiled numbers are the eager ones."""
    tokens = np.random.RandomState(0).randint(1, 40, (32, 9))
    tokens[::2, 6:] = 0  # half the samples padded on the right

    def run(jit):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((9,), dtype="int32"),
                                  layers.Embedding(40, 6, mask_zero=True),
                                  layers.Bidirectional(layers.LSTM(5)),
                                  layers.Dense(1, activation="sigmoid")])
        model.compile("adam", "binary_crossentropy", jit_compile=jit)
        history = model.fit(tokens, np.arange(32) % 2, batch_size=16, epochs=2,
                            shuffle=False, verbose=0).history
        return history["loss"], model.predict(tokens, verbose=0)

    eager = run(False)
    with caplog.at_level("WARNING"):
        compiled = run(True)
    assert not [r for r in caplog.records if "item()" in r.getMessage()]
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-5)
    np.testing.assert_allclose(compiled[1], eager[1], atol=1e-6)


def test_compile_arguments():
    model = _mlp()
    model.compile("adam", "mse")
    assert model.jit_compile is False  # "auto" on torch is eager, as in Keras
    model.compile("adam", "mse", jit_compile=True)
    assert model.get_compile_config()["jit_compile"] is True
    with pytest.warns(UserWarning, match="running eagerly"):
        model.compile("adam", "mse", jit_compile=True, run_eagerly=True)
    assert model.jit_compile is False
    with pytest.raises(ValueError, match="jit_compile"):
        model.compile("adam", "mse", jit_compile="yes")


def test_a_loaded_model_runs_eagerly_until_asked(tmp_path):
    """Keras on JAX writes jit_compile=true for its default "auto" (XLA): loading such a file
    must not make every step wait for torch.compile. Compiling stays the caller's choice."""
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=True)
    model.fit(*_data("mlp", 16), verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.compiled and loaded.jit_compile is False


@_INDUCTOR_IMPORT
def test_inductor_step_equals_eager(monkeypatch):
    """The default backend itself, once, on a tiny model (code generation takes a while)."""
    monkeypatch.setattr(step_compiler, "BACKEND", "inductor")

    def run(jit):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="relu"),
                                  layers.Dense(1)])
        model.compile("adam", "mse", jit_compile=jit)
        rng = np.random.RandomState(0)
        x, y = rng.rand(32, 6).astype("float32"), rng.rand(32, 1).astype("float32")
        history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
        return history.history["loss"], model.get_weights()

    eager, compiled = run(False), run(True)
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-5)
    for a, b in zip(compiled[1], eager[1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


class _BatchLog(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append(("begin", batch))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("end", batch))

    def on_test_batch_end(self, batch, logs=None):
        self.calls.append(("test_end", batch))


@pytest.mark.parametrize("as_generator", [False, True])
def test_steps_per_execution_calls_batch_callbacks_once_per_execution(as_generator):
    """Keras (on JAX/TF) runs N steps per execution and calls the batch callbacks around each
    execution: begin with its first step, end with its last (the last execution may be short)."""
    x, y = _data("mlp", 70)  # 5 batches of 16 (the last has 6)
    model = _mlp()
    model.compile("sgd", "sparse_categorical_crossentropy", steps_per_execution=2)
    log = _BatchLog()
    if as_generator:
        def batches():
            for start in range(0, 70, 16):
                yield x[start:start + 16], y[start:start + 16]
        model.fit(batches(), epochs=1, verbose=0, callbacks=[log])
    else:
        model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[log])
    assert log.calls == [("begin", 0), ("end", 1), ("begin", 2), ("end", 3), ("begin", 4),
                         ("end", 4)]
    assert model.optimizer.iterations.item() == 5  # every step still trains
    log.calls.clear()
    model.evaluate(x, y, batch_size=16, verbose=0, callbacks=[log])
    assert log.calls == [("test_end", 1), ("test_end", 3), ("test_end", 4)]


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", True])
def test_steps_per_execution_must_be_a_positive_integer(value):
    with pytest.raises(ValueError, match="steps_per_execution"):
        _mlp().compile("sgd", "mse", steps_per_execution=value)


def test_compiled_predict_as_the_first_call_of_a_thread():
    """A thread's first layer call compiled: its per-thread call state must already exist
    (a name that appears in it during the traced call broke Dynamo's guards)."""
    import threading

    x, _ = _data("mlp", 40)
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=True)
    results = {}

    def run():
        try:
            results["value"] = model.predict(x, batch_size=16, verbose=0)
        except Exception as error:  # noqa: BLE001 - reported below
            results["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert "error" not in results, results.get("error")
    assert results["value"].shape == (40, 3)


@pytest.mark.parametrize("policy, optimizer", [
    ("mixed_float16", "adam"),  # dynamic loss scaling: scale, unscale, skip on overflow, in-graph
    ("float32", {"class_name": "SGD", "config": {"learning_rate": 0.1, "clipnorm": 0.5}}),
])
def test_loss_scaling_and_clipping_compiled_equal_eager(policy, optimizer):
    def run(jit):
        keras.utils.set_random_seed(3)
        keras.mixed_precision.set_global_policy(policy)
        try:
            model = _mlp()
            model.compile(keras.optimizers.get(optimizer), "sparse_categorical_crossentropy",
                          jit_compile=jit)
            history = model.fit(*_data("mlp", 48), batch_size=16, epochs=2, verbose=0)
        finally:
            keras.mixed_precision.set_global_policy("float32")
        return history.history["loss"], model.get_weights()

    (eager_loss, eager_weights), (loss, weights) = run(False), run(True)
    tolerance = 2e-3 if policy == "mixed_float16" else 1e-5
    np.testing.assert_allclose(loss, eager_loss, rtol=tolerance)
    for a, b in zip(weights, eager_weights):
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance)


def test_each_new_model_compiles_its_two_batch_sizes_once_and_no_more():
    """A model's first step must not be traced twice (a cache filled inside the trace, a layer
    name read into a guard), and a process may compile more models than Dynamo's default limit
    of 8 versions per function (a k-fold loop) without falling back to eager steps."""
    x, y = _data("mlp", 40)  # batches of 16, 16, 8
    counts = []
    for fold in range(5):
        keras.utils.set_random_seed(fold)
        model = _mlp()
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"],
                      jit_compile=True)
        before = torch._dynamo.utils.counters["stats"]["unique_graphs"]
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        counts.append(torch._dynamo.utils.counters["stats"]["unique_graphs"] - before)
    assert counts == [2] * 5


def test_dynamo_settings_follow_the_installed_torch():
    from types import SimpleNamespace

    assert step_compiler._dynamo_settings() == {
        "trace_autograd_ops": True, "recompile_limit": step_compiler.RECOMPILE_LIMIT}
    older = SimpleNamespace(cache_size_limit=8)  # a torch before both settings' current names
    assert step_compiler._dynamo_settings(older) == {
        "cache_size_limit": step_compiler.RECOMPILE_LIMIT}


def test_settings_are_in_force_whenever_a_step_compiles_and_only_then(monkeypatch):
    """fit/evaluate/predict hold lamina's Dynamo settings for their whole loop (patching them
    at every step cost a tenth of a small compiled step); a step called on its own
    (train_on_batch) patches them around itself. Outside, the user's settings are untouched."""
    config = torch._dynamo.config
    expected = step_compiler._dynamo_settings()
    before = {name: getattr(config, name) for name in expected}
    assert before != expected  # (otherwise this test could not tell)
    seen = []

    def recording_backend(graph_module, example_inputs):
        seen.append({name: getattr(config, name) for name in expected})
        return graph_module.forward

    monkeypatch.setattr(step_compiler, "BACKEND", recording_backend)
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=True)
    x, y = _data("mlp", 40)
    in_fit = []
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, validation_split=0.25, callbacks=[
        keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: in_fit.append(
            {name: getattr(config, name) for name in expected}))])
    model.evaluate(x, y, batch_size=7, verbose=0)
    model.predict(x, batch_size=9, verbose=0)
    compiled_in_loops = len(seen)
    model.train_on_batch(x[:5], y[:5])  # a new shape, compiled outside any loop
    assert len(seen) > compiled_in_loops >= 4
    assert all(settings == expected for settings in seen + in_fit)
    assert {name: getattr(config, name) for name in expected} == before


def test_predict_steps_never_take_a_cuda_graph_mode(monkeypatch):
    modes = []
    monkeypatch.setattr(step_compiler, "MODE", "reduce-overhead")
    monkeypatch.setattr(torch, "compile", lambda step, **kwargs: modes.append(
        (step.__name__, kwargs["mode"])) or step)
    model = _mlp()
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=True)
    for name in ("train_step", "test_step", "predict_step"):
        step_compiler.step_function(model, name)
    assert modes == [("train_step", "reduce-overhead"), ("test_step", "reduce-overhead"),
                     ("predict_step", None)]


def test_deleted_models_compiled_steps_do_not_fill_dynamos_cache(monkeypatch):
    """A process compiling model after model (k-fold, a search): the compiled versions of
    deleted models used to stay in Dynamo's cache and count toward the recompile limit, so
    after about 30 models every step fell back to eager (with Dynamo's warning)."""
    import gc

    from torch._dynamo.eval_frame import _debug_get_cache_entry_list

    from lamina.trainers.trainer import Trainer

    monkeypatch.setattr(step_compiler, "RECOMPILE_LIMIT", 8)
    torch._dynamo.reset_code(Trainer.train_step.__code__)
    x = np.random.RandomState(0).rand(20, 3).astype("float32")
    sizes = []
    for _ in range(7):  # two compiled versions each (full and last batch): 14 > 8
        model = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dense(1)])
        model.compile("sgd", "mse", jit_compile=True)
        model.fit(x, x[:, :1], batch_size=8, epochs=1, verbose=0)
        sizes.append(len(_debug_get_cache_entry_list(Trainer.train_step.__code__)))
        del model
        gc.collect()
    assert max(sizes) < 8 and sizes[-1] >= 2  # bounded, and the last model ran compiled
