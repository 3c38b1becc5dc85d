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
import warnings

import numpy as np

if __package__:
    from .differential_programs import det_weights, history, rounded
else:
    from differential_programs import det_weights, history, rounded

PROGRAMS = {}
NEEDS_TENSORFLOW = set()
# Recorded on Keras's JAX backend: on its torch backend, Keras's sparse crossentropy of a 4-D
# softmax fails in torch's CPU nll_loss2d backward ("grad_input must be contiguous").
NEEDS_JAX = {"unet_style_conv_transpose"}


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
    layers = keras.layers

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
    layers = keras.layers

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
        def __init__(self, original_dim, intermediate_dim=8, latent_dim=2, name="autoencoder",
                     **kwargs):
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
    return [history(h), [w.path for w in vae.weights], len(vae.layers),
            [l.name for l in vae.layers]]


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
    return [history(h), [l.name for l in vae.layers], [l.name for l in vae2.layers][:1],
            len(vae2.weights)]


@program
def trainable_propagation(keras):
    layers = keras.layers

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
    layers = keras.layers
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
    layers = keras.layers

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
    layers = keras.layers

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
    layers = keras.layers

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
    layers = keras.layers
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
    layers = keras.layers
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
    layers = keras.layers
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
            Probe.seen.append(training)
            return x

    class Block(layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.probe = Probe()
            self.drop = layers.Dropout(0.5)

        def call(self, x):
            return self.drop(self.probe(x))

    inp = keras.Input((6,))
    out = Block()(inp)
    m = keras.Model(inp, out)
    Probe.seen.clear()
    a = float(ops.convert_to_numpy(ops.sum(ops.abs(m(X[:4], training=False)))))
    dropped = bool(np.any(ops.convert_to_numpy(m(X[:4], training=True)) == 0))  # 24 draws
    c = float(ops.convert_to_numpy(ops.sum(ops.abs(m(X[:4])))))
    seen = list(Probe.seen)
    return [round(a, 4), dropped, round(c, 4), seen]


SRC = (_R.rand(24, 6) * 11).astype("int32")
SRC[::4, 4:] = 0
TGT = (_R.rand(24, 6) * 11).astype("int32")
TGT[::3, 3:] = 0


@program
def nmt_transformer_masks(keras):
    """The English-to-Spanish translation example's encoder/decoder, small: masks made by a
    custom PositionalEmbedding's compute_mask travel into custom layers' `mask` arguments."""
    layers, ops = keras.layers, keras.ops

    class TransformerEncoder(layers.Layer):
        def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = keras.Sequential([layers.Dense(dense_dim, activation="relu"),
                                                layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, mask=None):
            if mask is not None:
                padding_mask = ops.cast(mask[:, None, :], dtype="int32")
            else:
                padding_mask = None
            attention_output = self.attention(query=inputs, value=inputs, key=inputs,
                                              attention_mask=padding_mask)
            proj_input = self.layernorm_1(inputs + attention_output)
            proj_output = self.dense_proj(proj_input)
            return self.layernorm_2(proj_input + proj_output)

    class PositionalEmbedding(layers.Layer):
        def __init__(self, sequence_length, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_embeddings = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.position_embeddings = layers.Embedding(input_dim=sequence_length,
                                                        output_dim=embed_dim)

        def call(self, inputs):
            length = ops.shape(inputs)[-1]
            positions = ops.arange(0, length, 1)
            return self.token_embeddings(inputs) + self.position_embeddings(positions)

        def compute_mask(self, inputs, mask=None):
            return ops.not_equal(inputs, 0)

    class TransformerDecoder(layers.Layer):
        def __init__(self, embed_dim, latent_dim, num_heads, **kwargs):
            super().__init__(**kwargs)
            self.attention_1 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.attention_2 = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.dense_proj = keras.Sequential([layers.Dense(latent_dim, activation="relu"),
                                                layers.Dense(embed_dim)])
            self.layernorm_1 = layers.LayerNormalization()
            self.layernorm_2 = layers.LayerNormalization()
            self.layernorm_3 = layers.LayerNormalization()
            self.supports_masking = True

        def call(self, inputs, mask=None):
            inputs, encoder_outputs = inputs
            causal_mask = self.get_causal_attention_mask(inputs)
            if mask is None:
                inputs_padding_mask, encoder_outputs_padding_mask = None, None
            else:
                inputs_padding_mask, encoder_outputs_padding_mask = mask
            attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs,
                                                  attention_mask=causal_mask,
                                                  query_mask=inputs_padding_mask)
            out_1 = self.layernorm_1(inputs + attention_output_1)
            attention_output_2 = self.attention_2(query=out_1, value=encoder_outputs,
                                                  key=encoder_outputs,
                                                  query_mask=inputs_padding_mask,
                                                  key_mask=encoder_outputs_padding_mask)
            out_2 = self.layernorm_2(out_1 + attention_output_2)
            return self.layernorm_3(out_2 + self.dense_proj(out_2))

        def get_causal_attention_mask(self, inputs):
            input_shape = ops.shape(inputs)
            batch_size, sequence_length = input_shape[0], input_shape[1]
            i = ops.arange(sequence_length)[:, None]
            j = ops.arange(sequence_length)
            mask = ops.cast(i >= j, dtype="int32")
            mask = ops.reshape(mask, (1, input_shape[1], input_shape[1]))
            mult = ops.concatenate([ops.expand_dims(batch_size, -1),
                                    ops.convert_to_tensor([1, 1])], axis=0)
            return ops.tile(mask, mult)

    embed_dim, latent_dim, num_heads, vocab, seq = 8, 16, 2, 11, 6
    encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="encoder_inputs")
    x = PositionalEmbedding(seq, vocab, embed_dim)(encoder_inputs)
    encoder_outputs = TransformerEncoder(embed_dim, latent_dim, num_heads)(x)
    encoder = keras.Model(encoder_inputs, encoder_outputs)
    decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="decoder_inputs")
    encoded_seq_inputs = keras.Input(shape=(None, embed_dim), name="decoder_state_inputs")
    x = PositionalEmbedding(seq, vocab, embed_dim)(decoder_inputs)
    x = TransformerDecoder(embed_dim, latent_dim, num_heads)([x, encoded_seq_inputs])
    x = layers.Dropout(0.5)(x)
    decoder_outputs = layers.Dense(vocab, activation="softmax")(x)
    decoder = keras.Model([decoder_inputs, encoded_seq_inputs], decoder_outputs)
    decoder_outputs = decoder([decoder_inputs, encoder_outputs])
    transformer = keras.Model({"encoder_inputs": encoder_inputs, "decoder_inputs": decoder_inputs},
                              decoder_outputs, name="transformer")
    det_weights(transformer)
    transformer.compile(keras.optimizers.RMSprop(0.01), "sparse_categorical_crossentropy",
                        metrics=["accuracy"])
    # (no fit: its Dropout draws differ between frameworks; inference numbers and shapes are
    # compared, and evaluate's masked loss)
    probs = transformer({"encoder_inputs": SRC[:3], "decoder_inputs": TGT[:3]})
    enc = encoder(SRC[:3])
    ev = transformer.evaluate({"encoder_inputs": SRC, "decoder_inputs": TGT}, TGT, verbose=0,
                              return_dict=True)
    return [rounded(keras, probs[:, :3, :4]), rounded(keras, enc[:, :2]), rounded(keras, ev),
            list(decoder.output.shape), len(transformer.weights),
            [type(l).__name__ for l in transformer.layers]]


@program
def distiller_compile_and_compute_loss(keras):
    """The knowledge-distillation example: a Model subclass whose compile() takes extra
    arguments and whose compute_loss mixes the student loss with a distillation loss."""
    layers, ops = keras.layers, keras.ops

    class Distiller(keras.Model):
        def __init__(self, student, teacher):
            super().__init__()
            self.teacher = teacher
            self.student = student

        def compile(self, optimizer, metrics, student_loss_fn, distillation_loss_fn,
                    alpha=0.1, temperature=3):
            super().compile(optimizer=optimizer, metrics=metrics)
            self.student_loss_fn = student_loss_fn
            self.distillation_loss_fn = distillation_loss_fn
            self.alpha = alpha
            self.temperature = temperature

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
            teacher_pred = self.teacher(x, training=False)
            student_loss = self.student_loss_fn(y, y_pred)
            distillation_loss = self.distillation_loss_fn(
                ops.softmax(teacher_pred / self.temperature, axis=1),
                ops.softmax(y_pred / self.temperature, axis=1),
            ) * (self.temperature**2)
            return self.alpha * student_loss + (1 - self.alpha) * distillation_loss

        def call(self, x):
            return self.student(x)

    teacher = keras.Sequential([keras.Input((6,)), layers.Dense(12, activation="relu"),
                                layers.Dense(3)], name="teacher")
    student = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="relu"),
                                layers.Dense(3)], name="student")
    det_weights(teacher, 0.5)
    det_weights(student, 0.2)
    y3 = (X[:, 0] * 3).astype("int64").clip(0, 2)
    teacher.compile(keras.optimizers.Adam(0.01),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                    metrics=[keras.metrics.SparseCategoricalAccuracy()])
    ht = teacher.fit(X, y3, epochs=2, batch_size=16, shuffle=False, verbose=0)
    distiller = Distiller(student=student, teacher=teacher)
    distiller.compile(optimizer=keras.optimizers.Adam(0.01),
                      metrics=[keras.metrics.SparseCategoricalAccuracy()],
                      student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      distillation_loss_fn=keras.losses.KLDivergence(), alpha=0.1, temperature=10)
    hd = distiller.fit(X, y3, epochs=2, batch_size=16, shuffle=False, verbose=0)
    ev = distiller.evaluate(X, y3, verbose=0, return_dict=True)
    return [history(ht), history(hd), rounded(keras, ev), len(distiller.trainable_weights)]


@program
def siamese_lambda_distance(keras):
    """The Siamese-network example's shape: a shared tower, a Lambda computing the euclidean
    distance, BatchNormalization on it, and a loss made by a closure."""
    layers, ops = keras.layers, keras.ops

    def euclidean_distance(vects):
        x, y = vects
        sum_square = ops.sum(ops.square(x - y), axis=1, keepdims=True)
        return ops.sqrt(ops.maximum(sum_square, keras.backend.epsilon()))

    def loss(margin=1):
        def contrastive_loss(y_true, y_pred):
            square_pred = ops.square(y_pred)
            margin_square = ops.square(ops.maximum(margin - (y_pred), 0))
            return ops.mean((1 - y_true) * square_pred + (y_true) * margin_square)
        return contrastive_loss

    inp = keras.Input((3,))
    x = layers.BatchNormalization()(inp)
    x = layers.Dense(4, activation="tanh")(x)
    tower = keras.Model(inp, x)
    a, b = keras.Input((3,)), keras.Input((3,))
    merge = layers.Lambda(euclidean_distance, output_shape=(1,))([tower(a), tower(b)])
    norm = layers.BatchNormalization()(merge)
    out = layers.Dense(1, activation="sigmoid")(norm)
    siamese = keras.Model(inputs=[a, b], outputs=out)
    det_weights(siamese)
    for layer in [tower.layers[1], siamese.layers[-2]]:
        layer.moving_variance.assign(np.ones(layer.moving_variance.shape, "float32"))
    siamese.compile(loss=loss(margin=1), optimizer="RMSprop", metrics=["accuracy"])
    h = siamese.fit([X[:, :3], X[:, 3:]], Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [history(h), rounded(keras, siamese.predict([X[:3, :3], X[:3, 3:]], verbose=0)),
            list(merge.shape)]


@program
def recommender_subclassed_embeddings(keras):
    """The collaborative-filtering example: a Model subclass with regularized Embeddings,
    ops.tensordot and per-entity biases, trained on integer pairs."""
    layers, ops = keras.layers, keras.ops

    class RecommenderNet(keras.Model):
        def __init__(self, num_users, num_movies, embedding_size, **kwargs):
            super().__init__(**kwargs)
            self.user_embedding = layers.Embedding(
                num_users, embedding_size, embeddings_initializer="he_normal",
                embeddings_regularizer=keras.regularizers.l2(1e-6))
            self.user_bias = layers.Embedding(num_users, 1)
            self.movie_embedding = layers.Embedding(
                num_movies, embedding_size, embeddings_initializer="he_normal",
                embeddings_regularizer=keras.regularizers.l2(1e-6))
            self.movie_bias = layers.Embedding(num_movies, 1)

        def call(self, inputs):
            user_vector = self.user_embedding(inputs[:, 0])
            user_bias = self.user_bias(inputs[:, 0])
            movie_vector = self.movie_embedding(inputs[:, 1])
            movie_bias = self.movie_bias(inputs[:, 1])
            dot_user_movie = ops.tensordot(user_vector, movie_vector, 2)
            x = dot_user_movie + user_bias + movie_bias
            return ops.nn.sigmoid(x)

    pairs = np.stack([(X[:, 0] * 7).astype("int64"), (X[:, 1] * 9).astype("int64")], axis=1)
    rating = X[:, 2:3]
    model = RecommenderNet(7, 9, 5)
    model(pairs[:2])
    det_weights(model)
    model.compile(loss=keras.losses.BinaryCrossentropy(),
                  optimizer=keras.optimizers.Adam(learning_rate=0.01))
    h = model.fit(pairs, rating, batch_size=16, epochs=3, shuffle=False, verbose=0,
                  validation_data=(pairs[:16], rating[:16]))
    return [history(h), rounded(keras, model.losses), [w.path for w in model.weights]]


@program
def seq2seq_lstm_states_and_inference_models(keras):
    """The character-level seq2seq example: encoder LSTM states feed the decoder LSTM's
    initial_state; the trained layers are then reassembled into inference models."""
    layers = keras.layers
    num_tokens, latent_dim = 5, 6
    encoder_inputs = keras.Input(shape=(None, num_tokens))
    encoder = layers.LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = keras.Input(shape=(None, num_tokens))
    decoder_lstm = layers.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = layers.Dense(num_tokens, activation="softmax")
    decoder_outputs = decoder_dense(decoder_outputs)
    model = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)
    det_weights(model)
    enc_x = np.eye(num_tokens, dtype="float32")[(X[:, :4] * num_tokens).astype("int64")]
    dec_x = np.eye(num_tokens, dtype="float32")[(X[:, 2:6] * num_tokens).astype("int64")]
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    h = model.fit([enc_x, dec_x], dec_x, batch_size=16, epochs=2, shuffle=False, verbose=0)
    encoder_model = keras.Model(encoder_inputs, encoder_states)
    decoder_state_input_h = keras.Input(shape=(latent_dim,))
    decoder_state_input_c = keras.Input(shape=(latent_dim,))
    decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
    decoder_outputs, state_h, state_c = decoder_lstm(decoder_inputs,
                                                     initial_state=decoder_states_inputs)
    decoder_model = keras.Model([decoder_inputs] + decoder_states_inputs,
                                [decoder_dense(decoder_outputs), state_h, state_c])
    states = encoder_model.predict(enc_x[:2], verbose=0)
    out, h1, c1 = decoder_model.predict([dec_x[:2, :1]] + states, verbose=0)
    return [history(h), rounded(keras, states), rounded(keras, out), rounded(keras, c1),
            len(decoder_model.layers)]


@program
def unet_style_conv_transpose(keras):
    """The image-segmentation (U-Net-like) example, tiny: strided SeparableConv2D, residual
    projections, Conv2DTranspose and UpSampling2D, BatchNormalization, trained two epochs."""
    layers = keras.layers
    inputs = keras.Input(shape=(8, 8, 3))
    x = layers.Conv2D(4, 3, strides=2, padding="same")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for filters in [8]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(2)(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    for filters in [8, 4]:
        x = layers.Activation("relu")(x)
        x = layers.Conv2DTranspose(filters, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.UpSampling2D(2)(x)
        residual = layers.UpSampling2D(2)(previous_block_activation)
        residual = layers.Conv2D(filters, 1, padding="same")(residual)
        x = layers.add([x, residual])
        previous_block_activation = x
    outputs = layers.Conv2D(2, 3, activation="softmax", padding="same")(x)
    model = keras.Model(inputs, outputs)
    det_weights(model)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.moving_variance.assign(np.ones(layer.moving_variance.shape, "float32"))
    images = np.sin(np.arange(12 * 8 * 8 * 3) * 0.37).reshape(12, 8, 8, 3).astype("float32")
    masks = (images[..., :1] > 0).astype("int64")
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    h = model.fit(images, masks, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return [history(h), list(model.output.shape), model.count_params(),
            rounded(keras, model.predict(images[:1], verbose=0)[0, :2, :2])]


@program
def functional_custom_rnn_mix(keras):
    """The functional API guide's mix: a subclassed layer whose call runs a functional model
    built in __init__, used as the body of a functional model in turn."""
    layers, ops = keras.layers, keras.ops
    units, timesteps, input_dim = 4, 5, 3
    inputs = keras.Input((None, units))
    x = layers.GlobalAveragePooling1D()(inputs)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)

    class CustomRNN(layers.Layer):
        def __init__(self):
            super().__init__()
            self.units = units
            self.projection_1 = layers.Dense(units=units, activation="tanh")
            self.projection_2 = layers.Dense(units=units, activation="tanh")
            self.classifier = model

        def call(self, inputs):
            outputs = []
            state = ops.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                x = inputs[:, t, :]
                h = self.projection_1(x)
                y = h + self.projection_2(state)
                state = y
                outputs.append(y)
            features = ops.stack(outputs, axis=1)
            return self.classifier(features)

    inputs = keras.Input(batch_shape=(2, timesteps, input_dim))
    x = layers.Conv1D(3, 3)(inputs)
    outputs = CustomRNN()(x)
    outer = keras.Model(inputs, outputs)
    det_weights(outer)
    data = np.sin(np.arange(2 * timesteps * input_dim) * 0.5).reshape(2, timesteps, input_dim)
    return [list(outputs.shape), rounded(keras, outer(data.astype("float32"))),
            [w.path for w in outer.weights]]


@program
def custom_dense_from_config_custom_objects(keras):
    """The functional guide's CustomDense with get_config, rebuilt by Model.from_config with
    custom_objects, and weights moved across by get_weights / set_weights."""
    layers, ops = keras.layers, keras.ops

    class CustomDense(layers.Layer):
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal",
                                     trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {"units": self.units}

    inputs = keras.Input((4,))
    outputs = CustomDense(10)(inputs)
    model = keras.Model(inputs, outputs)
    det_weights(model)
    config = model.get_config()
    layer_config = dict(config["layers"][1]["config"])  # (Keras's from_config empties config)
    new_model = keras.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
    new_model.set_weights(model.get_weights())
    x = np.ones((2, 4), "float32")
    return [rounded(keras, new_model(x)[:, :3]), [l.__class__.__name__ for l in new_model.layers],
            layer_config, len(new_model.weights)]


@program
def vit_patches_and_encoder(keras):
    """The ViT example's custom layers: Patches via ops.image.extract_patches, a PatchEncoder
    adding a position Embedding, then a transformer block and a classifier head."""
    layers, ops = keras.layers, keras.ops

    class Patches(layers.Layer):
        def __init__(self, patch_size):
            super().__init__()
            self.patch_size = patch_size

        def call(self, images):
            input_shape = ops.shape(images)
            batch_size, height, width, channels = (input_shape[0], input_shape[1],
                                                   input_shape[2], input_shape[3])
            num_patches_h = height // self.patch_size
            num_patches_w = width // self.patch_size
            patches = keras.ops.image.extract_patches(images, size=self.patch_size)
            return ops.reshape(patches, (batch_size, num_patches_h * num_patches_w,
                                         self.patch_size * self.patch_size * channels))

    class PatchEncoder(layers.Layer):
        def __init__(self, num_patches, projection_dim):
            super().__init__()
            self.num_patches = num_patches
            self.projection = layers.Dense(units=projection_dim)
            self.position_embedding = layers.Embedding(input_dim=num_patches,
                                                       output_dim=projection_dim)

        def call(self, patch):
            positions = ops.expand_dims(ops.arange(start=0, stop=self.num_patches, step=1), axis=0)
            projected_patches = self.projection(patch)
            return projected_patches + self.position_embedding(positions)

    inputs = keras.Input(shape=(8, 8, 3))
    patches = Patches(4)(inputs)
    encoded = PatchEncoder(4, 6)(patches)
    x1 = layers.LayerNormalization(epsilon=1e-6)(encoded)
    attention_output = layers.MultiHeadAttention(num_heads=2, key_dim=6, dropout=0.0)(x1, x1)
    x2 = layers.Add()([attention_output, encoded])
    x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
    x3 = layers.Dense(12, activation=keras.activations.gelu)(x3)
    encoded = layers.Add()([layers.Dense(6)(x3), x2])
    representation = layers.Flatten()(layers.LayerNormalization(epsilon=1e-6)(encoded))
    logits = layers.Dense(3)(representation)
    model = keras.Model(inputs=inputs, outputs=logits)
    det_weights(model)
    images = np.cos(np.arange(12 * 8 * 8 * 3) * 0.11).reshape(12, 8, 8, 3).astype("float32")
    labels = (np.arange(12) % 3).astype("int64")
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.001),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
                           keras.metrics.SparseTopKCategoricalAccuracy(2, name="top-2-accuracy")])
    h = model.fit(images, labels, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return [list(patches.shape), history(h), rounded(keras, model(images[:2]))]


@program
def seed_generator_in_layer(keras):
    """A layer owning a keras.random.SeedGenerator (the VAE's Sampling): draws differ between
    frameworks, so only what is tracked and the shapes are compared."""
    layers, ops = keras.layers, keras.ops

    class Sampling(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            batch = ops.shape(z_mean)[0]
            dim = ops.shape(z_mean)[1]
            epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    s = Sampling()
    z = s([ops.zeros((3, 2)), ops.zeros((3, 2))])
    z2 = s([ops.zeros((3, 2)), ops.zeros((3, 2))])
    inp = keras.Input((2,))
    out = Sampling()([inp, inp])
    # (not compared: len(s.variables), where Keras lists the generator's state variable and
    # lamina, whose generator is a torch.Generator, does not; see docs/differences.md)
    return [list(z.shape), bool(np.any(ops.convert_to_numpy(z) != ops.convert_to_numpy(z2))),
            len(s.weights), len(s.trainable_variables), list(out.shape)]


@program
def ops_on_symbolic_tensors(keras):
    """keras.ops and Python operators applied to KerasTensors inside a functional model
    (slicing, arithmetic, concatenate, expand_dims, reductions), then trained."""
    layers, ops = keras.layers, keras.ops
    inp = keras.Input((6,))
    h = layers.Dense(4, activation="relu")(inp)
    first = h[:, :1]
    scaled = h * 2.0 + 1.0
    joined = ops.concatenate([scaled, first, ops.expand_dims(ops.sum(h, axis=1), -1)], axis=-1)
    normed = joined / (ops.norm(joined, axis=-1, keepdims=True) + 1e-6)
    out = layers.Dense(1, activation="sigmoid")(ops.relu(normed - 0.1))
    model = keras.Model(inp, out)
    det_weights(model)
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    h_ = model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [list(joined.shape), history(h_), len(model.layers), rounded(keras, model(X[:2]))]


@program
def pydataset_dict_inputs_and_class_weight(keras):
    """A keras.utils.PyDataset yielding ({name: array}, y) batches to a two-input model, with
    class_weight and a validation PyDataset."""
    layers = keras.layers

    class Batches(keras.utils.PyDataset):
        def __init__(self, x, y, batch_size, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size = x, y, batch_size

        def __len__(self):
            return int(np.ceil(len(self.x) / self.batch_size))

        def __getitem__(self, idx):
            low = idx * self.batch_size
            high = min(low + self.batch_size, len(self.x))
            return ({"left": self.x[low:high, :3], "right": self.x[low:high, 3:]},
                    self.y[low:high])

    left = keras.Input((3,), name="left")
    right = keras.Input((3,), name="right")
    merged = layers.concatenate([layers.Dense(4, activation="tanh")(left),
                                 layers.Dense(4, activation="tanh")(right)])
    model = keras.Model({"left": left, "right": right},
                        layers.Dense(1, activation="sigmoid")(merged))
    det_weights(model)
    model.compile(keras.optimizers.SGD(0.2), "binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(name="auc")])
    h = model.fit(Batches(X, Y, 10), validation_data=Batches(X[:20], Y[:20], 8), epochs=2,
                  class_weight={0: 1.0, 1: 3.0}, shuffle=False, verbose=0)
    predictions = model.predict(Batches(X[:7], Y[:7], 3), verbose=0)
    return [history(h), rounded(keras, predictions), len(Batches(X, Y, 10))]


@program
def callbacks_reduce_lr_early_stop_checkpoint(keras):
    """ReduceLROnPlateau, EarlyStopping(restore_best_weights) and ModelCheckpoint
    (save_best_only) together on a run that plateaus."""
    layers = keras.layers
    model = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="relu"),
                              layers.Dense(1)])
    det_weights(model)
    model.compile(keras.optimizers.SGD(0.5), "mse", metrics=["mae"])
    path = os.path.join(tempfile.mkdtemp(), "best.keras")
    saved_epochs = []

    class Watch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if os.path.exists(path):
                saved_epochs.append((epoch, round(os.path.getmtime(path) > 0)))

    noisy_y = Y + np.sin(np.arange(len(Y)) * 1.7)[:, None].astype("float32")
    h = model.fit(X, noisy_y, batch_size=16, epochs=12, shuffle=False, verbose=0,
                  validation_data=(X[:16], noisy_y[:16]),
                  callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                               patience=1, min_lr=0.01),
                             keras.callbacks.EarlyStopping(monitor="val_loss", patience=3,
                                                           restore_best_weights=True),
                             keras.callbacks.ModelCheckpoint(path, monitor="val_loss",
                                                             save_best_only=True),
                             Watch()])
    best = keras.saving.load_model(path)
    return [history(h), rounded(keras, model.evaluate(X[:16], noisy_y[:16], verbose=0)),
            rounded(keras, best.evaluate(X[:16], noisy_y[:16], verbose=0)), len(saved_epochs) > 0]


@program
def optimizer_schedules_and_clipping(keras):
    """Learning-rate schedules and gradient clipping as the optimizer guide sets them."""
    results = {}
    schedules = {
        "exponential": keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=2,
                                                                   decay_rate=0.5),
        "cosine_warmup": keras.optimizers.schedules.CosineDecay(0.0, decay_steps=6,
                                                                warmup_target=0.2,
                                                                warmup_steps=2),
        "piecewise": keras.optimizers.schedules.PiecewiseConstantDecay([2, 4], [0.2, 0.1, 0.05]),
    }
    for name, schedule in schedules.items():
        model = mlp_model(keras)
        model.compile(keras.optimizers.SGD(schedule, momentum=0.9), "mse")
        h = model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results[name] = [history(h), float(np.round(keras.ops.convert_to_numpy(
            model.optimizer.learning_rate), 6))]
    for name, kwargs in {"clipnorm": {"clipnorm": 0.05}, "clipvalue": {"clipvalue": 0.01},
                         "global_clipnorm": {"global_clipnorm": 0.05}}.items():
        model = mlp_model(keras)
        model.compile(keras.optimizers.Adam(0.05, **kwargs), "mse")
        h = model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results[name] = history(h)
    model = mlp_model(keras)
    model.compile(keras.optimizers.AdamW(0.05, weight_decay=0.1), "mse")
    model.optimizer.exclude_from_weight_decay(var_names=["bias"])
    h = model.fit(X, Y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    results["adamw_exclude_bias"] = history(h)
    return results


def mlp_model(keras):
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="tanh"),
                              keras.layers.Dense(1)])
    det_weights(model, 0.3)
    return model


@program
def mixed_precision_model(keras):
    """The mixed-precision guide's model: a bfloat16 compute policy with a float32 output
    activation; dtypes of variables, outputs and the loss."""
    layers = keras.layers
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        inputs = keras.Input(shape=(6,), name="digits")
        x = layers.Dense(8, activation="relu", name="dense_1")(inputs)
        x = layers.Dense(8, activation="relu", name="dense_2")(x)
        x = layers.Dense(3, name="dense_logits")(x)
        outputs = layers.Activation("softmax", dtype="float32", name="predictions")(x)
        model = keras.Model(inputs=inputs, outputs=outputs)
        det_weights(model)
        # (not compared: x.dtype, bfloat16 in Keras, float32 in lamina's autocast-based mixed
        # precision; see docs/differences.md)
        info = [model.layers[1].dtype_policy.name, model.layers[1].compute_dtype,
                model.layers[1].variable_dtype, str(outputs.dtype),
                [keras.backend.standardize_dtype(w.dtype) for w in model.weights][:2]]
        model.compile(loss="sparse_categorical_crossentropy",
                      optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
        y3 = (X[:, 0] * 3).astype("int64").clip(0, 2)
        h = model.fit(X, y3, batch_size=16, epochs=2, shuffle=False, verbose=0)
        out = model.predict(X[:2], verbose=0)
        # bfloat16 arithmetic: compare coarsely
        return info + [{k: [round(v, 2) for v in vals] for k, vals in history(h).items()},
                       str(out.dtype), np.round(out.astype("float64"), 2).tolist()]
    finally:
        keras.utils.clear_session()  # (forgets the global policy: floatx decides again)


@program
def train_on_batch_family(keras):
    """train_on_batch / test_on_batch / predict_on_batch with return_dict, as older
    tutorials' manual loops use them."""
    model = mlp_model(keras)
    model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    logs = []
    for i in range(3):
        logs.append(rounded(keras, model.train_on_batch(X[i * 8:(i + 1) * 8], Y[i * 8:(i + 1) * 8],
                                                        return_dict=True)))
    logs.append(rounded(keras, model.train_on_batch(X[:8], Y[:8])))
    logs.append(rounded(keras, model.test_on_batch(X[:8], Y[:8], return_dict=True)))
    logs.append(rounded(keras, model.train_on_batch(X[8:16], Y[8:16])))
    logs.append(rounded(keras, model.predict_on_batch(X[:2])))
    return logs


@program
def time_distributed_nested_model(keras):
    """TimeDistributed over a small functional model (a per-frame encoder), then an LSTM."""
    layers = keras.layers
    frame = keras.Input((4, 4, 1))
    f = layers.Conv2D(2, 3, activation="relu")(frame)
    f = layers.Flatten()(f)
    encoder = keras.Model(frame, f, name="frame_encoder")
    video = keras.Input((3, 4, 4, 1))
    encoded = layers.TimeDistributed(encoder)(video)
    out = layers.Dense(1)(layers.LSTM(3)(encoded))
    model = keras.Model(video, out)
    det_weights(model)
    clips = np.sin(np.arange(8 * 3 * 16) * 0.21).reshape(8, 3, 4, 4, 1).astype("float32")
    model.compile(keras.optimizers.Adam(0.01), "mse")
    h = model.fit(clips, Y[:8], batch_size=4, epochs=2, shuffle=False, verbose=0)
    return [list(encoded.shape), history(h), [w.path for w in model.weights][:3]]


@program
def custom_layer_compute_output_shape(keras):
    """A custom layer declaring compute_output_shape (Keras uses it for symbolic calls), with
    a `call` that could not run on symbolic inputs."""
    layers, ops = keras.layers, keras.ops

    class TopK(layers.Layer):
        def __init__(self, k, **kwargs):
            super().__init__(**kwargs)
            self.k = k

        def call(self, x):
            values, _ = ops.top_k(x, self.k)
            return values

        def compute_output_shape(self, input_shape):
            return input_shape[:-1] + (self.k,)

    inp = keras.Input((6,))
    top = TopK(3)(layers.Dense(5)(inp))
    out = layers.Dense(1)(top)
    model = keras.Model(inp, out)
    det_weights(model)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    h = model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [list(top.shape), history(h)]


@program
def attention_layers_options(keras):
    """Attention(use_scale, score_mode="concat"), AdditiveAttention and MultiHeadAttention
    with return_attention_scores, in one functional model."""
    layers = keras.layers
    q = keras.Input((4, 3))
    v = keras.Input((5, 3))
    a1 = layers.Attention(use_scale=True, score_mode="concat")([q, v])
    a2 = layers.AdditiveAttention()([q, v, v])
    a3, scores = layers.MultiHeadAttention(num_heads=2, key_dim=2)(q, v,
                                                                   return_attention_scores=True)
    out = layers.Dense(1)(layers.GlobalAveragePooling1D()(layers.concatenate([a1, a2, a3])))
    model = keras.Model([q, v], [out, scores])
    det_weights(model)
    qs = np.sin(np.arange(6 * 12) * 0.3).reshape(6, 4, 3).astype("float32")
    vs = np.cos(np.arange(6 * 15) * 0.2).reshape(6, 5, 3).astype("float32")
    o, s = model([qs, vs])
    # (not compared: scores.shape, whose last axis Keras 3's symbolic MHA gives as the query
    # length, 4, where its eager scores have the value length, 5)
    return [list(s.shape), rounded(keras, o), rounded(keras, s[0, 0])]


@program
def saving_guide_custom_objects(keras):
    """The serialization guide: a registered custom activation, layer, regularizer,
    constraint and initializer, saved to .keras and loaded (with and without custom_objects),
    plus a custom Loss and Metric in compile."""
    layers, ops = keras.layers, keras.ops

    @keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def custom_fn(x):
        return x**2

    @keras.saving.register_keras_serializable(package="Composition")
    class CenterAround(keras.constraints.Constraint):
        def __init__(self, ref_value):
            self.ref_value = ref_value

        def __call__(self, w):
            mean = ops.mean(w)
            return w - mean + self.ref_value

        def get_config(self):
            return {"ref_value": self.ref_value}

    @keras.saving.register_keras_serializable(package="Composition")
    class MyRegularizer(keras.regularizers.Regularizer):
        def __init__(self, strength):
            self.strength = strength

        def __call__(self, x):
            return self.strength * ops.sum(ops.abs(x))

        def get_config(self):
            return {"strength": self.strength}

    @keras.saving.register_keras_serializable(package="Composition")
    class Wave(keras.initializers.Initializer):
        def __init__(self, scale=0.1):
            self.scale = scale

        def __call__(self, shape, dtype=None):
            n = int(np.prod(shape))
            return ops.reshape(ops.sin(ops.arange(n, dtype="float32")) * self.scale, shape)

        def get_config(self):
            return {"scale": self.scale}

    @keras.saving.register_keras_serializable(package="Composition")
    class WeightedMSE(keras.losses.Loss):
        def __init__(self, weight=2.0, **kwargs):
            super().__init__(**kwargs)
            self.weight = weight

        def call(self, y_true, y_pred):
            return self.weight * ops.mean(ops.square(y_true - y_pred), axis=-1)

        def get_config(self):
            return {**super().get_config(), "weight": self.weight}

    @keras.saving.register_keras_serializable(package="Composition")
    class MaxError(keras.metrics.Metric):
        def __init__(self, name="max_error", **kwargs):
            super().__init__(name=name, **kwargs)
            self.worst = self.add_variable(shape=(), initializer="zeros", name="worst")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.worst.assign(ops.maximum(self.worst, ops.max(ops.abs(y_true - y_pred))))

        def result(self):
            return self.worst

        def reset_state(self):
            self.worst.assign(0.0)

    inp = keras.Input((6,))
    x = layers.Dense(4, activation=custom_fn, kernel_initializer=Wave(0.2),
                     kernel_regularizer=MyRegularizer(0.01), kernel_constraint=CenterAround(0.1),
                     name="custom")(inp)
    out = layers.Dense(1, kernel_initializer=Wave(0.3))(x)
    model = keras.Model(inp, out)
    model.compile(keras.optimizers.SGD(0.05), loss=WeightedMSE(3.0), metrics=[MaxError()])
    h = model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    path = os.path.join(tempfile.mkdtemp(), "custom.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    h2 = loaded.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    config = model.get_layer("custom").get_config()
    return [history(h), history(h2), rounded(keras, loaded.evaluate(X, Y, verbose=0)),
            config["activation"], config["kernel_constraint"]["config"],
            config["kernel_regularizer"]["config"],
            keras.saving.get_registered_name(CenterAround),
            type(loaded.loss).__name__, rounded(keras, model.get_layer("custom").kernel[:2])]


@program
def lambda_layer_and_multi_output_lists(keras):
    """A Lambda layer with output_shape, a two-output model compiled with loss and metric
    lists and loss_weights, trained from a Python generator with steps_per_epoch."""
    layers, ops = keras.layers, keras.ops
    inp = keras.Input((6,))
    h = layers.Dense(5, activation="relu")(inp)
    squashed = layers.Lambda(lambda t: ops.tanh(t) * 0.5, output_shape=(5,), name="squash")(h)
    out_a = layers.Dense(1, name="a")(squashed)
    out_b = layers.Dense(3, activation="softmax", name="b")(h)
    model = keras.Model(inp, [out_a, out_b])
    det_weights(model)
    model.compile(keras.optimizers.Adam(0.01),
                  loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[0.5, 1.0],
                  metrics=[["mae"], ["accuracy"]])
    yk = (X[:, 0] * 3).astype("int64").clip(0, 2)

    def batches():
        while True:
            for i in range(0, 48, 12):
                yield X[i:i + 12], (Y[i:i + 12], yk[i:i + 12])

    hist = model.fit(batches(), steps_per_epoch=4, epochs=2, verbose=0)
    ev = model.evaluate(X, [Y, yk], sample_weight=np.linspace(0.5, 1.5, 48), verbose=0,
                        return_dict=True)
    return [history(hist), rounded(keras, ev), list(squashed.shape)]


@program
def subclassed_build_and_summary_counts(keras):
    """A Model subclass built with build(input_shape), then summarised: parameter counts and
    the layer list, and called on a dict input."""
    layers, ops = keras.layers, keras.ops

    class Tower(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.left = layers.Dense(3)
            self.right = layers.Dense(2)
            self.head = layers.Dense(1)

        def call(self, inputs):
            return self.head(ops.concatenate([self.left(inputs["a"]), self.right(inputs["b"])],
                                             axis=-1))

    model = Tower()
    model({"a": X[:2, :4], "b": X[:2, 4:]})
    det_weights(model)
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    model.compile(keras.optimizers.SGD(0.1), "mse")
    h = model.fit({"a": X[:, :4], "b": X[:, 4:]}, Y, batch_size=16, epochs=2, shuffle=False,
                  verbose=0)
    return [model.count_params(), [l.name for l in model.layers], history(h),
            any("Total params: 25" in line for line in lines)]


IMAGES = np.sin(np.arange(12 * 3 * 8 * 8) * 0.13).reshape(12, 3, 8, 8).astype("float32")


@program
def channels_first_convnet(keras):
    """A convnet written for channels_first data (as code ported from PyTorch is): Conv2D,
    SeparableConv2D, BatchNormalization(axis=1), pooling and GlobalAveragePooling2D."""
    layers = keras.layers
    model = keras.Sequential([
        keras.Input((3, 8, 8)),
        layers.Conv2D(4, 3, padding="same", data_format="channels_first", activation="relu"),
        layers.BatchNormalization(axis=1),
        layers.MaxPooling2D(2, data_format="channels_first"),
        layers.SeparableConv2D(5, 3, data_format="channels_first"),
        layers.AveragePooling2D(1, data_format="channels_first"),
        layers.GlobalAveragePooling2D(data_format="channels_first"),
        layers.Dense(3, activation="softmax"),
    ])
    det_weights(model)
    bn = model.layers[1]
    bn.moving_variance.assign(np.ones((4,), "float32"))
    labels = (np.arange(12) % 3).astype("int64")
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    h = model.fit(IMAGES, labels, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return [[list(l.output.shape) for l in model.layers], history(h),
            rounded(keras, bn.moving_mean), rounded(keras, model(IMAGES[:2]))]


@program
def conv_lstm_next_frame(keras):
    """The next-frame prediction example, tiny: ConvLSTM2D layers returning sequences, a
    BatchNormalization between them and a Conv3D head, trained with binary crossentropy."""
    layers = keras.layers
    inp = keras.Input(shape=(None, 6, 6, 1))
    x = layers.ConvLSTM2D(3, (3, 3), padding="same", return_sequences=True,
                          activation="relu")(inp)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(2, (1, 1), padding="same", return_sequences=True,
                          activation="relu")(x)
    x = layers.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")(x)
    model = keras.Model(inp, x)
    det_weights(model)
    model.layers[2].moving_variance.assign(np.ones((3,), "float32"))
    frames = ((np.sin(np.arange(4 * 5 * 36) * 0.4).reshape(4, 5, 6, 6, 1) + 1) / 2)
    frames = frames.astype("float32")
    model.compile(loss=keras.losses.binary_crossentropy, optimizer=keras.optimizers.Adam(0.01))
    h = model.fit(frames[:, :-1], frames[:, 1:], batch_size=2, epochs=2, shuffle=False,
                  verbose=0)
    return [list(model.output.shape), history(h),
            rounded(keras, model.predict(frames[:1, :2], verbose=0)[0, -1, :2, :2, 0])]


@program
def merge_and_reshape_layers(keras):
    """Merging layers (add, subtract, multiply, maximum, average, Dot with axes and
    normalize) and reshaping layers (Reshape with -1, Permute, RepeatVector, Cropping1D,
    ZeroPadding1D, UpSampling1D) in one graph."""
    layers = keras.layers
    a = keras.Input((6,))
    b = keras.Input((6,))
    da, db = layers.Dense(4)(a), layers.Dense(4)(b)
    merged = [layers.add([da, db]), layers.subtract([da, db]), layers.multiply([da, db]),
              layers.maximum([da, db]), layers.average([da, db]), layers.minimum([da, db])]
    dot = layers.Dot(axes=1, normalize=True)([da, db])
    seq = layers.Reshape((-1, 2))(layers.concatenate(merged))  # (12, 2)
    seq = layers.Permute((2, 1))(seq)  # (2, 12)
    seq = layers.ZeroPadding1D((1, 2))(seq)  # (5, 12)
    seq = layers.Cropping1D((1, 1))(seq)  # (3, 12)
    seq = layers.UpSampling1D(2)(seq)  # (6, 12)
    rep = layers.RepeatVector(6)(dot)  # (6, 1)
    joined = layers.concatenate([seq, rep], axis=-1)
    out = layers.Dense(1)(layers.Flatten()(joined))
    model = keras.Model([a, b], out)
    det_weights(model)
    model.compile(keras.optimizers.SGD(0.01), "mse")
    h = model.fit([X, X[::-1]], Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [list(joined.shape), history(h), rounded(keras, model([X[:2], X[2:4]]))]


@program
def custom_layer_weight_regularizer_and_constraint(keras):
    """add_weight with a regularizer and a constraint in a custom layer: the penalty joins
    the loss and the constraint is applied after each update."""
    layers, ops = keras.layers, keras.ops

    class Scaled(layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_weight(
                shape=(input_shape[-1],), initializer="ones", name="scale",
                regularizer=keras.regularizers.L1L2(l1=0.01, l2=0.02),
                constraint=keras.constraints.MinMaxNorm(min_value=0.5, max_value=1.0, axis=0))

        def call(self, x):
            return x * self.scale

    inp = keras.Input((6,))
    scaled = Scaled()
    out = layers.Dense(1, kernel_constraint=keras.constraints.NonNeg())(scaled(inp))
    model = keras.Model(inp, out)
    det_weights(model)
    model.compile(keras.optimizers.SGD(0.3), "mse")
    h = model.fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    return [history(h), rounded(keras, scaled.scale), rounded(keras, model.losses),
            float(np.round(np.linalg.norm(ops.convert_to_numpy(scaled.scale)), 5)),
            bool(np.all(ops.convert_to_numpy(model.layers[-1].kernel) >= 0))]


@program
def metrics_thresholds_top_k_and_multilabel(keras):
    """Classification metrics with their options: Precision/Recall thresholds and top_k,
    AUC multi_label and PR curve, F1Score macro, MeanIoU, R2Score, in compile and standalone."""
    labels = (X[:, :3] > 0.5).astype("float32")
    scores = np.clip(X[:, 3:] + 0.2 * labels, 0, 1).astype("float32")
    ms = {
        "precision_t": keras.metrics.Precision(thresholds=[0.3, 0.6]),
        "recall_top2": keras.metrics.Recall(top_k=2),
        "auc_multi": keras.metrics.AUC(multi_label=True, num_labels=3),
        "auc_pr": keras.metrics.AUC(curve="PR", num_thresholds=50),
        "f1_macro": keras.metrics.F1Score(average="macro", threshold=0.5),
        "r2": keras.metrics.R2Score(),
        "bin_iou": keras.metrics.BinaryIoU(target_class_ids=[1], threshold=0.4),
    }
    out = {}
    for name, metric in ms.items():
        metric.update_state(labels[:30], scores[:30])
        metric.update_state(labels[30:], scores[30:])
        out[name] = rounded(keras, metric.result())
    iou = keras.metrics.MeanIoU(num_classes=3)
    iou.update_state((X[:, 0] * 3).astype("int64").clip(0, 2),
                     (X[:, 1] * 3).astype("int64").clip(0, 2))
    out["mean_iou"] = rounded(keras, iou.result())
    return out


@program
def augmentation_layers_pass_through_at_inference(keras):
    """The image-classification example's augmentation block inside the model: random layers
    are the identity at inference (predict, evaluate), and the model trains."""
    layers = keras.layers
    augmentation = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
                                     layers.RandomZoom(0.1), layers.RandomContrast(0.2)],
                                    name="augmentation")
    inp = keras.Input((8, 8, 3))
    x = augmentation(inp)
    x = layers.Rescaling(1.0 / 2)(x)
    x = layers.Conv2D(2, 3, activation="relu")(x)
    out = layers.Dense(1, activation="sigmoid")(layers.GlobalMaxPooling2D()(x))
    model = keras.Model(inp, out)
    det_weights(model)
    images = np.moveaxis(IMAGES, 1, -1)
    same = bool(np.allclose(keras.ops.convert_to_numpy(augmentation(images)), images))
    p1 = model.predict(images, verbose=0)
    model.compile("adam", "binary_crossentropy")
    model.fit(images, Y[:12], epochs=1, batch_size=4, verbose=0)
    return [same, rounded(keras, p1[:3]), list(model.output.shape),
            [l.name for l in model.layers]]


@program
def sequence_utils(keras):
    """to_categorical, normalize and pad_sequences with their options."""
    seqs = [[1, 2, 3, 4, 5], [6, 7], [8, 9, 10]]
    return [
        keras.utils.pad_sequences(seqs, maxlen=4).tolist(),
        keras.utils.pad_sequences(seqs, maxlen=4, padding="post", truncating="post").tolist(),
        keras.utils.pad_sequences(seqs, value=-1, dtype="float32").tolist(),
        keras.utils.pad_sequences([[1.5, 2.5], [3.5]], dtype="float32", padding="post").tolist(),
        keras.utils.to_categorical([0, 2, 1, 2]).tolist(),
        keras.utils.to_categorical([[1], [3]], num_classes=4).tolist(),
        np.round(keras.utils.normalize(np.array([[3.0, 4.0], [1.0, 0.0]]), order=2), 5).tolist(),
        # (not axis=0: Keras 3's NumPy path turns axis 0 into -1 when it divides; lamina
        # normalizes along axis 0 as asked, see docs/differences.md)
        np.round(keras.utils.normalize(np.array([[3.0, 4.0], [1.0, 1.0]]), axis=1, order=1),
                 5).tolist(),
    ]


@program
def subclassed_model_with_own_weights(keras):
    """A Model subclass that owns weights directly (add_weight in build) beside sublayers,
    trained; its weights' order and paths."""
    layers, ops = keras.layers, keras.ops

    class Affine(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = layers.Dense(3, activation="tanh")

        def build(self, input_shape):
            self.gain = self.add_weight(shape=(1,), initializer="ones", name="gain")
            self.offset = self.add_weight(shape=(1,), initializer="zeros", name="offset",
                                          trainable=False)
            self.hidden.build(input_shape)

        def call(self, x):
            return self.gain * ops.sum(self.hidden(x), axis=-1, keepdims=True) + self.offset

    model = Affine(name="affine")
    model(X[:1])
    det_weights(model)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    h = model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    return [[w.path for w in model.weights], [w.path for w in model.trainable_weights],
            history(h), rounded(keras, model.gain)]


@program
def training_default_true_reaches_nested_layers(keras):
    """A custom layer whose call defaults to training=True (as Keras's augmentation layers
    do): a direct call or model(x) uses the default, and the layers it calls inherit it;
    predict, evaluate and fit pass training explicitly."""
    layers = keras.layers
    seen = []

    class Probe(layers.Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    class Jitter(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.probe = Probe()

        def call(self, x, training=True):
            seen.append(("jitter", training))
            return self.probe(x)

    inp = keras.Input((6,))
    model = keras.Model(inp, layers.Dense(1)(Jitter()(inp)))
    det_weights(model)
    log = {}
    for name, run in [("direct", lambda: model.layers[1](X[:2])), ("model", lambda: model(X[:2])),
                      ("model_false", lambda: model(X[:2], training=False)),
                      ("predict", lambda: model.predict(X[:2], verbose=0))]:
        seen.clear()
        run()
        log[name] = list(seen)
    model.compile("sgd", "mse")
    seen.clear()
    model.fit(X[:4], Y[:4], batch_size=4, epochs=1, verbose=0)
    log["fit"] = list(seen)
    return log


def positive_variances(model, scale=0.05):
    """det_weights, with moving variances kept positive (BatchNormalization)."""
    values = []
    for i, w in enumerate(model.weights):
        n = int(np.prod(w.shape)) if w.shape else 1
        value = (np.sin(np.arange(n) * 0.7 + i) * scale).reshape(w.shape)
        if w.path.endswith("moving_variance"):
            value = np.abs(value) + 1.0
        values.append(value.astype("float32"))
    model.set_weights(values)


@program
def applications_architectures(keras):
    """Keras applications built without pretrained weights at a small input: parameter
    counts, layer names and a forward pass with weights set from a formula."""
    apps = keras.applications
    builders = {
        "MobileNetV2": lambda: apps.MobileNetV2(alpha=0.35, input_shape=(32, 32, 3),
                                                weights=None, classes=5),
        "ResNet50": lambda: apps.ResNet50(input_shape=(32, 32, 3), weights=None, classes=5),
        "EfficientNetB0": lambda: apps.EfficientNetB0(input_shape=(32, 32, 3), weights=None,
                                                      classes=5),
        "DenseNet121": lambda: apps.DenseNet121(input_shape=(32, 32, 3), weights=None,
                                                classes=5),
        "ConvNeXtTiny": lambda: apps.ConvNeXtTiny(input_shape=(32, 32, 3), weights=None,
                                                  classes=5),
    }
    image = np.cos(np.arange(32 * 32 * 3) * 0.05).reshape(1, 32, 32, 3).astype("float32")
    out = {}
    for name, build in builders.items():
        keras.utils.clear_session()
        model = build()
        positive_variances(model)
        names = [l.name for l in model.layers]
        prediction = model.predict(image * 100.0, verbose=0)
        out[name] = [model.count_params(), len(model.layers), names[:4] + names[-4:],
                     list(model.output.shape), np.round(prediction.astype("float64"), 4).tolist()]
    return out


@program
def recurrent_layer_options(keras):
    """LSTM/GRU/SimpleRNN options in one model: Bidirectional with return_state (five
    outputs), GRU reset_after=False and go_backwards, unroll=True, stacked cells, an LSTM
    started from another's states, then trained."""
    layers = keras.layers
    inp = keras.Input((5, 3))
    seq, fh, fc, bh, bc = layers.Bidirectional(layers.LSTM(3, return_sequences=True,
                                                           return_state=True))(inp)
    gru = layers.GRU(2, reset_after=False, go_backwards=True, return_sequences=True)(seq)
    simple = layers.SimpleRNN(2, unroll=True)(gru)
    stacked = layers.RNN([layers.LSTMCell(3), layers.GRUCell(3)])(inp)
    started = layers.LSTM(3)(inp, initial_state=[fh, fc])
    out = layers.Dense(1)(layers.concatenate([simple, stacked, started, fc, bc]))
    model = keras.Model(inp, out)
    det_weights(model)
    data = np.sin(np.arange(12 * 15) * 0.17).reshape(12, 5, 3).astype("float32")
    model.compile(keras.optimizers.Adam(0.01), "mse")
    h = model.fit(data, Y[:12], batch_size=4, epochs=2, shuffle=False, verbose=0)
    return [[list(t.shape) for t in (seq, fh, fc, bh, bc, gru, simple, stacked, started)],
            history(h),
            rounded(keras, model(data[:2]))]


@program
def normalization_and_attention_options(keras):
    """Normalization layers' options (LayerNormalization rms_scaling, RMSNormalization,
    GroupNormalization, UnitNormalization, Normalization with given statistics and invert)
    and attention masks (use_causal_mask, an attention_mask) in one model."""
    layers = keras.layers
    inp = keras.Input((4, 6))
    with warnings.catch_warnings():  # (deprecated in Keras 3, with a warning: still computed)
        warnings.simplefilter("ignore")
        x = layers.LayerNormalization(rms_scaling=True)(inp)
    x = layers.RMSNormalization()(x)
    x = layers.GroupNormalization(groups=3)(x)
    x = layers.UnitNormalization()(x)
    x = layers.Normalization(mean=0.1, variance=2.0)(x)
    x = layers.Normalization(mean=0.1, variance=2.0, invert=True)(x)
    causal = layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x, use_causal_mask=True)
    scores = layers.Attention(use_scale=True)([x, x], use_causal_mask=True)
    out = layers.Dense(1)(layers.Flatten()(layers.add([causal, scores])))
    model = keras.Model(inp, out)
    det_weights(model)
    data = np.sin(np.arange(8 * 24) * 0.31).reshape(8, 4, 6).astype("float32")
    model.compile(keras.optimizers.Adam(0.01), "mse")
    h = model.fit(data, Y[:8], batch_size=4, epochs=2, shuffle=False, verbose=0)
    return [history(h), rounded(keras, model(data[:2]))]


@program
def nested_models_saved_every_way(keras):
    """A Sequential holding a functional model holding a registered custom layer: saved as
    .keras, .h5 and .weights.h5, loaded back (weights into a freshly built twin too), with the
    same predictions and weight paths."""
    layers, ops = keras.layers, keras.ops

    @keras.saving.register_keras_serializable(package="Composition")
    class NestedScale(layers.Layer):
        def build(self, input_shape):
            self.factor = self.add_weight(shape=(input_shape[-1],), initializer="ones",
                                          name="factor")

        def call(self, x):
            return x * self.factor

    def build():
        inner_in = keras.Input((6,))
        hidden = layers.Dense(4, activation="tanh")(inner_in)
        inner = keras.Model(inner_in, NestedScale()(hidden),
                            name="inner")
        return keras.Sequential([keras.Input((6,)), inner, layers.Dense(1)], name="outer")

    model = build()
    det_weights(model)
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.fit(X, Y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    folder = tempfile.mkdtemp()
    results = {"trained": rounded(keras, model.predict(X[:3], verbose=0)),
               "paths": [w.path for w in model.weights]}
    for name in ("m.keras", "m.h5"):
        path = os.path.join(folder, name)
        model.save(path)
        # (compile=False: Keras 3.15 cannot deserialize the "mse" metric of an .h5 file)
        loaded = keras.saving.load_model(path, compile=name.endswith(".keras"))
        results[name] = [rounded(keras, loaded.predict(X[:3], verbose=0)),
                         [w.path for w in loaded.weights]]
    model.save_weights(os.path.join(folder, "m.weights.h5"))
    twin = build()
    twin.load_weights(os.path.join(folder, "m.weights.h5"))
    results["weights.h5"] = rounded(keras, twin.predict(X[:3], verbose=0))
    return results


@program
def dict_inputs_in_any_order_and_sample_weights(keras):
    """Named inputs given as a dict in another order than the model's, sample weights in fit
    and in validation_data (x, y, sample_weight), and weighted_metrics."""
    layers = keras.layers
    a = keras.Input((4,), name="a")
    b = keras.Input((2,), name="b")
    out = layers.Dense(1, activation="sigmoid")(layers.concatenate([layers.Dense(3)(a), b]))
    model = keras.Model({"a": a, "b": b}, out)
    det_weights(model)
    model.compile(keras.optimizers.SGD(0.3), "binary_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    weights = np.linspace(0.2, 2.0, len(X)).astype("float32")
    inputs = {"b": X[:, 4:], "a": X[:, :4]}
    h = model.fit(inputs, Y, sample_weight=weights, batch_size=16, epochs=2, shuffle=False,
                  verbose=0, validation_data=({"b": X[:12, 4:], "a": X[:12, :4]}, Y[:12],
                                              weights[:12]))
    return [history(h), rounded(keras, model.evaluate(inputs, Y, sample_weight=weights,
                                                      verbose=0, return_dict=True))]


@program
def custom_metric_with_sample_weight_across_epochs(keras):
    """A custom Metric subclass using sample_weight, reset by Keras at each epoch, in compile's
    metrics and weighted_metrics, and in evaluate."""
    ops = keras.ops

    class WeightedAbsError(keras.metrics.Metric):
        def __init__(self, name="wae", **kwargs):
            super().__init__(name=name, **kwargs)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            error = ops.abs(ops.cast(y_true, "float32") - y_pred)
            if sample_weight is not None:
                sample_weight = ops.reshape(ops.cast(sample_weight, "float32"), (-1, 1))
                error = error * sample_weight
                self.count.assign(self.count + ops.sum(sample_weight))
            else:
                self.count.assign(self.count + ops.cast(ops.shape(error)[0], "float32"))
            self.total.assign(self.total + ops.sum(error))

        def result(self):
            return self.total / ops.maximum(self.count, 1.0)

        def reset_state(self):
            self.total.assign(0.0)
            self.count.assign(0.0)

    model = mlp_model(keras)
    model.compile(keras.optimizers.SGD(0.1), "mse", metrics=[WeightedAbsError()],
                  weighted_metrics=[WeightedAbsError(name="wae_weighted")])
    weights = np.linspace(0.5, 1.5, len(X)).astype("float32")
    h = model.fit(X, Y, sample_weight=weights, batch_size=16, epochs=3, shuffle=False,
                  verbose=0)
    return [history(h), rounded(keras, model.evaluate(X, Y, verbose=0, return_dict=True))]


@program
def keras2_style_gan_with_trainable_toggling(keras):
    """The Keras 2 GAN recipe: a discriminator compiled on its own, frozen with
    `trainable = False` before the combined model is compiled, then train_on_batch alternating
    between the two (which weights move in each step is what this compares)."""
    layers = keras.layers
    latent = 3
    generator = keras.Sequential([keras.Input((latent,)), layers.Dense(6, activation="tanh")],
                                 name="generator")
    discriminator = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="relu"),
                                      layers.Dense(1, activation="sigmoid")], name="discriminator")
    det_weights(generator, 0.3)
    det_weights(discriminator, 0.3)
    discriminator.compile(keras.optimizers.SGD(0.1), "binary_crossentropy")
    discriminator.trainable = False
    noise_in = keras.Input((latent,))
    gan = keras.Model(noise_in, discriminator(generator(noise_in)))
    gan.compile(keras.optimizers.SGD(0.1), "binary_crossentropy")
    noise = np.cos(np.arange(8 * latent) * 0.3).reshape(8, latent).astype("float32")
    losses = []
    for step in range(3):
        fake = generator.predict(noise, verbose=0)
        both = np.concatenate([X[step * 8:(step + 1) * 8], fake])
        labels = np.concatenate([np.ones((8, 1)), np.zeros((8, 1))]).astype("float32")
        discriminator.trainable = True
        d_loss = discriminator.train_on_batch(both, labels)
        discriminator.trainable = False
        g_loss = gan.train_on_batch(noise, np.ones((8, 1), "float32"))
        losses.append([float(np.round(d_loss, 5)), float(np.round(g_loss, 5))])
    return [losses, rounded(keras, generator.weights[0][:2]),
            rounded(keras, discriminator.weights[0][:2]), len(gan.trainable_weights)]
