"""Bad inputs a new user types, by family, for lamina and for Keras 3 alike.

Each case is (family, code, exception types, words): `code` runs with `keras` and `np` bound
(lamina through `lamina.testing.keras_alias`, or Keras itself) and must raise one of the
exception types with a message containing every word in `words` (the argument or layer it is
about, so the user knows what to fix). `conformance/bad_inputs.py` scores both libraries on the
same table; tests/bad_inputs/test_bad_inputs.py holds lamina to all of it.
"""

VE, TE = ("ValueError",), ("TypeError",)
VT = ("ValueError", "TypeError")

# Run before each case, with `keras` and `np` bound: small data and models the cases use.
PRELUDE = """
x = np.random.default_rng(0).random((8, 4)).astype("float32")
y = (x.sum(axis=1, keepdims=True) > 2).astype("float32")

def model(compiled=True):
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    if compiled:
        m.compile(optimizer="sgd", loss="binary_crossentropy")
    return m
"""

CASES = [
    # ---- constructor hyperparameters: sizes ------------------------------------------------
    ("constructors", "keras.layers.Dense(0)", VT, ["units"]),
    ("constructors", "keras.layers.Dense(-3)", VT, ["units"]),
    ("constructors", "keras.layers.Dense('a')", VT, ["units"]),
    ("constructors", "keras.layers.Dense(2.5)", VT, ["units"]),
    ("constructors", "keras.layers.LSTM(0)", VT, ["units"]),
    ("constructors", "keras.layers.GRU(-2)", VT, ["units"]),
    ("constructors", "keras.layers.SimpleRNN(-1)", VT, ["units"]),
    ("constructors", "keras.layers.Conv2D(0, 3)", VT, ["filters"]),
    ("constructors", "keras.layers.Conv1D(-4, 3)", VT, ["filters"]),
    ("constructors", "keras.layers.Conv2D(8, 0)", VT, ["kernel_size"]),
    ("constructors", "keras.layers.Conv2D(8, (3, -1))", VT, ["kernel_size"]),
    ("constructors", "keras.layers.Conv2D(8, 3, strides=0)", VT, ["strides"]),
    ("constructors", "keras.layers.Conv2D(8, 3, padding='foo')", VT, ["padding"]),
    ("constructors", "keras.layers.Conv2D(8, 3, dilation_rate=0)", VT, ["dilation_rate"]),
    ("constructors", "keras.layers.MaxPooling2D(0)", VT, ["pool_size"]),
    ("constructors", "keras.layers.AveragePooling1D(pool_size=-2)", VT, ["pool_size"]),
    ("constructors", "keras.layers.MaxPooling2D(2, padding='full')", VT, ["padding"]),
    ("constructors", "keras.layers.Embedding(0, 3)", VT, ["input_dim"]),
    ("constructors", "keras.layers.Embedding(10, 0)", VT, ["output_dim"]),
    ("constructors", "keras.layers.MultiHeadAttention(0, 4)", VT, ["num_heads"]),
    ("constructors", "keras.layers.MultiHeadAttention(2, 0)", VT, ["key_dim"]),
    ("constructors", "keras.layers.RepeatVector(0)", VT, ["n"]),
    ("constructors", "keras.layers.UpSampling2D(0)", VT, ["size"]),
    ("constructors", "keras.layers.ZeroPadding2D(-1)", VT, ["padding"]),
    ("constructors", "keras.layers.Cropping1D(-1)", VT, ["cropping"]),
    ("constructors", "keras.layers.Reshape('a')", VT, ["target_shape"]),
    ("constructors", "keras.layers.Reshape((2, -1, -1))", VT, ["-1"]),
    ("constructors", "keras.layers.TextVectorization(max_tokens=0)", VT, ["max_tokens"]),
    # ---- rates ------------------------------------------------------------------------------
    ("constructors", "keras.layers.Dropout(1.5)", VT, ["rate"]),
    ("constructors", "keras.layers.Dropout(-0.1)", VT, ["rate"]),
    ("constructors", "keras.layers.Dropout('x')", VT, ["rate"]),
    ("constructors", "keras.layers.SpatialDropout1D(2.0)", VT, ["rate"]),
    ("constructors", "keras.layers.AlphaDropout(2.0)", VT, ["rate"]),
    ("constructors", "keras.layers.GaussianNoise(-1.0)", VT, ["stddev"]),
    ("constructors", "keras.layers.LSTM(8, dropout=1.5)", VT, ["dropout"]),
    ("constructors", "keras.layers.LSTM(8, recurrent_dropout=-1)", VT, ["recurrent_dropout"]),
    ("constructors", "keras.layers.GRU(8, dropout=2)", VT, ["dropout"]),
    ("constructors", "keras.layers.SimpleRNN(8, recurrent_dropout=3.0)", VT, ["recurrent_dropout"]),
    ("constructors", "keras.layers.MultiHeadAttention(2, 4, dropout=1.5)", VT, ["dropout"]),
    ("constructors", "keras.layers.BatchNormalization(momentum=2.0)", VT, ["momentum"]),
    ("constructors", "keras.layers.BatchNormalization(epsilon=-1.0)", VT, ["epsilon"]),
    ("constructors", "keras.layers.LayerNormalization(epsilon=-1.0)", VT, ["epsilon"]),
    # ---- names of things ----------------------------------------------------------------------
    ("constructors", "keras.layers.Activation('nope')", VT, ["nope"]),
    ("constructors", "keras.layers.Dense(3, activation='nope')", VT, ["nope"]),
    ("constructors", "keras.layers.Dense(3, kernel_initializer='nope')", VT, ["nope"]),
    ("constructors", "keras.layers.Dense(3, kernel_regularizer='nope')", VT, ["nope"]),
    ("constructors", "keras.layers.Dense(3, kernel_constraint='nope')", VT, ["nope"]),
    ("constructors", "keras.layers.Dense(3, unit=4)", VT, ["unit"]),
    ("constructors", "keras.layers.Flatten(data_format='x')", VT, ["data_format"]),
    ("constructors", "keras.layers.RandomFlip('sideways')", VT, ["sideways"]),
    ("constructors", "keras.layers.Softmax(axis='a')", VT, ["axis"]),
    ("constructors", "keras.layers.Concatenate(axis='a')", VT, ["axis"]),
    ("constructors", "keras.layers.Bidirectional(keras.layers.Dense(3))", VT, ["Bidirectional"]),
    ("constructors", "keras.layers.TimeDistributed('x')", VT, ["TimeDistributed"]),
    ("constructors", "keras.optimizers.get('adamm')", VT, ["adamm"]),
    ("constructors", "keras.losses.get('msee')", VT, ["msee"]),
    ("constructors", "keras.metrics.get('acuracy')", VT, ["acuracy"]),
    ("constructors", "keras.activations.get('rellu')", VT, ["rellu"]),
    ("constructors", "keras.initializers.get('glorot')", VT, ["glorot"]),
    ("constructors", "keras.optimizers.Adam(learning_rate=-1.0)", VT, ["learning_rate"]),
    ("constructors", "keras.optimizers.SGD(momentum=-0.5)", VT, ["momentum"]),
    ("constructors", "keras.optimizers.Adam(beta_1=1.5)", VT, ["beta_1"]),
    ("constructors", "keras.optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)", VT,
     ["clipnorm"]),
    ("constructors", "keras.callbacks.EarlyStopping(mode='bigger')", VT, ["mode"]),
    ("constructors", "keras.callbacks.EarlyStopping(patience=-1)", VT, ["patience"]),
    ("constructors", "keras.callbacks.ReduceLROnPlateau(factor=1.5)", VT, ["factor"]),
    ("constructors", "keras.callbacks.ModelCheckpoint('m.keras', save_freq='sometimes')", VT,
     ["save_freq"]),
    ("constructors", "keras.losses.BinaryCrossentropy(label_smoothing=2.0)", VT,
     ["label_smoothing"]),
    ("constructors", "keras.losses.Huber(delta=-1.0)", VT, ["delta"]),
    ("constructors", "keras.losses.MeanSquaredError(reduction='average')", VT, ["reduction"]),
    ("constructors", "keras.metrics.TopKCategoricalAccuracy(k=0)", VT, ["k"]),
    ("constructors", "keras.metrics.AUC(num_thresholds=1)", VT, ["num_thresholds"]),
    ("constructors", "keras.regularizers.L2(-0.1)", VT, ["l2"]),
    ("constructors", "keras.initializers.RandomUniform(minval=2.0, maxval=1.0)", VT,
     ["minval"]),
    ("constructors", "keras.initializers.VarianceScaling(scale=-1.0)", VT, ["scale"]),
    ("constructors", "keras.initializers.VarianceScaling(mode='fan_sum')", VT, ["mode"]),
    ("constructors", "keras.Input(shape=(None, -3))", VT, ["shape"]),
    ("constructors", "keras.Input(shape='a')", VT, ["shape"]),
    # ---- arguments of fit / evaluate / predict -------------------------------------------------
    ("fit", "model().fit(x, y, batch_size=0, verbose=0)", VT, ["batch_size"]),
    ("fit", "model().fit(x, y, batch_size=-1, verbose=0)", VT, ["batch_size"]),
    ("fit", "model().fit(x, y, batch_size=2.0, verbose=0)", VT, ["batch_size"]),
    ("fit", "model().fit(x, y, epochs='5', verbose=0)", VT, ["epochs"]),
    ("fit", "model().fit(x, y, epochs=2.5, verbose=0)", VT, ["epochs"]),
    ("fit", "model().fit(x, y, epochs=-1, verbose=0)", VT, ["epochs"]),
    ("fit", "model().fit(x, y, verbose=5)", VT, ["verbose"]),
    ("fit", "model().fit(x, y, verbose=0, shuffle='yes')", VT, ["shuffle"]),
    ("fit", "model().fit(x, y, verbose=0, initial_epoch=-1)", VT, ["initial_epoch"]),
    ("fit", "model().fit(x, y, verbose=0, epochs=2, initial_epoch=5)", VT, ["initial_epoch"]),
    ("fit", "model().fit(x, y, verbose=0, steps_per_epoch=0)", VT, ["steps_per_epoch"]),
    ("fit", "model().fit(x, y, verbose=0, validation_split=1.5)", VT, ["validation_split"]),
    ("fit", "model().fit(x, y, verbose=0, validation_split=0.5, validation_freq=0)", VT,
     ["validation_freq"]),
    ("fit", "model().fit(x, y, verbose=0, validation_split=0.5, validation_steps=0)", VT,
     ["validation_steps"]),
    ("fit", "model().fit(x, y, verbose=0, validation_split=0.5, validation_batch_size=0)", VT,
     ["validation_batch_size"]),
    ("fit", "model().fit(x, y, verbose=0, class_weight=[1, 2])", VT, ["class_weight"]),
    ("fit", "model().fit(x, y, verbose=0, bach_size=4)", VT, ["bach_size", "batch_size"]),
    ("fit", "model(compiled=False).fit(x, y, verbose=0)", VE, ["compile"]),
    ("fit", "model().fit(x, y[:5], verbose=0)", VT, ["8", "5"]),
    ("fit", "model().fit(x[:, :3], y, verbose=0)", VT, ["4", "3"]),
    ("fit", "model().evaluate(x, y, batch_size=0, verbose=0)", VT, ["batch_size"]),
    ("fit", "model().evaluate(x, y, verbose='x')", VT, ["verbose"]),
    ("fit", "model().evaluate(x, y, verbose=0, steps=0)", VT, ["steps"]),
    ("fit", "model().evaluate(x, y, verbose=0, return_dict='yes')", VT, ["return_dict"]),
    ("fit", "model().evaluate(x, y, bach_size=4, verbose=0)", VT, ["bach_size", "batch_size"]),
    ("fit", "model(compiled=False).evaluate(x, y, verbose=0)", VE, ["compile"]),
    ("fit", "model().predict(x, batch_size=0, verbose=0)", VT, ["batch_size"]),
    ("fit", "model().predict(x, verbose=0, steps=0)", VT, ["steps"]),
    ("fit", "model().predict(x, verbose=7)", VT, ["verbose"]),
    ("fit", "model().predict(x, bach_size=4, verbose=0)", VT, ["bach_size", "batch_size"]),
]

# ---- files: configs that name dangerous functions (run by test_bad_inputs.py too) ------------
UNSAFE_CONFIGS = [
    {"module": "os", "class_name": "system", "config": {}},
    {"module": "subprocess", "class_name": "Popen", "config": {"args": "ls"}},
    {"module": "builtins", "class_name": "function", "config": "eval"},
    {"module": "builtins", "class_name": "function", "config": "__import__"},
    {"module": "os.path", "class_name": "function", "config": "join"},
]
