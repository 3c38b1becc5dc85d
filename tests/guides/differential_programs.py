"""Whole small Keras programs, run by Keras 3 and by lamina with the same code
(tests/guides/test_differential_programs.py compares lamina's answers with those Keras gave,
recorded in tests/fixtures/guide_programs/differential_keras.json by record_differential.py).

Each program is `def name(keras)` and returns plain data (shapes, names, values rounded to 5
digits, histories). They follow Keras's developer guides: the Sequential and functional APIs,
subclassing, masking and padding, RNNs, preprocessing layers, callbacks, training with
optimizers, losses, metrics, class and sample weights. Weights are set from a formula
(`det_weights`), so values do not depend on either framework's random numbers. Programs that
need TensorFlow in Keras (its text and lookup layers) are marked and recorded on Keras's
TensorFlow backend; the others on its torch backend.
"""

import os
import tempfile

import numpy as np

PROGRAMS = {}
NEEDS_TENSORFLOW = set()


def program(needs_tensorflow=False):
    def register(fn):
        PROGRAMS[fn.__name__] = fn
        if needs_tensorflow:
            NEEDS_TENSORFLOW.add(fn.__name__)
        return fn
    return register


def det_weights(model, scale=0.1):
    values = []
    for i, w in enumerate(model.get_weights()):
        n = int(np.prod(w.shape)) if w.shape else 1
        values.append((np.sin(np.arange(n) * 0.7 + i) * scale).reshape(w.shape).astype(w.dtype))
    model.set_weights(values)


def rounded(keras, y, digits=5):
    if isinstance(y, (list, tuple)):
        return [rounded(keras, t, digits) for t in y]
    if isinstance(y, dict):
        return {k: rounded(keras, v, digits) for k, v in sorted(y.items())}
    return np.round(np.asarray(keras.ops.convert_to_numpy(y), dtype="float64"), digits).tolist()


def history(h):
    return {k: [np.round(np.asarray(v, "float64"), 5).tolist() for v in vals]
            for k, vals in sorted(h.history.items())}


def tolist(keras, x):
    return np.asarray(x if isinstance(x, np.ndarray) else keras.ops.convert_to_numpy(x)).tolist()


TOK = np.array([[3, 5, 2, 0, 0], [7, 1, 0, 0, 0], [4, 4, 4, 4, 9]], "int32")
LEFT = np.array([[0, 0, 3, 5, 2], [0, 1, 0, 6, 0], [4, 4, 4, 4, 9]], "int32")
_R = np.random.RandomState(0)
X = _R.rand(60, 6).astype("float32")
Y3 = (X[:, 0] * 3).astype("int64").clip(0, 2)
YB = (X[:, 1] > 0.5).astype("float32")[:, None]
YR = X[:, :2].sum(1, keepdims=True).astype("float32")


def masked_model(keras, body):
    inp = keras.Input((5,), dtype="int32")
    e = keras.layers.Embedding(10, 4, mask_zero=True)(inp)
    m = keras.Model(inp, body(e))
    det_weights(m)
    return m


def mlp(keras, out_units, act):
    m = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh"),
                          keras.layers.Dense(out_units, activation=act)])
    det_weights(m, 0.3)
    return m


@program()
def seq_feature_extraction(keras):
    layers = keras.layers
    m = keras.Sequential([keras.Input(shape=(250, 250, 3)),
                          layers.Conv2D(32, 5, strides=2, activation="relu"),
                          layers.Conv2D(32, 3, activation="relu", name="my_intermediate_layer"),
                          layers.Conv2D(32, 3, activation="relu")])
    fe = keras.Model(inputs=m.inputs, outputs=[l.output for l in m.layers])
    fe2 = keras.Model(inputs=m.inputs, outputs=m.get_layer(name="my_intermediate_layer").output)
    outs = fe(np.ones((1, 250, 250, 3), "float32"))
    return [list(o.shape) for o in outs] + [
        list(fe2(np.ones((1, 250, 250, 3), "float32")).shape), len(fe.layers),
        [l.name for l in fe.layers][1:]]


@program()
def seq_pop_add(keras):
    layers = keras.layers
    m = keras.Sequential()
    m.add(keras.Input(shape=(4,)))
    m.add(layers.Dense(2, activation="relu"))
    m.add(layers.Dense(3))
    m.pop()
    r = [len(m.layers)]
    m.add(layers.Dense(5))
    return r + [len(m.layers), list(m(np.ones((2, 4))).shape), len(m.weights)]


@program()
def seq_deferred_build(keras):
    layers, ops = keras.layers, keras.ops
    m = keras.Sequential([layers.Dense(2, activation="relu"), layers.Dense(3), layers.Dense(4)])
    before = m.built if hasattr(m, "built") else None
    try:
        m.weights_len_before = len(m.weights)
    except Exception as e:
        m.weights_len_before = type(e).__name__
    y = m(ops.ones((1, 4)))
    return [before, m.weights_len_before, len(m.weights), list(y.shape), m.built]


@program()
def functional_multi_io(keras):
    layers = keras.layers
    num_tags, num_words, num_departments = 12, 100, 4
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.Embedding(num_words, 64)(title_input)
    body_features = layers.Embedding(num_words, 64)(body_input)
    title_features = layers.LSTM(128)(title_features)
    body_features = layers.LSTM(32)(body_features)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    model = keras.Model(inputs=[title_input, body_input, tags_input],
                        outputs={"priority": priority_pred, "department": department_pred})
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss={"priority": keras.losses.BinaryCrossentropy(from_logits=True),
                        "department": keras.losses.CategoricalCrossentropy(from_logits=True)},
                  loss_weights={"priority": 1.0, "department": 0.2})
    title_data = np.random.RandomState(3).randint(num_words, size=(64, 10))
    body_data = np.random.RandomState(3).randint(num_words, size=(64, 100))
    tags_data = np.random.RandomState(3).randint(2, size=(64, num_tags)).astype("float32")
    priority_targets = np.random.RandomState(4).random(size=(64, 1))
    dept_targets = np.random.RandomState(3).randint(2, size=(64, num_departments))
    h = model.fit({"title": title_data, "body": body_data, "tags": tags_data},
                  {"priority": priority_targets, "department": dept_targets},
                  epochs=1, batch_size=32, verbose=0)
    p = model.predict({"title": title_data, "body": body_data, "tags": tags_data}, verbose=0)
    return [sorted(h.history), sorted(p) if isinstance(p, dict) else type(p).__name__,
            model.count_params(), [i.name for i in model.inputs], len(model.layers)]


@program()
def functional_shared_layer_and_nodes(keras):
    layers = keras.layers
    shared = layers.Embedding(1000, 16)
    a = keras.Input(shape=(None,), dtype="int32"); b = keras.Input(shape=(None,), dtype="int32")
    ea, eb = shared(a), shared(b)
    m = keras.Model([a, b], [ea, eb])
    return [len(shared._inbound_nodes) if hasattr(shared, "_inbound_nodes") else None,
            len(m.weights), [list(t.shape) for t in m.outputs]]


@program()
def subclass_layer_weights(keras):
    ops = keras.ops
    class Linear(keras.layers.Layer):
        def __init__(self, units=32, input_dim=32):
            super().__init__()
            self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal",
                                     trainable=True)
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=False)
        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b
    l = Linear(4, 2)
    y = l(ops.ones((2, 2)))
    return [list(y.shape), len(l.weights), len(l.trainable_weights), len(l.non_trainable_weights),
            [w.path for w in l.weights]]


@program()
def subclass_add_loss_activity(keras):
    ops = keras.ops
    class ActivityRegularizationLayer(keras.layers.Layer):
        def __init__(self, rate=1e-2):
            super().__init__(); self.rate = rate
        def call(self, inputs):
            self.add_loss(self.rate * ops.mean(inputs))
            return inputs
    class OuterLayer(keras.layers.Layer):
        def __init__(self):
            super().__init__(); self.activity_reg = ActivityRegularizationLayer(1e-2)
        def call(self, inputs):
            return self.activity_reg(inputs)
    layer = OuterLayer()
    n0 = len(layer.losses)
    _ = layer(ops.zeros((1, 1)))
    n1 = len(layer.losses)
    _ = layer(ops.zeros((1, 1)))
    n2 = len(layer.losses)
    class OuterLayerWithKernelRegularizer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))
        def call(self, inputs):
            return self.dense(inputs)
    l2 = OuterLayerWithKernelRegularizer()
    _ = l2(ops.zeros((1, 1)))
    return [n0, n1, n2, len(l2.losses)]


@program()
def subclass_training_mask_args(keras):
    ops = keras.ops
    class CustomEmbedding(keras.layers.Layer):
        def __init__(self, input_dim, output_dim, mask_zero=False, **kwargs):
            super().__init__(**kwargs)
            self.input_dim, self.output_dim, self.mask_zero = input_dim, output_dim, mask_zero
            self.embeddings = self.add_weight(shape=(input_dim, output_dim),
                                              initializer="random_normal", dtype="float32")
        def call(self, inputs):
            inputs = ops.cast(inputs, "int32")
            return ops.take(self.embeddings, inputs, axis=0)
        def compute_mask(self, inputs, mask=None):
            if not self.mask_zero:
                return None
            return ops.not_equal(inputs, 0)
    layer = CustomEmbedding(10, 32, mask_zero=True)
    x = (np.random.RandomState(1).random((3, 10)) * 9).astype("int32")
    x[:, -2:] = 0
    y = layer(x)
    mask = layer.compute_mask(x)
    return [list(y.shape), np.asarray(ops.convert_to_numpy(mask)).sum().item()]


@program()
def masking_layer_propagation(keras):
    layers, ops = keras.layers, keras.ops
    class MyLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
            self.lstm = layers.LSTM(32)
        def call(self, inputs):
            x = self.embedding(inputs)
            mask = self.embedding.compute_mask(inputs)
            return self.lstm(x, mask=mask)
    layer = MyLayer()
    x = (np.random.RandomState(2).random((32, 10)) * 100).astype("int32")
    r1 = list(layer(x).shape)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    outputs = layers.LSTM(32)(x)
    model = keras.Model(inputs, outputs)
    raw_inputs = [[711, 632, 71], [73, 8, 3215, 55, 927], [83, 91, 1, 645, 1253, 927]]
    padded = keras.utils.pad_sequences(raw_inputs, padding="post")
    masking_layer = layers.Masking()
    unmasked_embedding = ops.cast(ops.tile(ops.expand_dims(padded, axis=-1), [1, 1, 10]), "float32")
    masked_embedding = masking_layer(unmasked_embedding)
    return [r1, list(model.output.shape), padded.tolist(),
            ops.convert_to_numpy(masked_embedding._keras_mask).tolist()]


@program()
def training_guide_custom_loss_metric(keras):
    layers, ops = keras.layers, keras.ops
    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)
    class CategoricalTruePositives(keras.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")
        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))
        def result(self):
            return self.true_positives
        def reset_state(self):
            self.true_positives.assign(0.0)
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[CategoricalTruePositives()])
    x = np.random.RandomState(5).rand(100, 784).astype("float32")
    y = np.random.RandomState(3).randint(0, 10, (100, 1))
    h = model.fit(x, y, batch_size=64, epochs=2, verbose=0)
    m2 = keras.Model(inputs=inputs, outputs=outputs)
    m2.compile(optimizer="adam", loss=custom_mean_squared_error)
    y_one_hot = np.eye(10)[y[:, 0]]
    h2 = m2.fit(x, y_one_hot, batch_size=64, epochs=1, verbose=0)
    ev = model.evaluate(x, y, verbose=0)
    return [sorted(h.history), sorted(h2.history), type(ev).__name__,
            len(ev) if isinstance(ev, list) else None]  # (model.metrics: docs/differences.md)


@program()
def callbacks_guide_logs(keras):
    layers = keras.layers
    seen = []
    class CustomCallback(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append(("train_begin", sorted(logs or {})))
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(("epoch_begin", epoch, sorted(logs or {})))
        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch_end", epoch, sorted(logs or {})))
        def on_train_batch_end(self, batch, logs=None):
            seen.append(("train_batch_end", batch, sorted(logs or {})))
        def on_test_begin(self, logs=None):
            seen.append(("test_begin", sorted(logs or {})))
        def on_test_batch_end(self, batch, logs=None):
            seen.append(("test_batch_end", batch, sorted(logs or {})))
        def on_test_end(self, logs=None):
            seen.append(("test_end", sorted(logs or {})))
        def on_predict_batch_end(self, batch, logs=None):
            seen.append(("predict_batch_end", batch, sorted(logs or {})))
        def on_train_end(self, logs=None):
            seen.append(("train_end", sorted(logs or {})))
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.1), loss="mean_squared_error",
                  metrics=["mean_absolute_error"])
    x = np.random.RandomState(5).rand(8, 4); y = np.random.RandomState(5).rand(8, 1)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, validation_split=0.5,
              callbacks=[CustomCallback()])
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[CustomCallback()])
    model.predict(x, batch_size=4, verbose=0, callbacks=[CustomCallback()])
    return seen


@program()
def save_load_guide(keras):
    layers = keras.layers
    import tempfile
    class CustomLayer(keras.layers.Layer):
        def __init__(self, sublayer, **kwargs):
            super().__init__(**kwargs); self.sublayer = sublayer
        def call(self, x): return self.sublayer(x)
        def get_config(self):
            base_config = super().get_config()
            config = {"sublayer": keras.saving.serialize_keras_object(self.sublayer)}
            return {**base_config, **config}
        @classmethod
        def from_config(cls, config):
            sublayer_config = config.pop("sublayer")
            sublayer = keras.saving.deserialize_keras_object(sublayer_config)
            return cls(sublayer, **config)
    inputs = keras.Input((4,))
    outputs = CustomLayer(layers.Dense(3))(inputs)
    m = keras.Model(inputs, outputs)
    d = tempfile.mkdtemp()
    m.save(os.path.join(d, "m.keras"))
    m2 = keras.saving.load_model(os.path.join(d, "m.keras"),
                                 custom_objects={"CustomLayer": CustomLayer})
    x = np.random.RandomState(5).rand(2, 4).astype("float32")
    m.save_weights(os.path.join(d, "w.weights.h5"))
    cfg = m.get_config()
    m3 = keras.Model.from_config(cfg, custom_objects={"CustomLayer": CustomLayer})
    m3.load_weights(os.path.join(d, "w.weights.h5"))
    return [float(np.abs(m2.predict(x, verbose=0) - m.predict(x, verbose=0)).max()),
            float(np.abs(m3.predict(x, verbose=0) - m.predict(x, verbose=0)).max()),
            sorted(os.listdir(d))]


@program()
def transfer_learning_guide_trainable(keras):
    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    r = [len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)]
    bn = keras.layers.BatchNormalization(); bn.build((None, 4))
    r += [len(bn.weights), len(bn.trainable_weights), len(bn.non_trainable_weights)]
    layer.trainable = False
    r += [len(layer.weights), len(layer.trainable_weights), len(layer.non_trainable_weights)]
    inner_model = keras.Sequential([keras.Input(shape=(3,)),
                                    keras.layers.Dense(3, activation="relu"),
                                    keras.layers.Dense(3, activation="relu")])
    model = keras.Sequential([keras.Input(shape=(3,)), inner_model,
                              keras.layers.Dense(3, activation="sigmoid")])
    model.trainable = False
    r += [inner_model.trainable, inner_model.layers[0].trainable, len(model.trainable_weights)]
    return r


@program()
def rnn_guide_states(keras):
    layers = keras.layers
    encoder_vocab, decoder_vocab = 1000, 2000
    encoder_input = layers.Input(shape=(None,))
    encoder_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=64)(encoder_input)
    output, state_h, state_c = layers.LSTM(64, return_state=True, name="encoder")(encoder_embedded)
    encoder_state = [state_h, state_c]
    decoder_input = layers.Input(shape=(None,))
    decoder_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=64)(decoder_input)
    decoder_output = layers.LSTM(64, name="decoder")(decoder_embedded, initial_state=encoder_state)
    output = layers.Dense(10)(decoder_output)
    model = keras.Model([encoder_input, decoder_input], output)
    lstm_layer = layers.LSTM(64, stateful=True)
    paragraph1 = np.random.RandomState(6).random((20, 10, 50)).astype(np.float32)
    lstm_layer(paragraph1)
    existing_state = lstm_layer.states
    new_lstm_layer = layers.LSTM(64)
    new_output = new_lstm_layer(paragraph1, initial_state=existing_state)
    bi = keras.Sequential([keras.Input(shape=(5, 10)),
                           layers.Bidirectional(layers.LSTM(64, return_sequences=True)),
                           layers.Bidirectional(layers.LSTM(32)), layers.Dense(10)])
    return [model.count_params(), [list(s.shape) for s in existing_state], list(new_output.shape),
            bi.count_params(), [list(w.shape) for w in bi.layers[0].weights][:3]]


@program(needs_tensorflow=True)
def text_vectorization(keras):
    layers = keras.layers
    data = ["The Brown rabbit", "the quick brown fox.", "The fox jumped over the lazy dog!",
            "rabbit rabbit"]
    tv = layers.TextVectorization(max_tokens=8, output_mode="int", output_sequence_length=5)
    tv.adapt(data)
    tv2 = layers.TextVectorization(output_mode="tf_idf", ngrams=2, max_tokens=12)
    tv2.adapt(data)
    tv3 = layers.TextVectorization(output_mode="multi_hot", split="character", max_tokens=10)
    tv3.adapt(data)
    return [tv.get_vocabulary(), tolist(keras, tv(["the lazy rabbit and the fox", "unknown"])),
            tv2.get_vocabulary(),
            np.round(np.asarray(tolist(keras, tv2(["the brown fox"]))), 4).tolist(),
            tv3.get_vocabulary(), tolist(keras, tv3(["fox"]))]


@program(needs_tensorflow=True)
def lookups(keras):
    layers = keras.layers
    sl = layers.StringLookup(num_oov_indices=2, mask_token="")
    sl.adapt(["a", "b", "b", "c", "c", "c"])
    inv = layers.StringLookup(vocabulary=sl.get_vocabulary(), invert=True, num_oov_indices=2,
                              mask_token="")
    il = layers.IntegerLookup(output_mode="one_hot")
    il.adapt(np.array([10, 20, 20, 30, 30, 30]))
    ids = sl(np.array([["a", "c", "z", ""]]))
    return [sl.get_vocabulary(), tolist(keras, ids),
            [str(s.decode() if isinstance(s, bytes) else s) for s in np.asarray(inv(ids)).ravel()],
            [int(v) for v in il.get_vocabulary()], tolist(keras, il(np.array([30, 99])))]


@program(needs_tensorflow=True)
def normalization_discretization(keras):
    layers = keras.layers
    x = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 60.0], [4.0, 10.0]], "float32")
    n = layers.Normalization(axis=-1); n.adapt(x)
    inv = layers.Normalization(axis=-1, invert=True); inv.adapt(x)
    d = layers.Discretization(num_bins=3, epsilon=0.01); d.adapt(x[:, 1])
    d2 = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode="one_hot")
    ce = layers.CategoryEncoding(num_tokens=4, output_mode="count")
    h = layers.Hashing(num_bins=5, salt=7)
    return [np.round(tolist(keras, n(x)), 5).tolist(), np.round(tolist(keras, n.mean), 5).tolist(),
            np.round(tolist(keras, n.variance), 5).tolist(),
            np.round(tolist(keras, inv(np.zeros((1, 2), "float32"))), 4).tolist(), d.bin_boundaries,
            tolist(keras, d(x[:, 1])), tolist(keras, d2(np.array([-1.0, 0.5, 1.5, 5.0]))),
            tolist(keras, ce(np.array([[0, 1, 1, 3], [2, 2, 2, 0]]))),
            tolist(keras, h(np.array([["a"], ["b"], ["hello"]])))]


@program()
def image_preprocessing_sequential(keras):
    layers = keras.layers
    img = np.arange(2 * 10 * 12 * 3, dtype="float32").reshape(2, 10, 12, 3)
    m = keras.Sequential([layers.Rescaling(1.0 / 255, offset=-0.5), layers.CenterCrop(8, 8),
                          layers.Resizing(4, 6, interpolation="bilinear")])
    y = m(img)
    m2 = keras.Sequential([
        layers.Resizing(5, 5, crop_to_aspect_ratio=True, interpolation="nearest")])
    return [list(y.shape), np.round(tolist(keras, y)[0][1][2], 5).tolist(),
            np.round(tolist(keras, m2(img))[1][0][:2], 3).tolist()]


@program()
def utils_functions(keras):
    return [keras.utils.to_categorical([0, 2, 1], num_classes=4).tolist(),
            np.round(keras.utils.normalize(np.array([[3.0, 4.0], [1.0, 0.0]]),
                                           order=2), 4).tolist(),
            keras.utils.pad_sequences([[1, 2, 3], [4], [5, 6, 7, 8, 9]], maxlen=4,
                                      truncating="pre", padding="pre", value=-1).tolist(),
            keras.utils.pad_sequences([[1, 2, 3], [4]], padding="post", dtype="float32").dtype.name]


@program(needs_tensorflow=True)
def timeseries_dataset(keras):
    data = np.arange(20)
    ds = keras.utils.timeseries_dataset_from_array(data, targets=data[3:], sequence_length=3,
                                                   sequence_stride=2, sampling_rate=1,
                                                   batch_size=3)
    out = []
    for x, y in ds:
        out.append([np.asarray(x).tolist(), np.asarray(y).tolist()])
    return out


@program(needs_tensorflow=True)
def preprocessing_in_saved_model(keras):
    layers = keras.layers
    import tempfile
    vocab = ["cat", "dog", "bird"]
    inp = keras.Input(shape=(1,), dtype="string")
    ids = layers.StringLookup(vocabulary=vocab)(inp)
    onehot = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")(ids)
    norm = layers.Normalization(mean=[0.5] * 4, variance=[0.25] * 4)(onehot)
    m = keras.Model(inp, norm)
    d = tempfile.mkdtemp(); p = os.path.join(d, "p.keras")
    x = np.array([["dog"], ["fish"], ["cat"]])
    before = tolist(keras, m(x))
    m.save(p)
    m2 = keras.saving.load_model(p)
    return [before, tolist(keras, m2(x))]


@program()
def layer_get_config_keys(keras):
    layers = keras.layers
    out = {}
    for l in [layers.Dense(3), layers.Conv2D(2, 3), layers.LSTM(4), layers.Embedding(5, 2),
              layers.BatchNormalization(), layers.LayerNormalization(), layers.Dropout(0.2),
              layers.MultiHeadAttention(2, 4)]:
        out[type(l).__name__] = sorted(l.get_config())
    return out


@program()
def mask_through_dense_pool(keras):
    layers = keras.layers
    m = masked_model(
        keras, lambda e: layers.GlobalAveragePooling1D()(layers.Dense(3, activation="tanh")(e)))
    return rounded(keras, m(TOK))


@program()
def mask_through_timedistributed_lstm(keras):
    layers = keras.layers
    m = masked_model(keras, lambda e: layers.LSTM(3)(layers.TimeDistributed(layers.Dense(4))(e)))
    return rounded(keras, m(TOK))


@program()
def mask_concat_add(keras):
    layers = keras.layers
    def body(e):
        a = layers.Dense(4)(e)
        s = layers.Add()([a, e])
        c = layers.Concatenate()([s, e])
        return layers.GRU(2, return_sequences=True)(c)
    m = masked_model(keras, body)
    return rounded(keras, m(TOK))


@program()
def bidirectional_modes_masked(keras):
    layers = keras.layers
    res = {}
    for mode in ("concat", "sum", "mul", "ave", None):
        m = masked_model(keras, lambda e: layers.Bidirectional(
            layers.LSTM(2, return_sequences=True), merge_mode=mode)(e))
        res[str(mode)] = rounded(keras, m(TOK), 4)
    return res


@program()
def go_backwards_and_state_masked(keras):
    layers = keras.layers
    m = masked_model(keras, lambda e: layers.LSTM(2, go_backwards=True, return_sequences=True,
                                                  return_state=True)(e))
    m2 = masked_model(keras, lambda e: layers.GRU(2, reset_after=False, return_sequences=True)(e))
    m3 = masked_model(keras, lambda e: layers.SimpleRNN(2, return_sequences=True)(e))
    return [rounded(keras, m(TOK), 4), rounded(keras, m2(TOK), 4), rounded(keras, m3(LEFT), 4),
            rounded(keras, m(LEFT), 4)]


@program()
def attention_layers_masked(keras):
    layers = keras.layers
    def body(e):
        a = layers.Attention(use_scale=True, score_mode="dot")([e, e])
        b = layers.AdditiveAttention()([e, e])
        return layers.Concatenate()([a, b])
    m = masked_model(keras, body)
    return rounded(keras, m(TOK), 4)


@program()
def mha_masks(keras):
    layers = keras.layers
    def body(e):
        return layers.MultiHeadAttention(2, 3)(e, e, use_causal_mask=True)
    m = masked_model(keras, body)
    inp = keras.Input((4, 3)); mask_in = keras.Input((4, 4))
    mha = layers.MultiHeadAttention(2, 2, value_dim=3, output_shape=5)
    o, s = mha(inp, inp, attention_mask=mask_in, return_attention_scores=True)
    m2 = keras.Model([inp, mask_in], [o, s]); det_weights(m2)
    x = np.sin(np.arange(2 * 4 * 3)).reshape(2, 4, 3).astype("float32")
    am = np.tril(np.ones((2, 4, 4), "float32")); am[1, :, 3] = 0
    return [rounded(keras, m(TOK), 4), rounded(keras, m2([x, am]), 4)]


@program()
def conv_family_values(keras):
    layers, ops = keras.layers, keras.ops
    inp = keras.Input((9, 9, 2))
    a = layers.Conv2D(3, 3, strides=2, padding="same", dilation_rate=1)(inp)
    b = layers.Conv2D(2, 3, padding="valid", dilation_rate=2)(inp)
    c = layers.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1)(a)
    d = layers.SeparableConv2D(2, 2, depth_multiplier=2, padding="same")(inp)
    e = layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2)(inp)
    f = layers.AveragePooling2D(3, strides=2, padding="same")(inp)
    g = layers.MaxPooling2D(2, padding="same")(inp)
    h = layers.UpSampling2D(2, interpolation="bilinear")(a)
    bn = layers.BatchNormalization()(b)
    m = keras.Model(inp, [a, b, c, d, e, f, g, h, bn]); det_weights(m)
    x = np.cos(np.arange(2 * 9 * 9 * 2) * 0.3).reshape(2, 9, 9, 2).astype("float32")
    ys = m(x)
    return [[list(y.shape) for y in ys],
            [round(float(np.asarray(ops.convert_to_numpy(y)).sum()), 3) for y in ys]]


@program()
def conv1d_causal_dilated(keras):
    layers = keras.layers
    inp = keras.Input((7, 2))
    a = layers.Conv1D(2, 3, padding="causal", dilation_rate=2)(inp)
    b = layers.Conv1D(2, 2, strides=2, padding="same")(inp)
    c = layers.Conv1DTranspose(2, 3, strides=2, padding="same")(inp)
    d = layers.SeparableConv1D(3, 3, padding="same")(inp)
    e = layers.Cropping1D((1, 2))(inp)
    f = layers.ZeroPadding1D(2)(inp)
    m = keras.Model(inp, [a, b, c, d, e, f]); det_weights(m)
    x = np.cos(np.arange(14) * 0.3).reshape(1, 7, 2).astype("float32")
    return rounded(keras, m(x), 4)


@program()
def normalization_layers_training_values(keras):
    layers = keras.layers
    inp = keras.Input((4, 3))
    a = layers.LayerNormalization(axis=[1, 2])(inp)
    b = layers.GroupNormalization(groups=3, axis=-1)(inp)
    c = layers.UnitNormalization(axis=-1)(inp)
    d = layers.BatchNormalization(axis=1, momentum=0.5)(inp)
    m = keras.Model(inp, [a, b, c, d]); det_weights(m, 0.5)
    w = m.get_weights()
    x = np.cos(np.arange(24) * 0.5).reshape(2, 4, 3).astype("float32")
    y_train = m(x, training=True)
    return [rounded(keras, y_train, 4), rounded(keras, m.get_weights()[-2:], 4)]


@program()
def optimizers_in_fit(keras):
    res = {}
    for opt in [lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
                lambda: keras.optimizers.RMSprop(0.01, centered=True, momentum=0.5),
                lambda: keras.optimizers.Adagrad(0.1), lambda: keras.optimizers.Adadelta(1.0),
                lambda: keras.optimizers.Adamax(0.01), lambda: keras.optimizers.Nadam(0.01),
                lambda: keras.optimizers.AdamW(0.01, weight_decay=0.1),
                lambda: keras.optimizers.Lion(0.001),
                lambda: keras.optimizers.Ftrl(0.1, l1_regularization_strength=0.01),
                lambda: keras.optimizers.Adam(0.01, amsgrad=True, clipnorm=0.5),
                lambda: keras.optimizers.SGD(0.05, global_clipnorm=0.1),
                lambda: keras.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9)]:
        o = opt(); m = mlp(keras, 3, "softmax")
        m.compile(o, "sparse_categorical_crossentropy", metrics=["accuracy"])
        res[type(o).__name__ + str(len(res))] = history(
            m.fit(X, Y3, batch_size=16, epochs=3, shuffle=False, verbose=0))
    return res


@program()
def losses_in_fit(keras):
    res = {}
    cases = [("huber", YR, 1, None), (keras.losses.Huber(delta=0.3), YR, 1, None),
             ("log_cosh", YR, 1, None), ("mape", YR, 1, None), ("msle", YR, 1, "relu"),
             ("poisson", YR, 1, "softplus"),
             (keras.losses.CosineSimilarity(axis=-1), np.eye(3)[Y3].astype("float32"), 3, None),
             (keras.losses.CategoricalCrossentropy(label_smoothing=0.2),
              np.eye(3)[Y3].astype("float32"), 3, "softmax"),
             (keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=1),
              Y3, 3, None),
             (keras.losses.BinaryCrossentropy(label_smoothing=0.1), YB, 1, "sigmoid"),
             (keras.losses.BinaryFocalCrossentropy(gamma=2.0, apply_class_balancing=True),
              YB, 1, "sigmoid"),
             ("hinge", YB * 2 - 1, 1, None), ("squared_hinge", YB, 1, "tanh"),
             ("kl_divergence", np.eye(3)[Y3].astype("float32") * 0.8 + 0.0666, 3, "softmax"),
             (keras.losses.CategoricalFocalCrossentropy(),
              np.eye(3)[Y3].astype("float32"), 3, "softmax"),
             (keras.losses.Tversky(), YB, 1, "sigmoid"), (keras.losses.Dice(), YB, 1, "sigmoid")]
    for i, (loss, y, units, act) in enumerate(cases):
        m = mlp(keras, units, act); m.compile(keras.optimizers.SGD(0.05), loss)
        res[f"{i}_{loss if isinstance(loss, str) else type(loss).__name__}"] = history(
            m.fit(X, y, batch_size=16, epochs=2, shuffle=False, verbose=0))
    return res


@program()
def metrics_in_fit(keras):
    m = mlp(keras, 1, "sigmoid")
    m.compile(keras.optimizers.SGD(0.1), "binary_crossentropy",
              metrics=[keras.metrics.AUC(name="auc"), keras.metrics.AUC(curve="PR", name="pr"),
                       keras.metrics.Precision(thresholds=[0.3, 0.6], name="prec"),
                       keras.metrics.Recall(name="rec"),
                       keras.metrics.BinaryAccuracy(threshold=0.4, name="bacc"),
                       keras.metrics.F1Score(threshold=0.5, name="f1"),
                       keras.metrics.TruePositives(name="tp"),
                       keras.metrics.SensitivityAtSpecificity(0.5, name="sas"),
                       keras.metrics.BinaryIoU(target_class_ids=[1], name="biou")])
    h = history(m.fit(X, YB, batch_size=16, epochs=2, shuffle=False, verbose=0,
                      validation_split=0.25))
    ev = m.evaluate(X, YB, verbose=0, return_dict=True)
    m3 = mlp(keras, 3, "softmax")
    m3.compile("sgd", "sparse_categorical_crossentropy",
               metrics=[keras.metrics.SparseTopKCategoricalAccuracy(k=2),
                        keras.metrics.MeanIoU(num_classes=3, sparse_y_pred=False),
                        "sparse_categorical_crossentropy"])
    h3 = history(m3.fit(X, Y3, batch_size=16, epochs=2, shuffle=False, verbose=0))
    return [h, {k: np.round(np.asarray(v, "float64"), 5).tolist() for k, v in sorted(ev.items())},
            h3]


@program()
def callbacks_guide_numbers(keras):
    class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
        def __init__(self, patience=0):
            super().__init__(); self.patience = patience; self.best_weights = None
        def on_train_begin(self, logs=None):
            self.wait = 0; self.stopped_epoch = 0; self.best = np.inf
        def on_epoch_end(self, epoch, logs=None):
            current = logs.get("loss")
            if np.less(current, self.best):
                self.best = current; self.wait = 0; self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if self.wait >= self.patience:
                    self.stopped_epoch = epoch; self.model.stop_training = True
                    self.model.set_weights(self.best_weights)
    class CustomLearningRateScheduler(keras.callbacks.Callback):
        def __init__(self, schedule):
            super().__init__(); self.schedule = schedule
        def on_epoch_begin(self, epoch, logs=None):
            lr = self.model.optimizer.learning_rate
            scheduled_lr = self.schedule(epoch, lr)
            self.model.optimizer.learning_rate = scheduled_lr
    def lr_schedule(epoch, lr):
        return float(lr) * 3.0 if epoch == 2 else lr
    m = mlp(keras, 1, None)
    m.compile(keras.optimizers.SGD(0.3), "mse", metrics=["mae"])
    cb = EarlyStoppingAtMinLoss(patience=1)
    h = m.fit(X, YR, batch_size=16, epochs=12, shuffle=False, verbose=0,
              callbacks=[cb, CustomLearningRateScheduler(lr_schedule),
                         keras.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=0,
                                                           min_delta=0.05)])
    return [history(h), cb.stopped_epoch, round(float(m.optimizer.learning_rate), 6),
            np.round(m.get_weights()[-1].astype("float64"), 5).tolist()]


@program()
def class_and_sample_weights(keras):
    m = mlp(keras, 3, "softmax")
    m.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"],
              weighted_metrics=["accuracy"])
    h = history(m.fit(X, Y3, batch_size=16, epochs=2, shuffle=False, verbose=0,
                      class_weight={0: 0.5, 1: 2.0, 2: 1.0}))
    m2 = mlp(keras, 3, "softmax")
    m2.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"],
               weighted_metrics=["accuracy"])
    h2 = history(m2.fit(X, Y3, sample_weight=np.linspace(0, 2, 60), batch_size=16, epochs=2,
                        shuffle=False, verbose=0,
                        validation_data=(X[:10], Y3[:10], np.linspace(1, 0, 10))))
    return [h, h2]
