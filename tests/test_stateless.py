"""The stateless API: `Layer.stateless_call`, `Model.stateless_compute_loss`,
`Optimizer.stateless_apply`, the `Metric.stateless_*` methods and `lamina.StatelessScope`, plus
`Layer.path`, `Layer.input_dtype`, `Layer.add_metric` and functional `Model.operations`.

Numbers come from real Keras 3 (tests/fixtures/stateless/record.py wrote stateless.json);
the properties below hold whatever Keras says: a stateless call with a layer's own values is
its normal call, gradients are autograd's, nothing is written to, and a JAX-style loop trains
exactly as `optimizer.apply` and `fit` do."""

import copy
import json
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina import layers

FIXTURE = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "stateless" / "stateless.json").read_text())


def as_array(value):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype="float64")


def close(actual, expected, rtol=1e-4, atol=1e-5):
    np.testing.assert_allclose(as_array(actual), as_array(expected), rtol=rtol, atol=atol)


def all_close(actuals, expecteds, **kwargs):
    assert len(actuals) == len(expecteds)
    for actual, expected in zip(actuals, expecteds):
        close(actual, expected, **kwargs)


def values_of(variables):
    return [v.detach().clone() for v in variables]


def fixture_model():
    """The model of the fixture, with its initial values."""
    model = lamina.Sequential([
        lamina.Input((3,)),
        layers.Dense(4, activation="relu", kernel_regularizer=lamina.regularizers.L2(0.05),
                     name="d1"),
        layers.BatchNormalization(momentum=0.8, name="bn"),
        layers.Dense(2, name="d2"),
    ], name="net")
    model.set_weights([np.asarray(w, "float32") for w in FIXTURE["weights"]])
    return model


def fixture_data(model):
    device = model.trainable_variables[0].device
    return (torch.tensor(FIXTURE["x"], dtype=torch.float32, device=device),
            torch.tensor(FIXTURE["y"], dtype=torch.float32, device=device))


# ------------------------------------------------------------------ against Keras
def test_variable_lists_are_in_keras_order():
    model = fixture_model()
    assert [v.path for v in model.trainable_variables] == FIXTURE["model"]["trainable_paths"]
    assert [v.path for v in model.non_trainable_variables] == \
        FIXTURE["model"]["non_trainable_paths"]


def test_stateless_call_matches_keras_in_training_and_inference():
    model = fixture_model()
    x, _ = fixture_data(model)
    trainable, non_trainable = values_of(model.trainable_variables), \
        values_of(model.non_trainable_variables)
    own = [w.detach().clone() for w in model.weights]
    outputs, new_nt, losses = model.stateless_call(trainable, non_trainable, x, training=True,
                                                   return_losses=True)
    expected = FIXTURE["model"]["call_train"]
    close(outputs, expected["outputs"])
    all_close(new_nt, expected["non_trainable"])
    all_close(losses, expected["losses"])
    outputs, new_nt = model.stateless_call(trainable, non_trainable, x)
    expected = FIXTURE["model"]["call_infer"]
    close(outputs, expected["outputs"])
    all_close(new_nt, expected["non_trainable"])
    assert FIXTURE["model"]["weights_unchanged"]
    for before, after in zip(own, model.weights):
        assert torch.equal(before, after.detach())


def test_stateless_call_gradients_match_keras():
    model = fixture_model()
    x, y = fixture_data(model)
    trainable = [t.requires_grad_(True) for t in values_of(model.trainable_variables)]
    outputs, _, losses = model.stateless_call(trainable, values_of(model.non_trainable_variables),
                                              x, training=True, return_losses=True)
    loss = torch.mean(torch.square(outputs - y)) + sum(losses)
    grads = torch.autograd.grad(loss, trainable)
    close(loss, FIXTURE["model"]["grads"]["loss"])
    all_close(grads, FIXTURE["model"]["grads"]["values"])


def test_stateless_compute_loss_matches_keras():
    model = fixture_model()
    model.compile(optimizer=lamina.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    x, y = fixture_data(model)  # (after compile, which places the model)
    trainable, non_trainable = values_of(model.trainable_variables), \
        values_of(model.non_trainable_variables)
    y_pred, new_nt = model.stateless_call(trainable, non_trainable, x, training=True)
    metrics = values_of(model.metrics_variables)
    expected = FIXTURE["model"]["compute_loss"]
    assert len(metrics) == expected["metrics_variables_before"]  # the loss tracker's two
    loss, (tv_out, nt_out, mv_out) = model.stateless_compute_loss(
        trainable, non_trainable, metrics, x=x, y=y, y_pred=y_pred)
    close(loss, expected["loss"])
    assert tv_out is trainable  # (returned as given, as Keras does)
    assert [len(tv_out), len(nt_out)] == expected["lengths"][:2]
    all_close(nt_out, expected["non_trainable_returned"])
    # Keras makes compile()'s metric containers later than lamina does (see
    # docs/differences.md): lamina returns values for all of model.metrics_variables.
    assert len(mv_out) == len(model.metrics_variables)
    for before, after in zip(metrics, mv_out):
        assert torch.equal(before, after)  # compute_loss updates no metric here


def test_stateless_apply_matches_keras_and_changes_nothing():
    model = fixture_model()
    optimizer = lamina.optimizers.Adam(learning_rate=0.01)
    optimizer.build(model.trainable_variables)
    expected_paths = [p.partition("/")[2] for p in FIXTURE["model"]["optimizer_paths"]]
    assert [v.path.partition("/")[2] for v in optimizer.variables] == expected_paths
    grads = [torch.tensor(g, dtype=torch.float32, device=v.device)
             for g, v in zip(FIXTURE["model"]["grads"]["values"], model.trainable_variables)]
    own_model, own_optimizer = values_of(model.weights), values_of(optimizer.variables)
    given_tv, given_ov = values_of(model.trainable_variables), values_of(optimizer.variables)
    copies = [t.clone() for t in given_tv + given_ov]
    new_tv, new_ov = optimizer.stateless_apply(given_ov, grads, given_tv)
    all_close(new_tv, FIXTURE["model"]["apply"]["trainable"])
    all_close(new_ov, FIXTURE["model"]["apply"]["optimizer"])
    assert int(optimizer.iterations) == 0 == FIXTURE["model"]["apply"]["iterations_after"]
    for before, after in zip(own_model + own_optimizer, model.weights + optimizer.variables):
        assert torch.equal(before, after.detach())
    for before, after in zip(copies, given_tv + given_ov):
        assert torch.equal(before, after)  # the caller's tensors are not written to


def _jax_style_loop(model, optimizer, x, y, steps):
    trainable = values_of(model.trainable_variables)
    non_trainable = values_of(model.non_trainable_variables)
    metrics = values_of(model.metrics_variables)
    optimizer_values = values_of(optimizer.variables)
    losses = []
    for _ in range(steps):
        trainable = [t.detach().requires_grad_(True) for t in trainable]
        y_pred, non_trainable = model.stateless_call(trainable, non_trainable, x, training=True)
        loss, (_, non_trainable, metrics) = model.stateless_compute_loss(
            trainable, non_trainable, metrics, x=x, y=y, y_pred=y_pred)
        grads = torch.autograd.grad(loss, trainable)
        trainable, optimizer_values = optimizer.stateless_apply(
            optimizer_values, grads, [t.detach() for t in trainable])
        losses.append(float(loss.detach()))
    return losses, trainable, non_trainable, optimizer_values


def test_jax_style_training_loop_matches_keras_and_fit():
    model = fixture_model()
    optimizer = lamina.optimizers.Adam(learning_rate=0.05)
    model.compile(optimizer=optimizer, loss="mse")
    optimizer.build(model.trainable_variables)
    x, y = fixture_data(model)
    own = values_of(model.weights)
    losses, trainable, non_trainable, optimizer_values = _jax_style_loop(
        model, optimizer, x, y, steps=3)
    expected = FIXTURE["loop"]
    close(losses, expected["losses"])
    all_close(trainable, expected["trainable"])
    all_close(non_trainable, expected["non_trainable"])
    all_close(optimizer_values, expected["optimizer"])
    for before, after in zip(own, model.weights):
        assert torch.equal(before, after.detach())

    fitted = fixture_model()
    fitted.compile(optimizer=lamina.optimizers.Adam(learning_rate=0.05), loss="mse")
    history = fitted.fit(np.asarray(FIXTURE["x"], "float32"), np.asarray(FIXTURE["y"], "float32"),
                         batch_size=8, epochs=3, shuffle=False, verbose=0)
    close(history.history["loss"], FIXTURE["fit"]["losses"])
    all_close(fitted.weights, FIXTURE["fit"]["weights"])
    # fit's weights are the loop's: trainable ones, then the moving statistics
    by_path = {v.path: v for v in fitted.weights}
    all_close([by_path[v.path] for v in model.trainable_variables], trainable, rtol=1e-5)
    all_close([by_path[v.path] for v in model.non_trainable_variables], non_trainable, rtol=1e-5)


def test_stateless_metric_methods_match_keras():
    data = FIXTURE["metrics"]["inputs"]
    tensor = lambda name: torch.tensor(data[name], dtype=torch.float32)  # noqa: E731
    mse = lamina.metrics.MeanSquaredError()
    values = mse.stateless_update_state(values_of(mse.variables), tensor("y1"), tensor("p1"))
    all_close(values, FIXTURE["metrics"]["mse"]["after_one"])
    values = mse.stateless_update_state(values, tensor("y2"), tensor("p2"),
                                        sample_weight=tensor("w2"))
    all_close(values, FIXTURE["metrics"]["mse"]["after_two"])
    close(mse.stateless_result(values), FIXTURE["metrics"]["mse"]["result"])
    close(mse.result(), FIXTURE["metrics"]["mse"]["own_result"])  # its own state: untouched
    for variable in mse.variables:
        assert float(variable.detach().sum()) == 0.0
    all_close(mse.stateless_reset_state(), FIXTURE["metrics"]["mse"]["reset"])

    auc_data = FIXTURE["metrics"]["auc"]
    auc = lamina.metrics.AUC(num_thresholds=5)
    values = auc.stateless_update_state(values_of(auc.variables),
                                        torch.tensor(auc_data["labels"]),
                                        torch.tensor(auc_data["scores"]))
    all_close(values, auc_data["variables"])
    close(auc.stateless_result(values), auc_data["result"])

    mean = lamina.metrics.Mean()
    values = mean.stateless_update_state(values_of(mean.variables),
                                         torch.tensor([1.0, 3.0, 5.0, 7.0]),
                                         sample_weight=torch.tensor([1.0, 1.0, 0.0, 2.0]))
    all_close(values, FIXTURE["metrics"]["mean"]["variables"])
    close(mean.stateless_result(values), FIXTURE["metrics"]["mean"]["result"])


class AddsLoss(layers.Layer):
    def call(self, inputs):
        self.add_loss(torch.mean(torch.square(inputs)) * 0.5)
        return inputs * 2.0


def test_stateless_scope_semantics_match_keras():
    expected = FIXTURE["scope"]
    v = lamina.Variable(np.array([1.0, 2.0, 3.0], "float32"), name="v")
    w = lamina.Variable(np.array([10.0, 20.0, 30.0], "float32"), name="w")
    with lamina.StatelessScope([(v, np.array([5.0, 5.0, 5.0], "float32"))]) as scope:
        close(v * 1.0, expected["read_mapped"])
        close(w * 1.0, expected["read_unmapped"])
        v.assign(v * 2.0)
        close(v + 0.0, expected["read_after_assign"])
        w.assign_add(np.array([1.0, 1.0, 1.0], "float32"))
        v.assign_sub(np.array([1.0, 1.0, 1.0], "float32"))
    all_close([v, w], expected["variables_after"])
    all_close([scope.get_current_value(v), scope.get_current_value(w)],
              expected["current_values"])

    with lamina.StatelessScope([(v, np.array([7.0, 7.0, 7.0], "float32"))]) as outer:
        with lamina.StatelessScope([(w, np.array([0.0, 0.0, 0.0], "float32"))]) as inner:
            all_close([v + 0.0, w + 0.0], expected["nested_reads"])
            v.assign(np.array([9.0, 9.0, 9.0], "float32"))
        close(v + 0.0, expected["outer_after_inner"])
    all_close([inner.get_current_value(v), outer.get_current_value(v)],
              expected["nested_current"])

    layer = AddsLoss()
    data = np.ones((2, 2), "float32")
    layer(data)
    all_close(layer.losses, expected["losses_before"])
    with lamina.StatelessScope(collect_losses=True) as collecting:
        layer(data * 3.0)
        all_close(layer.losses, expected["losses_inside"])
    all_close(collecting.losses, expected["scope_losses"])
    assert list(layer.losses) == expected["losses_after"] == []
    with lamina.StatelessScope() as dropping:
        layer(data * 5.0)
        assert list(layer.losses) == expected["losses_inside_not_collected"] == []
    assert len(dropping.losses) == expected["scope_losses_not_collected"] == 0

    bn = layers.BatchNormalization(momentum=0.5)
    bn.build((None, 3))
    data = np.arange(12, dtype="float32").reshape(4, 3)
    mapping = [(bn.moving_mean, np.ones(3, "float32")),
               (bn.moving_variance, np.full(3, 2.0, "float32"))]
    with lamina.StatelessScope(mapping) as scope:
        outputs = bn(data, training=True)
    expected = expected["batch_norm"]
    close(outputs, expected["outputs"])
    close(scope.get_current_value(bn.moving_mean), expected["moving_mean"])
    close(scope.get_current_value(bn.moving_variance), expected["moving_variance"])
    all_close([bn.moving_mean, bn.moving_variance], expected["own"])


def test_stateless_call_losses_match_keras():
    expected = FIXTURE["losses_model"]
    inputs = lamina.Input((3,))
    hidden = layers.Dense(2, kernel_regularizer=lamina.regularizers.L1(0.1),
                          activity_regularizer=lamina.regularizers.L2(0.2), name="reg")(inputs)
    model = lamina.Model(inputs, AddsLoss(name="adds")(hidden), name="with_losses")
    model.set_weights([np.asarray(expected["kernel"], "float32"), np.array([0.1, -0.2], "float32")])
    given = [torch.tensor(t, dtype=torch.float32).requires_grad_(True) for t in expected["given"]]
    outputs, _, losses = model.stateless_call(given, [], np.asarray(expected["x"], "float32"),
                                              return_losses=True)
    close(outputs, expected["outputs"])
    all_close(losses, expected["losses"])
    # the kernel regularizer's loss is computed on the given kernel: gradients reach it
    grad = torch.autograd.grad(losses[-1], given[0])[0]
    close(grad, 0.1 * np.sign(expected["given"][0]))
    # outside the call, the model's losses are its own again: its kernel's penalty only
    all_close(model.losses, [0.1 * np.abs(expected["kernel"]).sum()])


def test_layer_members_match_keras():
    expected = FIXTURE["members"]
    dense = layers.Dense(3, name="dd")
    assert dense.path is expected["path_unbuilt"] is None
    lamina.Sequential([lamina.Input((4,)), dense], name="seqq")
    assert dense.path == expected["path_in_sequential"] == "seqq/dd"
    inner = lamina.Sequential([lamina.Input((4,)), layers.Dense(3, name="d_in")], name="inner")
    outer = lamina.Sequential([lamina.Input((4,)), inner, layers.Dense(2, name="d_out")],
                              name="outer")
    assert [layer.path for layer in outer.layers] + [inner.layers[0].path] == \
        expected["nested_paths"]
    lazy = lamina.Sequential([layers.Dense(3, name="a1"), layers.Dense(2, name="a2")], name="s1")
    assert [layer.path for layer in lazy.layers] == expected["lazy_paths_before"]
    lazy(np.ones((2, 4), "float32"))
    assert [layer.path for layer in lazy.layers] + [lazy.path] == expected["lazy_paths_after"]
    inputs = lamina.Input((4,), name="fin")
    added = layers.Add(name="addl")([inputs, inputs])
    outputs = layers.Dense(2, name="f1")(lamina.ops.add(added, 1.0))
    functional = lamina.Model(inputs, outputs, name="fm")
    assert [layer.path for layer in functional.layers] == expected["functional_paths"]
    assert [op.name for op in functional.operations] == expected["operations"]
    assert [type(op).__name__ for op in functional.operations][:2] + \
        [type(op).__name__ for op in functional.operations][3:] == \
        expected["operation_kinds"][:2] + expected["operation_kinds"][3:]
    functional.operations.append("not kept")  # a copy, as in Keras
    assert len(functional.operations) == len(expected["operations"])
    assert not hasattr(lazy, "operations")  # Sequential has none in Keras either
    assert [layers.Dense(2).input_dtype, layers.Dense(2, dtype="mixed_float16").input_dtype,
            layers.Dense(2, dtype="float64").input_dtype,
            layers.Embedding(3, 2).input_dtype] == expected["input_dtype"]
    with pytest.raises(NotImplementedError, match=r"compile\(metrics="):
        layers.Dense(2).add_metric(1.0)
    assert expected["add_metric"] == "NotImplementedError"


def test_path_of_a_layer_built_directly():
    dense = layers.Dense(2, name="direct")
    dense.build((None, 3))
    assert dense.path == "direct"
    flatten = layers.Flatten(name="flat")
    flatten(np.ones((2, 3, 4), "float32"))
    assert flatten.path == "flat"


# ------------------------------------------------------------------ properties
LAYERS = {
    "dense": (lambda: layers.Dense(3), (4, 5)),
    "conv2d": (lambda: layers.Conv2D(3, 3, padding="same"), (2, 6, 6, 2)),
    "separable_conv": (lambda: layers.SeparableConv2D(4, 3), (2, 6, 6, 2)),
    "conv_transpose": (lambda: layers.Conv2DTranspose(3, 3), (2, 5, 5, 2)),
    "lstm": (lambda: layers.LSTM(3, return_sequences=True), (2, 5, 4)),
    "gru": (lambda: layers.GRU(3), (2, 5, 4)),
    "bidirectional": (lambda: layers.Bidirectional(layers.LSTM(3)), (2, 5, 4)),
    "batch_norm": (lambda: layers.BatchNormalization(), (5, 4)),
    "layer_norm": (lambda: layers.LayerNormalization(), (3, 4)),
    "embedding": (lambda: layers.Embedding(10, 3), "ids"),
    "einsum_dense": (lambda: layers.EinsumDense("ab,bc->ac", output_shape=3), (2, 4)),
    "torch_module": (lambda: layers.TorchModuleWrapper(torch.nn.Linear(4, 3)), (2, 4)),
    "conv_lstm": (lambda: layers.ConvLSTM2D(2, 3, padding="same"), (1, 3, 5, 5, 2)),
    "attention": (lambda: layers.MultiHeadAttention(2, 4), "attention"),
}


def _layer_and_inputs(name):
    make, shape = LAYERS[name]
    layer = make()
    if shape == "ids":
        args = (torch.randint(0, 10, (2, 3)),)
    elif shape == "attention":
        query = torch.randn(2, 3, 4)
        args = (query, query)
    else:
        args = (torch.randn(*shape),)
    layer(*args)
    return layer, args


def _set_values(layer, trainable, non_trainable):
    with torch.no_grad():
        for variable, value in zip(layer.trainable_variables + layer.non_trainable_variables,
                                   trainable + non_trainable):
            variable.copy_(value)


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_stateless_call_equals_a_call_with_those_values(name, training):
    layer, args = _layer_and_inputs(name)
    kwargs = {"training": training} if layer._call_has_training else {}
    own = values_of(layer.weights)
    # its own values: its normal call
    outputs, new_nt = layer.stateless_call(values_of(layer.trainable_variables),
                                           values_of(layer.non_trainable_variables), *args,
                                           **kwargs)
    reference = copy.deepcopy(layer)
    close(outputs, reference(*args, **kwargs), rtol=1e-5, atol=1e-6)
    all_close(new_nt, reference.non_trainable_variables, rtol=1e-6)
    # other values: the call of a copy that holds them (a read of the layer's own weights
    # anywhere would show here)
    trainable = [torch.randn_like(v) for v in layer.trainable_variables]
    non_trainable = [torch.rand_like(v) + 0.5 for v in layer.non_trainable_variables]
    outputs, new_nt = layer.stateless_call(trainable, non_trainable, *args, **kwargs)
    reference = copy.deepcopy(layer)
    _set_values(reference, trainable, non_trainable)
    close(outputs, reference(*args, **kwargs), rtol=1e-5, atol=1e-6)
    all_close(new_nt, reference.non_trainable_variables, rtol=1e-6)
    for before, after in zip(own, layer.weights):
        assert torch.equal(before, after.detach())


@pytest.mark.parametrize("name", ["conv2d", "lstm", "batch_norm", "attention", "torch_module"])
def test_stateless_call_gradients_equal_autograd_of_a_normal_call(name):
    layer, args = _layer_and_inputs(name)
    kwargs = {"training": True} if layer._call_has_training else {}
    trainable = [torch.randn_like(v).requires_grad_(True) for v in layer.trainable_variables]
    non_trainable = values_of(layer.non_trainable_variables)
    outputs, _ = layer.stateless_call(trainable, non_trainable, *args, **kwargs)
    grads = torch.autograd.grad(outputs.square().sum(), trainable)
    reference = copy.deepcopy(layer)
    _set_values(reference, [t.detach() for t in trainable], non_trainable)
    expected = torch.autograd.grad(reference(*args, **kwargs).square().sum(),
                                   reference.trainable_variables)
    all_close(grads, expected, rtol=1e-4, atol=1e-5)


def test_numpy_values_and_other_dtypes_are_accepted():
    layer = layers.Conv2D(2, 3)
    x = torch.randn(1, 5, 5, 2)
    layer(x)
    kernel = np.random.default_rng(0).normal(size=(3, 3, 2, 2))  # float64, Keras layout
    outputs, _ = layer.stateless_call([kernel, np.zeros(2)], [], x)
    reference = copy.deepcopy(layer)
    reference.set_weights([kernel, np.zeros(2)])
    close(outputs, reference(x), rtol=1e-5, atol=1e-6)


def test_shared_and_tied_variables():
    """A layer used twice, and a variable of one layer read by another."""
    class TiedOutput(layers.Layer):
        def __init__(self, embedding, **kwargs):
            super().__init__(**kwargs)
            self.embedding = embedding

        def call(self, inputs):
            return inputs @ self.embedding.embeddings.T

    shared = layers.Dense(4, name="shared")
    embedding = layers.Embedding(6, 4, name="emb")
    ids = lamina.Input((3,), dtype="int32")
    vectors = embedding(ids)
    vectors = shared(shared(vectors))
    model = lamina.Model(ids, TiedOutput(embedding, name="tied")(vectors))
    data = torch.randint(0, 6, (2, 3))
    assert len(model.trainable_variables) == 3  # embeddings, kernel, bias: each once
    trainable = [torch.randn_like(v).requires_grad_(True) for v in model.trainable_variables]
    outputs, _ = model.stateless_call(trainable, [], data)
    reference = copy.deepcopy(model)
    _set_values(reference, [t.detach() for t in trainable], [])
    close(outputs, reference(data), rtol=1e-5, atol=1e-6)
    grads = torch.autograd.grad(outputs.sum(), trainable)
    expected = torch.autograd.grad(reference(data).sum(), reference.trainable_variables)
    all_close(grads, expected, rtol=1e-5, atol=1e-6)


def test_given_tensors_are_never_written_to():
    model = fixture_model()
    x, _ = fixture_data(model)
    trainable, non_trainable = values_of(model.trainable_variables), \
        values_of(model.non_trainable_variables)
    copies = [t.clone() for t in trainable + non_trainable]
    _, new_nt = model.stateless_call(trainable, non_trainable, x, training=True)
    for before, after in zip(copies, trainable + non_trainable):
        assert torch.equal(before, after)
    assert not any(torch.equal(a, b) for a, b in zip(non_trainable, new_nt))
    # with the layer's own variables as the values, too
    own = values_of(model.weights)
    model.stateless_call(model.trainable_variables, model.non_trainable_variables, x,
                         training=True)
    for before, after in zip(own, model.weights):
        assert torch.equal(before, after.detach())


def test_unchanged_non_trainable_values_are_returned_as_given():
    model = fixture_model()
    x, _ = fixture_data(model)
    non_trainable = values_of(model.non_trainable_variables)
    _, new_nt = model.stateless_call(values_of(model.trainable_variables), non_trainable, x)
    assert all(a is b for a, b in zip(new_nt, non_trainable))


def _model_with_batch_norm():
    torch.manual_seed(1)
    return lamina.Sequential([
        lamina.Input((5,)),
        layers.Dense(8, activation="relu", kernel_regularizer="l2"),
        layers.BatchNormalization(),
        layers.Dense(3),
    ])


@pytest.mark.parametrize("make_optimizer", [
    lambda: lamina.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: lamina.optimizers.Adam(0.01, amsgrad=True),
    lambda: lamina.optimizers.AdamW(0.01, weight_decay=0.1, clipnorm=0.5),
    lambda: lamina.optimizers.RMSprop(0.01, use_ema=True, ema_overwrite_frequency=2),
    lambda: lamina.optimizers.Adam(0.01, gradient_accumulation_steps=2),
    lambda: lamina.optimizers.LossScaleOptimizer(lamina.optimizers.Adam(0.01)),
], ids=["sgd", "adam_amsgrad", "adamw_clip", "rmsprop_ema", "accumulation", "loss_scale"])
def test_jax_style_loop_equals_an_optimizer_apply_loop(make_optimizer):
    model, reference = _model_with_batch_norm(), _model_with_batch_norm()
    optimizer, reference_optimizer = make_optimizer(), make_optimizer()
    model.compile(optimizer=optimizer, loss="mse")
    device = model.trainable_variables[0].device  # (compile places the model)
    reference.to(device)
    x, y = torch.randn(16, 5, device=device), torch.randn(16, 3, device=device)
    optimizer.build(model.trainable_variables)
    reference_optimizer.build(reference.trainable_variables)
    own = values_of(model.weights) + values_of(optimizer.variables)
    _, trainable, non_trainable, optimizer_values = _jax_style_loop(model, optimizer, x, y, 4)
    for _ in range(4):
        outputs = reference(x, training=True)
        loss = torch.mean(torch.square(outputs - y)) + sum(reference.losses)
        reference_optimizer.apply(torch.autograd.grad(loss, reference.trainable_variables),
                                  reference.trainable_variables)
    all_close(trainable, reference.trainable_variables, rtol=1e-5, atol=1e-6)
    all_close(non_trainable, reference.non_trainable_variables, rtol=1e-5, atol=1e-6)
    all_close(optimizer_values, reference_optimizer.variables, rtol=1e-5, atol=1e-6)
    for before, after in zip(own, model.weights + optimizer.variables):
        assert torch.equal(before, after.detach())
    # the optimizer still steps normally afterwards, from its own (untouched) state
    grads = [torch.ones_like(v) for v in model.trainable_variables]
    optimizer.apply(grads, model.trainable_variables)
    assert int(optimizer.iterations) == (1 if not optimizer.gradient_accumulation_steps else 0)


def test_optimizer_apply_inside_a_scope_records_the_step():
    variable = lamina.Variable(np.ones(3, "float32"))
    optimizer = lamina.optimizers.Adam(0.1)
    optimizer.build([variable])
    reference = lamina.optimizers.Adam(0.1)
    twin = lamina.Variable(np.full(3, 2.0, "float32"))
    reference.build([twin])
    grads = [torch.tensor([1.0, -2.0, 3.0])]
    with lamina.StatelessScope([(variable, torch.full((3,), 2.0))]) as scope:
        optimizer.apply(grads, [variable])
        close(variable + 0.0, scope.get_current_value(variable))
    reference.apply(grads, [twin])
    close(scope.get_current_value(variable), twin)
    for own, expected in zip(optimizer.variables, reference.variables):
        close(scope.get_current_value(own), expected)
    close(variable, [1.0, 1.0, 1.0])
    assert int(optimizer.iterations) == 0


def test_metric_state_inside_a_scope():
    metric = lamina.metrics.Sum()
    metric.update_state(torch.tensor([1.0, 2.0]))
    with lamina.StatelessScope([(metric.total, torch.tensor(10.0))]) as scope:
        metric.update_state(torch.tensor([5.0]))
        close(metric.result(), 15.0)
        metric.reset_state()
        close(metric.result(), 0.0)
    close(metric.result(), 3.0)
    close(scope.get_current_value(metric.total), 0.0)


# ------------------------------------------------------------------ errors
def test_wrong_list_lengths_say_what_to_pass():
    model = fixture_model()
    x, _ = fixture_data(model)
    trainable, non_trainable = values_of(model.trainable_variables), \
        values_of(model.non_trainable_variables)
    with pytest.raises(ValueError, match=r"trainable_variables.*6 variables.*received 5"):
        model.stateless_call(trainable[:5], non_trainable, x)
    with pytest.raises(ValueError, match=r"non_trainable_variables.*2 variables.*received 3"):
        model.stateless_call(trainable, non_trainable + non_trainable[:1], x)
    optimizer = lamina.optimizers.SGD()
    with pytest.raises(ValueError, match=r"not built.*optimizer.build"):
        optimizer.stateless_apply([], [], [])
    optimizer.build(model.trainable_variables)
    with pytest.raises(ValueError, match="optimizer_variables"):
        optimizer.stateless_apply([], [None] * 6, trainable)
    metric = lamina.metrics.Mean()
    with pytest.raises(ValueError, match="metric.variables"):
        metric.stateless_update_state([torch.tensor(0.0)], torch.ones(2))
    with pytest.raises(ValueError, match="metric.variables"):
        metric.stateless_result([])
    model.compile(loss="mse")
    with pytest.raises(ValueError, match="metrics_variables"):
        model.stateless_compute_loss(trainable, non_trainable, [], x=x, y=x, y_pred=x)


def test_unbuilt_layer_raises():
    with pytest.raises(ValueError, match="not built yet.*calling it once on data"):
        layers.Dense(2).stateless_call([], [], np.ones((1, 3), "float32"))


def test_scope_arguments_are_checked():
    variable = lamina.Variable(np.zeros(3, "float32"))
    with pytest.raises(ValueError, match="shape"):
        lamina.StatelessScope([(variable, np.zeros(2, "float32"))])
    with pytest.raises(ValueError, match="lamina.Variable"):
        lamina.StatelessScope([(np.zeros(3), np.zeros(3, "float32"))])
    with lamina.StatelessScope():
        with pytest.raises(ValueError, match="cannot be created from a value"):
            lamina.Variable(np.ones(2, "float32"))
        made = lamina.Variable(initializer="ones", shape=(2,))
        with pytest.raises(ValueError, match="does not broadcast"):
            variable.assign(np.ones(2, "float32"))
    close(made, [1.0, 1.0])


def test_torch_optimizer_is_refused():
    weight = torch.nn.Parameter(torch.ones(2))
    optimizer = lamina.optimizers.TorchOptimizer(torch.optim.SGD([weight], lr=0.1))
    optimizer.build([weight])
    with pytest.raises(NotImplementedError, match="torch.optim"):
        optimizer.stateless_apply(values_of(optimizer.variables), [torch.ones(2)],
                                  [weight.detach()])


def test_a_write_the_scope_cannot_redirect_is_reported():
    class WritesThroughData(layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, inputs):
            self.count.data.add_(1.0)  # (bypasses assign: the scope cannot see it)
            return inputs

    layer = WritesThroughData()
    layer(np.ones((1, 2), "float32"))
    with pytest.raises(RuntimeError, match="changed in place"):
        layer.stateless_call([], [torch.tensor(0.0)], np.ones((1, 2), "float32"))


def test_in_place_torch_operations_inside_a_scope_are_redirected():
    """Writes through torch's own in-place operations go into the scope, as `assign` does."""
    x = torch.randn(4, 3)
    variable = lamina.Variable(np.ones(3, "float32"), trainable=False)
    mean = lamina.Variable(np.zeros(3, "float32"), trainable=False)
    var = lamina.Variable(np.ones(3, "float32"), trainable=False)
    given = torch.full((3,), 2.0)
    with lamina.StatelessScope([(variable, given)]) as scope:
        variable += 1
        variable[0] = 10.0
        torch._foreach_mul_([variable], 2.0)
        assert variable.mul_(2.0).add_(1.0) is variable
        torch.nn.functional.batch_norm(x, mean, var, training=True, momentum=0.25)
    expected = torch.full((3,), 2.0)
    expected += 1
    expected[0] = 10.0
    expected = expected * 2.0 * 2.0 + 1.0
    close(scope.get_current_value(variable), expected)
    running_mean, running_var = torch.zeros(3), torch.ones(3)
    torch.nn.functional.batch_norm(x, running_mean, running_var, training=True, momentum=0.25)
    close(scope.get_current_value(mean), running_mean, rtol=1e-6)
    close(scope.get_current_value(var), running_var, rtol=1e-6)
    close(given, [2.0, 2.0, 2.0])
    all_close([variable, mean, var], [np.ones(3), np.zeros(3), np.ones(3)])


def test_stateless_compute_loss_of_an_uncompiled_model():
    """As in Keras: only the losses the layers add count (here the kernel's penalty, on the
    given kernel); with none, the error says there is nothing to compute."""
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(
        2, kernel_regularizer=lamina.regularizers.L2(0.05))])
    x = torch.ones(2, 3)
    kernel = torch.full((3, 2), 2.0)
    loss, _ = model.stateless_compute_loss([kernel, torch.zeros(2)], [], [], x=x, y=x[:, :2],
                                           y_pred=model(x))
    close(loss, 0.05 * 4.0 * 6)
    plain = lamina.Sequential([lamina.Input((3,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="No loss to compute"):
        plain.stateless_compute_loss(values_of(plain.trainable_variables), [], [], x=x,
                                     y=x[:, :2], y_pred=plain(x))
