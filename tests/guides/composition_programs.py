"""Whole small Keras programs that compose custom layers and models the way Keras's guides do:
unbuilt sublayers called on symbolic inputs, sublayers made in build(), add_loss with and
without a compiled loss, the VAE of the subclassing guide, trainable propagation and frozen
nested models, compute_loss overrides, masks through custom layers, custom-layer configs and
saved subclassed models. Run by Keras 3 and by lamina like tests/guides/differential_programs.py
(same helpers; recorded by tests/fixtures/guide_programs/record_differential.py into the same
fixture).
"""

import os
import tempfile

import numpy as np

if __package__:
    from .differential_programs import det_weights, history, rounded
else:
    from differential_programs import det_weights, history, rounded

PROGRAMS = {}
NEEDS_TENSORFLOW = set()


def program(fn):
    PROGRAMS[fn.__name__] = fn
    return fn


_R = np.random.RandomState(3)
X = _R.rand(48, 6).astype("float32")
Y = (X[:, :3].sum(1, keepdims=True) > 1.5).astype("float32")
XI = (_R.rand(48, 7) * 9).astype("int32")
XI[::3, 5:] = 0


@program
def unbuilt_sublayers_on_symbolic_inputs(keras):
    layers, ops = keras.layers, keras.ops

    class MLPBlock(layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.linear_1 = layers.Dense(8, activation="relu")
            self.linear_2 = layers.Dense(4)
            self.norm = layers.LayerNormalization()

        def call(self, inputs):
            return self.norm(self.linear_2(self.linear_1(inputs)))

    inp = keras.Input((6,))
    block = MLPBlock(name="block")
    out = layers.Dense(1, activation="sigmoid")(block(inp))
    m = keras.Model(inp, out)
    det_weights(m)
    m.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    h = m.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [[w.path for w in m.weights], [list(w.shape) for w in block.weights],
            len(block.trainable_weights), len(block.non_trainable_weights), block.built,
            m.count_params(), history(h), rounded(keras, m.predict(X[:3], verbose=0))]


@program
def sublayers_created_in_build(keras):
    layers, ops = keras.layers, keras.ops

    class Residual(layers.Layer):
        def build(self, input_shape):
            self.inner = layers.Dense(input_shape[-1])
            self.inner.build(input_shape)
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

        def call(self, x):
            return x + self.scale * self.inner(x)

    inp = keras.Input((6,))
    r = Residual()
    m = keras.Model(inp, layers.Dense(1)(r(inp)))
    det_weights(m)
    m.compile("adam", "mse")
    h = m.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [[w.path for w in m.weights], history(h), rounded(keras, m(X[:2]))]


@program
def add_loss_without_compiled_loss(keras):
    layers, ops = keras.layers, keras.ops

    class Reconstruct(layers.Layer):
        def call(self, x, target):
            self.add_loss(ops.mean(ops.square(x - target)))
            return x

    inp = keras.Input((6,))
    hidden = layers.Dense(3, activation="tanh")(inp)
    rec = layers.Dense(6)(hidden)
    out = Reconstruct()(rec, inp)
    m = keras.Model(inp, out)
    det_weights(m)
    m.compile(optimizer=keras.optimizers.SGD(0.5))
    h = m.fit(X, batch_size=16, epochs=3, shuffle=False, verbose=0)
    ev = m.evaluate(X, verbose=0, return_dict=True)
    return [history(h), rounded(keras, ev), len(m.losses)]


@program
def vae_guide(keras):
    layers, ops = keras.layers, keras.ops

    class Sampling(layers.Layer):
        def call(self, inputs):
            z_mean, z_log_var = inputs
            return z_mean  # deterministic stand-in for the random draw

    class Encoder(layers.Layer):
        def __init__(self, latent_dim=2, intermediate_dim=8, name="encoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_mean = layers.Dense(latent_dim)
            self.dense_log_var = layers.Dense(latent_dim)
            self.sampling = Sampling()

        def call(self, inputs):
            x = self.dense_proj(inputs)
            z_mean = self.dense_mean(x)
            z_log_var = self.dense_log_var(x)
            z = self.sampling((z_mean, z_log_var))
            return z_mean, z_log_var, z

    class Decoder(layers.Layer):
        def __init__(self, original_dim, intermediate_dim=8, name="decoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
            self.dense_output = layers.Dense(original_dim, activation="sigmoid")

        def call(self, inputs):
            return self.dense_output(self.dense_proj(inputs))

    class VariationalAutoEncoder(keras.Model):
        def __init__(self, original_dim, intermediate_dim=8, latent_dim=2, name="autoencoder", **kwargs):
            super().__init__(name=name, **kwargs)
            self.original_dim = original_dim
            self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
            self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

        def call(self, inputs):
            z_mean, z_log_var, z = self.encoder(inputs)
            reconstructed = self.decoder(z)
            kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
            self.add_loss(kl_loss)
            return reconstructed

    vae = VariationalAutoEncoder(6, 8, 2)
    vae(X[:1])
    det_weights(vae)
    vae.compile(keras.optimizers.Adam(learning_rate=1e-2), loss=keras.losses.MeanSquaredError())
    h = vae.fit(X, X, epochs=2, batch_size=16, shuffle=False, verbose=0)
    return [history(h), [w.path for w in vae.weights], len(vae.layers), [l.name for l in vae.layers]]


@program
def functional_vae_add_loss(keras):
    layers, ops = keras.layers, keras.ops
    original_inputs = keras.Input(shape=(6,), name="encoder_input")
    x = layers.Dense(8, activation="relu")(original_inputs)
    z_mean = layers.Dense(2, name="z_mean")(x)
    z_log_var = layers.Dense(2, name="z_log_var")(x)
    encoder = keras.Model(inputs=original_inputs, outputs=z_mean, name="encoder")
    latent_inputs = keras.Input(shape=(2,), name="z_sampling")
    x = layers.Dense(8, activation="relu")(latent_inputs)
    outputs = layers.Dense(6, activation="sigmoid")(x)
    decoder = keras.Model(inputs=latent_inputs, outputs=outputs, name="decoder")
    outputs = decoder(z_mean)
    vae = keras.Model(inputs=original_inputs, outputs=outputs, name="vae")

    class KL(layers.Layer):
        def call(self, inputs):
            m, lv = inputs
            self.add_loss(-0.5 * ops.mean(lv - ops.square(m) - ops.exp(lv) + 1))
            return m

    kl_out = KL()([z_mean, z_log_var])
    vae2 = keras.Model(original_inputs, decoder(kl_out))
    det_weights(vae2)
    vae2.compile(keras.optimizers.Adam(learning_rate=1e-2), loss=keras.losses.MeanSquaredError())
    h = vae2.fit(X, X, epochs=2, batch_size=16, shuffle=False, verbose=0)
    return [history(h), [l.name for l in vae.layers], [l.name for l in vae2.layers][:1], len(vae2.weights)]


@program
def trainable_propagation(keras):
    layers, ops = keras.layers, keras.ops

    class Block(layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.d = layers.Dense(4)
            self.bn = layers.BatchNormalization()

        def call(self, x, training=None):
            return self.bn(self.d(x), training=training)

    inp = keras.Input((6,))
    block = Block()
    m = keras.Model(inp, layers.Dense(1)(block(inp)))
    det_weights(m)
    block.bn.moving_variance.assign(np.ones((4,), "float32"))
    counts = [len(m.trainable_weights), len(m.non_trainable_weights)]
    block.trainable = False
    counts += [len(m.trainable_weights), len(m.non_trainable_weights), block.d.trainable,
               block.bn.trainable, [w.path for w in m.trainable_weights]]
    m.compile(keras.optimizers.SGD(0.1), "mse")
    before = [np.asarray(keras.ops.convert_to_numpy(w)).copy() for w in block.weights]
    m.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    after = [np.asarray(keras.ops.convert_to_numpy(w)) for w in block.weights]
    # frozen BatchNorm runs in inference mode: moving statistics stay put
    counts.append([bool(np.array_equal(a, b)) for a, b in zip(before, after)])
    block.trainable = True
    m.compile(keras.optimizers.SGD(0.1), "mse")
    m.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    again = [np.asarray(keras.ops.convert_to_numpy(w)) for w in block.weights]
    counts.append([bool(np.array_equal(a, b)) for a, b in zip(after, again)])
    counts.append(rounded(keras, m(X[:2])))
    return counts


@program
def frozen_nested_model_in_model(keras):
    layers, ops = keras.layers, keras.ops
    # (no BatchNormalization in the base: after unfreezing, Keras 3 lets fit's training=True
    # override the recorded training=False, lamina keeps it; see docs/differences.md)
    base = keras.Sequential([keras.Input((6,)), layers.Dense(5, activation="relu"),
                             layers.LayerNormalization(), layers.Dense(3)], name="base")
    base.trainable = False
    inp = keras.Input((6,))
    x = base(inp, training=False)
    out = layers.Dense(1, activation="sigmoid")(x)
    m = keras.Model(inp, out)
    det_weights(m)
    m.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    h = m.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    base.trainable = True
    m.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", metrics=["accuracy"])
    h2 = m.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    return [history(h), history(h2), len(m.trainable_weights), len(base.trainable_weights)]


@program
def compute_loss_override(keras):
    layers, ops = keras.layers, keras.ops

    class MyModel(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.d1 = layers.Dense(8, activation="relu")
            self.d2 = layers.Dense(1)
            self.loss_tracker = keras.metrics.Mean(name="custom_loss")

        def call(self, x):
            return self.d2(self.d1(x))

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = ops.mean(ops.square(y_pred - y)) + 0.01 * ops.sum(ops.square(self.d2.kernel))
            self.loss_tracker.update_state(loss)
            return loss

        def reset_metrics(self):
            self.loss_tracker.reset_state()

        @property
        def metrics(self):
            return [self.loss_tracker]

    m = MyModel()
    m(X[:1])
    det_weights(m)
    m.compile(optimizer=keras.optimizers.SGD(0.05))
    h = m.fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    return [history(h), rounded(keras, m.evaluate(X, Y, verbose=0, return_dict=True))]


@program
def compute_loss_super_with_extra(keras):
    layers, ops = keras.layers, keras.ops

    class MyModel(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.d = layers.Dense(1, activation="sigmoid")

        def call(self, x):
            return self.d(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            loss = super().compute_loss(x, y, y_pred, sample_weight, training)
            return loss + 0.1 * ops.mean(y_pred)

    m = MyModel()
    m(X[:1])
    det_weights(m)
    m.compile(keras.optimizers.SGD(0.2), "binary_crossentropy", metrics=["accuracy"])
    h = m.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [history(h)]


@program
def symbolic_masks_in_custom_layers(keras):
    layers, ops = keras.layers, keras.ops

    class MaskedMean(layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.supports_masking = True

        def call(self, x, mask=None):
            if mask is None:
                return ops.mean(x, axis=1)
            m = ops.expand_dims(ops.cast(mask, x.dtype), -1)
            return ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)

        def compute_mask(self, inputs, mask=None):
            return None

    class TemporalScale(layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.supports_masking = True

        def call(self, x):
            return x * 2.0

    inp = keras.Input((7,), dtype="int32")
    e = layers.Embedding(10, 4, mask_zero=True)(inp)
    s = TemporalScale()(e)
    mask_kept = s._keras_mask is not None if hasattr(s, "_keras_mask") else None
    pooled = MaskedMean()(s)
    out = layers.Dense(1, activation="sigmoid")(pooled)
    m = keras.Model(inp, out)
    det_weights(m)
    m.compile(keras.optimizers.SGD(0.3), "binary_crossentropy")
    h = m.fit(XI, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [mask_kept, history(h), rounded(keras, m(XI[:3]))]


@program
def mask_argument_from_nested_layer(keras):
    layers, ops = keras.layers, keras.ops

    class Encoder(layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.emb = layers.Embedding(10, 4, mask_zero=True)
            self.rnn = layers.GRU(3, return_sequences=True)
            self.pool = layers.GlobalAveragePooling1D()

        def call(self, ids):
            x = self.emb(ids)
            x = self.rnn(x)
            return self.pool(x)

    inp = keras.Input((7,), dtype="int32")
    enc = Encoder()
    out = layers.Dense(1, activation="sigmoid")(enc(inp))
    m = keras.Model(inp, out)
    det_weights(m)
    m.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    h = m.fit(XI, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [history(h), rounded(keras, m(XI[:3])), rounded(keras, enc(XI[:3]))]


@program
def custom_layer_config_round_trip(keras):
    layers, ops = keras.layers, keras.ops

    @keras.saving.register_keras_serializable(package="Composition")
    class Gated(layers.Layer):
        def __init__(self, units, inner=None, **kw):
            super().__init__(**kw)
            self.units = units
            self.inner = inner if inner is not None else layers.Dense(units)
            if isinstance(self.inner, dict):
                self.inner = keras.saving.deserialize_keras_object(self.inner)
            self.gate = layers.Dense(units, activation="sigmoid")

        def call(self, x):
            return self.inner(x) * self.gate(x)

        def get_config(self):
            config = super().get_config()
            config.update({"units": self.units,
                           "inner": keras.saving.serialize_keras_object(self.inner)})
            return config

    inp = keras.Input((6,))
    out = layers.Dense(1)(Gated(3, inner=layers.Dense(3, activation="tanh"), name="gated")(inp))
    m = keras.Model(inp, out)
    det_weights(m)
    config = m.get_layer("gated").get_config()
    path = os.path.join(tempfile.mkdtemp(), "gated.keras")
    m.save(path)
    loaded = keras.saving.load_model(path)
    clone = keras.Model.from_config(m.get_config())
    return [sorted(config), config["inner"]["class_name"], config["inner"]["config"]["activation"],
            rounded(keras, loaded(X[:2])), rounded(keras, m(X[:2])),
            [w.path for w in loaded.weights], len(clone.weights)]


@program
def subclassed_model_save_load(keras):
    layers, ops = keras.layers, keras.ops

    @keras.saving.register_keras_serializable(package="Composition")
    class Classifier(keras.Model):
        def __init__(self, hidden=8, **kw):
            super().__init__(**kw)
            self.hidden = hidden
            self.body = keras.Sequential([layers.Dense(hidden, activation="relu")])
            self.head = layers.Dense(1, activation="sigmoid")

        def call(self, x, training=False):
            return self.head(self.body(x, training=training))

        def get_config(self):
            return {**super().get_config(), "hidden": self.hidden}

    m = Classifier(hidden=8)
    m(X[:1])
    det_weights(m)
    m.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    h = m.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    path = os.path.join(tempfile.mkdtemp(), "clf.keras")
    m.save(path)
    loaded = keras.saving.load_model(path)
    h2 = loaded.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    m.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    # (not compared: the loaded model's weight paths, which Keras 3 gives without the model's
    # name in front, unlike the paths of the model it saved)
    return [history(h), history(h2), [w.path for w in m.weights],
            rounded(keras, loaded(X[:2])), rounded(keras, m(X[:2]))]


@program
def functional_inside_subclassed_inside_functional(keras):
    layers, ops = keras.layers, keras.ops
    i = keras.Input((6,))
    inner = keras.Model(i, layers.Dense(4, activation="relu")(i), name="inner")

    class Wrapper(layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.inner = inner
            self.proj = layers.Dense(2)

        def call(self, x):
            return self.proj(self.inner(x))

    inp = keras.Input((6,))
    w = Wrapper()
    mid = w(inp)
    out = layers.Dense(1)(layers.Concatenate()([mid, inp]))
    m = keras.Model(inp, out)
    det_weights(m)
    m.compile(keras.optimizers.SGD(0.1), "mse")
    h = m.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [history(h), [w_.path for w_ in m.weights], [l.name for l in m.layers]]


@program
def losses_reset_between_calls(keras):
    layers, ops = keras.layers, keras.ops
    inp = keras.Input((6,))
    x = layers.Dense(4, kernel_regularizer=keras.regularizers.l2(0.01),
                     activity_regularizer=keras.regularizers.l1(0.01))(inp)
    m = keras.Model(inp, layers.Dense(1)(x))
    det_weights(m)
    m(X[:4])
    n1 = len(m.losses)
    m(X[:4])
    n2 = len(m.losses)
    m.compile(keras.optimizers.SGD(0.1), "mse")
    h = m.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [n1, n2, rounded(keras, m.losses), history(h)]


@program
def multi_output_loss_weights_dict(keras):
    layers, ops = keras.layers, keras.ops
    inp = keras.Input((6,), name="features")
    h = layers.Dense(8, activation="relu")(inp)
    a = layers.Dense(1, activation="sigmoid", name="flag")(h)
    b = layers.Dense(3, activation="softmax", name="kind")(h)
    m = keras.Model(inp, {"flag": a, "kind": b})
    det_weights(m)
    yk = (X[:, 0] * 3).astype("int64").clip(0, 2)
    m.compile(keras.optimizers.Adam(0.01),
              loss={"flag": "binary_crossentropy", "kind": "sparse_categorical_crossentropy"},
              loss_weights={"flag": 1.0, "kind": 0.5},
              metrics={"flag": ["accuracy"], "kind": ["sparse_categorical_accuracy"]})
    hist = m.fit(X, {"flag": Y, "kind": yk}, batch_size=16, epochs=2, shuffle=False, verbose=0,
                 validation_split=0.25)
    ev = m.evaluate(X, {"flag": Y, "kind": yk}, verbose=0, return_dict=True)
    return [history(hist), rounded(keras, ev)]


@program
def training_arg_propagation(keras):
    layers, ops = keras.layers, keras.ops

    class Probe(layers.Layer):
        seen = []

        def call(self, x, training=None):
            Probe.seen.append(bool(training))  # (Keras passes None where lamina passes False)
            return x

    class Block(layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.probe = Probe()
            self.drop = layers.Dropout(0.999)

        def call(self, x):
            return self.drop(self.probe(x))

    inp = keras.Input((6,))
    out = Block()(inp)
    m = keras.Model(inp, out)
    Probe.seen.clear()
    a = float(ops.convert_to_numpy(ops.sum(ops.abs(m(X[:4], training=False)))))
    b = float(ops.convert_to_numpy(ops.sum(ops.abs(m(X[:4], training=True)))))
    c = float(ops.convert_to_numpy(ops.sum(ops.abs(m(X[:4])))))
    seen = list(Probe.seen)
    return [round(a, 4), b < a * 0.5, round(c, 4), seen]
