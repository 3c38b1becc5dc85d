"""Small differences that keras.io-style programs found between Keras 3.15.1 (torch backend)
and lamina, each checked against what Keras printed for the same lines (quoted below)."""

import warnings

import numpy as np
import pytest

import lamina as keras


def test_registered_custom_objects_serialize_with_keras_registered_name():
    # Keras: {'module': None, 'class_name': 'MyReg', 'config': {'s': 0.5},
    #         'registered_name': 'mine>MyReg'}; initializers registered without a package get
    #         'Custom>MyInit'. (lamina wrote module 'keras.regularizers', registered_name None,
    #         which Keras cannot resolve.)
    @keras.saving.register_keras_serializable(package="mine")
    class MyReg(keras.regularizers.Regularizer):
        def __init__(self, s):
            self.s = s

        def __call__(self, x):
            return self.s * keras.ops.sum(x)

        def get_config(self):
            return {"s": self.s}

    @keras.saving.register_keras_serializable()
    class MyInit(keras.initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return keras.ops.zeros(shape)

        def get_config(self):
            return {}

    try:
        expected = {"module": None, "class_name": "MyReg", "config": {"s": 0.5},
                    "registered_name": "mine>MyReg"}
        assert keras.regularizers.serialize(MyReg(0.5)) == expected
        dense = keras.layers.Dense(2, kernel_regularizer=MyReg(0.5))
        assert dense.get_config()["kernel_regularizer"] == expected
        assert keras.initializers.serialize(MyInit())["registered_name"] == "Custom>MyInit"
        again = keras.regularizers.deserialize(expected)
        assert type(again) is MyReg and again.s == 0.5
        # lamina's own classes keep Keras's module and no registered name
        assert keras.regularizers.serialize(keras.regularizers.L2(0.1))["module"] == \
            "keras.regularizers"
    finally:
        keras.saving.get_custom_objects().pop("mine>MyReg", None)
        keras.saving.get_custom_objects().pop("Custom>MyInit", None)


def test_predict_on_batch_goes_through_an_overridden_predict_step():
    # Keras: predict -> [[7.0]], predict_on_batch -> [[7.0]]
    class Sevens(keras.Model):
        def predict_step(self, data):
            return self(data) * 0 + 7

    inputs = keras.Input((2,))
    model = Sevens(inputs, keras.layers.Dense(1)(inputs))
    assert model.predict(np.ones((1, 2)), verbose=0).tolist() == [[7.0]]
    assert model.predict_on_batch(np.ones((1, 2))).tolist() == [[7.0]]


def test_a_one_input_model_given_a_list_of_one_array_uses_the_array():
    # Keras warns ("The structure of `inputs` doesn't match") and gives (1, 1) and (3, 1);
    # lamina made a tensor of the list: (1, 1, 1) and (1, 3, 1).
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    with pytest.warns(UserWarning, match="has one input but was given a list"):
        assert tuple(model([np.ones((1, 2), "float32")]).shape) == (1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per model
        assert model.predict([np.ones((3, 2))], verbose=0).shape == (3, 1)
    stack = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.warns(UserWarning, match="has one input"):
        assert tuple(stack((np.ones((1, 2), "float32"),)).shape) == (1, 1)


def test_regularizers_take_numpy_arrays():
    # Keras: L1L2(0.1, 0.2)(ones((2, 2))) -> 1.2
    ones = np.ones((2, 2), "float32")
    assert float(keras.regularizers.L1L2(0.1, 0.2)(ones)) == pytest.approx(1.2)
    assert float(keras.regularizers.L1(0.1)(ones)) == pytest.approx(0.4)
    assert float(keras.regularizers.L2(0.2)(ones.tolist())) == pytest.approx(0.8)
    assert float(keras.regularizers.OrthogonalRegularizer(1.0)(np.eye(2, dtype="float32"))) == 0


def test_evaluate_lists_per_output_metrics_in_keras_order():
    # Keras: [9.0, 9.0, 0.0, 0.0, 3.0] = loss, b_out_loss, a_out_loss, then a_out_mse,
    # b_out_mae sorted; History keys sorted: ['accuracy', 'loss', 'val_accuracy', 'val_loss'].
    inputs = keras.Input((3,))
    b_out = keras.layers.Dense(1, kernel_initializer="ones", name="b_out")(inputs)
    a_out = keras.layers.Dense(1, kernel_initializer="zeros", name="a_out")(inputs)
    model = keras.Model(inputs, [b_out, a_out])
    model.compile(loss=["mse", "mse"], metrics=[["mae"], ["mse"]])
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    assert model.evaluate(x, [y, y], verbose=0) == pytest.approx([9.0, 9.0, 0.0, 0.0, 3.0])
    one = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    one.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    ones = np.ones((8, 2), "float32")
    history = one.fit(ones, ones[:, :1], verbose=0, validation_data=(ones, ones[:, :1]))
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_python_ints_beyond_int32_keep_int64_instead_of_overflowing():
    # Keras: convert_to_tensor(2**40) -> int64 1099511627776. lamina overflowed: a scalar
    # raised and a list silently became int32 [0, 1].
    assert int(keras.ops.convert_to_tensor(2**40)) == 2**40
    assert keras.ops.convert_to_numpy(keras.ops.convert_to_tensor([2**40, 1])).tolist() == [
        2**40, 1]
    assert keras.backend.standardize_dtype(keras.ops.convert_to_tensor([1, 2]).dtype) == "int32"


def test_category_encoding_refuses_ids_out_of_range():
    # Keras raises; lamina encoded an id >= num_tokens as a row of zeros.
    layer = keras.layers.CategoryEncoding(num_tokens=3, output_mode="one_hot")
    with pytest.raises(ValueError, match="0 <= values < num_tokens with num_tokens=3"):
        layer(np.array([5]))
    with pytest.raises(ValueError, match="from -1 to 0"):
        layer(np.array([-1, 0]))
    np.testing.assert_array_equal(layer(np.array([2, 0])), [[0, 0, 1], [1, 0, 0]])


def test_cloning_a_sequential_onto_a_new_input_keeps_a_sequential():
    # Keras: clone_model(seq, input_tensors=Input((3,), name="new_in")) -> Sequential ['d1']
    seq = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d1")], name="seqm")
    clone = keras.models.clone_model(seq, input_tensors=keras.Input((3,), name="new_in"))
    assert type(clone) is keras.Sequential and [layer.name for layer in clone.layers] == ["d1"]
    assert clone.name == "seqm" and clone.input_shape == (None, 3)
    assert clone.layers[0] is not seq.layers[0]


def test_keras_1_2_deprecation_warnings_point_at_the_users_line():
    # Python shows a DeprecationWarning by default only when it is blamed on __main__, so each
    # must name the caller's file, not lamina's (they were blamed on dense.py, lstm.py, ...).

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keras.layers.Dense(12, input_dim=8)
        keras.layers.Convolution2D(4, 3, 3, border_mode="same")
        keras.layers.LSTM(8, dropout_W=0.2, dropout_U=0.2)
        keras.backend.image_dim_ordering()
        checkpoint = keras.callbacks.ModelCheckpoint(
            "unused.keras", monitor="val_acc", save_best_only=True, period=1)
    assert checkpoint is not None and len(caught) >= 6
    assert {w.category for w in caught} == {DeprecationWarning}
    assert {w.filename for w in caught} == {__file__}, [
        (w.filename, str(w.message)[:40]) for w in caught if w.filename != __file__]


# ---- Keras 1/2 tutorial code (2016-2022 blog posts) -------------------------------------------


def test_keras2_history_keys_acc_and_val_acc_read_accuracy_with_a_warning():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    ones = np.ones((8, 2), "float32")
    history = model.fit(ones, ones[:, :1], validation_split=0.25, epochs=2, verbose=0)
    with pytest.warns(DeprecationWarning, match='Keras 2 name of "accuracy"'):
        assert history.history["acc"] == history.history["accuracy"]
    with pytest.warns(DeprecationWarning, match='"val_accuracy"'):
        assert history.history["val_acc"] == history.history["val_accuracy"]
    with pytest.raises(KeyError, match=r"no such key. It has \['accuracy', 'loss'"):
        history.history["f1"]


def test_keras1_merge_function_and_merge_layer():
    from lamina.layers import Merge, merge

    a, b = keras.Input((4,)), keras.Input((4,))
    with pytest.warns(DeprecationWarning, match="layers.concatenate"):
        assert merge([a, b], mode="concat").shape == (None, 8)
    with pytest.warns(DeprecationWarning, match="layers.add"):
        summed = merge([a, b], mode="sum")
    model = keras.Model([a, b], summed)
    np.testing.assert_allclose(model.predict([np.ones((1, 4)), np.ones((1, 4))], verbose=0),
                               [[2, 2, 2, 2]])
    with pytest.raises(ValueError, match="Lambda"):
        merge([a, b], mode=lambda pair: pair[0])
    with pytest.raises(TypeError, match="functional model"):
        Merge([a, b], mode="concat")


def test_keras2_spellings_that_used_to_fail():
    with pytest.warns(DeprecationWarning, match="nb_classes"):
        assert keras.utils.to_categorical([0, 2], nb_classes=4).shape == (2, 4)
    with pytest.warns(DeprecationWarning, match="mode"):
        keras.layers.BatchNormalization(mode=0)
    with pytest.raises(ValueError, match="LayerNormalization"):
        keras.layers.BatchNormalization(mode=1)
    with pytest.warns(DeprecationWarning, match="no effect"):
        keras.backend.set_learning_phase(0)
    with pytest.raises(RuntimeError, match="model_from_json"):
        keras.models.model_from_yaml("class_name: Sequential")


def test_custom_layers_with_output_dim_load_from_h5(tmp_path):
    # keras.io's "Writing your own Keras layers" (Keras 2): the legacy-file translator renamed
    # `output_dim` to `units` for every class, user classes included.
    class MyLayer(keras.layers.Layer):
        def __init__(self, output_dim, **kwargs):
            self.output_dim = output_dim
            super().__init__(**kwargs)

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[1], self.output_dim),
                                          initializer="uniform")

        def call(self, x):
            return keras.ops.matmul(x, self.kernel)

        def get_config(self):
            return dict(super().get_config(), output_dim=self.output_dim)

    model = keras.Sequential([keras.Input((5,)), MyLayer(3)])
    model.save(tmp_path / "m.h5")
    again = keras.models.load_model(tmp_path / "m.h5", custom_objects={"MyLayer": MyLayer})
    x = np.ones((2, 5), "float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_model_with_one_output_in_a_list_predicts_an_array():
    # Keras 3 (and 2): Model(inputs=[i], outputs=[o]).predict(x) is an array, its call a tensor.
    inputs = keras.Input((3,))
    model = keras.Model(inputs=[inputs], outputs=[keras.layers.Dense(2)(inputs)])
    assert model.predict(np.ones((4, 3)), verbose=0).shape == (4, 2)
    assert tuple(model(np.ones((1, 3), "float32")).shape) == (1, 2)
    assert model.get_config()["output_layers"] == [[model.layers[-1].name, 0, 0]]


def test_attention_layers_take_numpy_masks():
    # Keras: scores [[1, 0], [.5, .5]]; lamina raised AttributeError ('ndarray' has no .bool)
    q = np.ones((1, 2, 4), "float32")
    mask = np.array([[[1, 0], [1, 1]]])
    mha = keras.layers.MultiHeadAttention(num_heads=1, key_dim=4)
    _, scores = mha(q, q, attention_mask=mask, return_attention_scores=True)
    np.testing.assert_allclose(scores.detach().numpy()[0, 0], [[1, 0], [0.5, 0.5]], atol=1e-6)
    out = keras.layers.Attention()([q, q], mask=[np.array([[1, 1]]), np.array([[1, 0]])])
    assert tuple(out.shape) == (1, 2, 4)
