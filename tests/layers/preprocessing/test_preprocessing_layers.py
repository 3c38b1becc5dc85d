"""Preprocessing layers: shapes (symbolic and eager), configs, errors, adapt() against
hand-computed values, properties of the random augmentations, and use inside models."""

import numpy as np
import pytest
import torch

import lamina
from lamina.layers.preprocessing.category_encoding import CategoryEncoding
from lamina.layers.preprocessing.center_crop import CenterCrop
from lamina.layers.preprocessing.discretization import Discretization
from lamina.layers.preprocessing.hashing import Hashing
from lamina.ops.image_kernels import affine_transform, resize
from lamina.layers.preprocessing.integer_lookup import IntegerLookup
from lamina.layers.preprocessing.normalization import Normalization
from lamina.layers.preprocessing.random_brightness import RandomBrightness
from lamina.layers.preprocessing.random_contrast import RandomContrast
from lamina.layers.preprocessing.random_flip import RandomFlip
from lamina.layers.preprocessing.random_rotation import RandomRotation
from lamina.layers.preprocessing.random_translation import RandomTranslation
from lamina.layers.preprocessing.random_zoom import RandomZoom
from lamina.layers.preprocessing.rescaling import Rescaling
from lamina.layers.preprocessing.resizing import Resizing
from lamina.layers.preprocessing.string_lookup import StringLookup
from lamina.layers.preprocessing.text_vectorization import TextVectorization

IMAGES = torch.rand(4, 6, 5, 3) * 255

# (factory, input shape without batch, input dtype, output shape without batch)
SHAPE_CASES = [
    (lambda: Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 1.0, 4.0]), (3,), "float32", (3,)),
    (lambda: Rescaling(0.5), (6, 5, 3), "float32", (6, 5, 3)),
    (lambda: Resizing(4, 7), (6, 5, 3), "float32", (4, 7, 3)),
    (lambda: Resizing(4, 7, data_format="channels_first"), (3, 6, 5), "float32", (3, 4, 7)),
    (lambda: CenterCrop(2, 3), (6, 5, 3), "float32", (2, 3, 3)),
    (lambda: RandomFlip(), (6, 5, 3), "float32", (6, 5, 3)),
    (lambda: RandomRotation(0.2), (6, 5, 3), "float32", (6, 5, 3)),
    (lambda: RandomZoom(0.2), (6, 5, 3), "float32", (6, 5, 3)),
    (lambda: RandomTranslation(0.1, 0.2), (6, 5, 3), "float32", (6, 5, 3)),
    (lambda: RandomContrast(0.3), (6, 5, 3), "float32", (6, 5, 3)),
    (lambda: RandomBrightness(0.3), (6, 5, 3), "float32", (6, 5, 3)),
    (lambda: CategoryEncoding(7, "multi_hot"), (4,), "int64", (7,)),
    (lambda: CategoryEncoding(7, "one_hot"), (1,), "int64", (7,)),
    (lambda: CategoryEncoding(7, "one_hot"), (4,), "int64", (4, 7)),
    (lambda: Discretization(bin_boundaries=[0.0, 1.0]), (5,), "float32", (5,)),
    (lambda: Discretization(bin_boundaries=[0.0, 1.0], output_mode="count"), (5,), "float32",
     (3,)),
    (lambda: IntegerLookup(vocabulary=[3, 5, 9]), (4,), "int64", (4,)),
    (lambda: IntegerLookup(vocabulary=[3, 5, 9], output_mode="multi_hot"), (4,), "int64", (4,)),
    (lambda: Hashing(5), (2,), "int64", (2,)),
    (lambda: Hashing(5, output_mode="count"), (2,), "int64", (5,)),
]


@pytest.mark.parametrize("factory, shape, dtype, expected", SHAPE_CASES)
def test_symbolic_and_eager_shapes(factory, shape, dtype, expected):
    symbolic = factory()(lamina.Input(shape=shape, dtype=dtype))
    assert symbolic.shape == (None,) + expected
    for batch in (1, 3):
        data = torch.randint(0, 7, (batch,) + shape)  # (ids below CategoryEncoding's 7)
        data = data.float() if dtype == "float32" else data
        layer = factory()
        assert tuple(layer(data).shape) == (batch,) + expected
        assert tuple(layer.compute_output_shape((batch,) + shape)) == (batch,) + expected


@pytest.mark.parametrize("factory", [case[0] for case in SHAPE_CASES] + [
    lambda: StringLookup(vocabulary=["a", "b"], mask_token="", num_oov_indices=2),
    lambda: TextVectorization(max_tokens=20, ngrams=2, output_sequence_length=5),
])
def test_config_round_trip(factory):
    layer = factory()
    config = layer.get_config()
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config


# ------------------------------------------------------------------------- Normalization
def test_normalization_adapt_hand_computed():
    data = np.array([[0.0, 7.0, 4.0], [2.0, 9.0, 6.0], [0.0, 7.0, 4.0], [2.0, 9.0, 6.0]])
    layer = Normalization()
    layer.adapt(data)
    np.testing.assert_allclose(layer.get_weights()[0], [1.0, 8.0, 5.0])
    np.testing.assert_allclose(layer.get_weights()[1], [1.0, 1.0, 1.0])
    assert layer.get_weights()[2] == 0 and layer.get_weights()[2].dtype == np.int32
    np.testing.assert_allclose(layer(np.array([[0.0, 7.0, 4.0]])).numpy(), [[-1.0, -1.0, -1.0]])
    inverse = Normalization(invert=True)
    inverse.adapt(data)
    np.testing.assert_allclose(inverse(np.array([[1.0, 2.0, 3.0]])).numpy(), [[2.0, 10.0, 8.0]])


def test_normalization_scalar_axis_and_batches_agree():
    layer = Normalization(axis=None)
    layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    np.testing.assert_allclose(layer(np.array([1.0, 2.0, 3.0])).numpy(),
                               [-1.4142135, -0.70710677, 0.0], rtol=1e-6)
    data = np.random.default_rng(0).normal(3.0, 2.0, (50, 4))
    whole, batched, stepped = Normalization(), Normalization(), Normalization()
    whole.adapt(data)
    batched.adapt([data[:7], (torch.as_tensor(data[7:30]), None), data[30:]])  # (x, y) batches
    stepped.adapt(iter([data[:25], data[25:], data[:1] * 1e6]), steps=2)
    for other in (batched, stepped):
        for a, b in zip(whole.get_weights()[:2], other.get_weights()[:2]):
            np.testing.assert_allclose(a, b, rtol=1e-5)
    np.testing.assert_allclose(whole.get_weights()[0], data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(whole.get_weights()[1], data.var(0), rtol=1e-5)
    chunked = Normalization()
    chunked.adapt(data, batch_size=8)
    np.testing.assert_allclose(chunked.get_weights()[1], data.var(0), rtol=1e-5)


def test_normalization_errors():
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        Normalization(mean=1.0)
    layer = Normalization()
    layer.adapt(np.ones((4, 3)))
    with pytest.raises(ValueError, match="adapt\\(\\) received data of shape"):
        layer.adapt(np.ones((4, 2)))
    with pytest.raises(ValueError, match="empty iterable"):
        Normalization().adapt([])
    with pytest.raises(ValueError, match="fixed `mean`"):
        Normalization(mean=0.0, variance=1.0).adapt(np.ones((2, 1)))


def test_normalization_in_a_fitted_and_saved_model(tmp_path):
    rng = np.random.default_rng(1)
    x = (rng.normal(50.0, 10.0, (64, 3))).astype("float32")
    y = (x - 50.0).sum(1, keepdims=True) / 10.0
    norm = Normalization()
    norm.adapt(x)
    model = lamina.Sequential([lamina.Input((3,)), norm, lamina.layers.Dense(1)])
    model.compile(optimizer=lamina.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]
    np.testing.assert_allclose(norm.get_weights()[0], x.mean(0), rtol=1e-5)  # not trained
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = lamina.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


def test_normalization_and_image_ops_pass_gradients_to_inputs():
    x = torch.rand(2, 5, 4, 1, dtype=torch.float64, requires_grad=True)
    transforms = torch.tensor([[0.9, -0.3, 0.7, 0.2, 1.1, -0.4, 0, 0]] * 2, dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda t: affine_transform(t, transforms, "bilinear", "reflect"), (x,))
    assert torch.autograd.gradcheck(lambda t: resize(t, 3, 6, "bicubic"), (x,))
    norm = Normalization(mean=2.0, variance=4.0)
    z = torch.rand(3, 1, requires_grad=True)
    norm(z).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), np.full((3, 1), 0.5))


# ------------------------------------------------------------------------- random layers
RANDOM_FACTORIES = [lambda s=None: RandomFlip(seed=s), lambda s=None: RandomRotation(0.3, seed=s),
                    lambda s=None: RandomZoom(0.3, seed=s),
                    lambda s=None: RandomTranslation(0.2, 0.3, seed=s),
                    lambda s=None: RandomContrast(0.5, seed=s),
                    lambda s=None: RandomBrightness(0.3, seed=s)]


@pytest.mark.parametrize("factory", RANDOM_FACTORIES)
def test_random_layers_inference_identity_training_change_and_seeds(factory):
    layer = factory(3)
    assert torch.equal(layer(IMAGES, training=False), IMAGES)
    model = lamina.Sequential([lamina.Input((6, 5, 3)), factory(3)])
    np.testing.assert_array_equal(model.predict(IMAGES.numpy(), verbose=0), IMAGES.numpy())
    assert torch.equal(model(IMAGES, training=False), IMAGES)
    first = layer(IMAGES, training=True)
    assert first.shape == IMAGES.shape and not torch.equal(first, IMAGES)
    again = factory(3)(IMAGES, training=True)
    assert torch.equal(first, again)  # same seed, same first draw
    assert not torch.equal(layer(IMAGES, training=True), first)  # the stream advances
    assert not torch.equal(layer(IMAGES), IMAGES)  # a standalone call augments, as in Keras


def test_random_flip_gives_exact_mirrors():
    images = torch.rand(64, 3, 4, 2)
    horizontal = RandomFlip("horizontal", seed=1)(images, training=True)
    vertical = RandomFlip("vertical", seed=1)(images, training=True)
    both = RandomFlip(seed=1)(images, training=True)
    flipped_h = (horizontal == images.flip(2)).flatten(1).all(1)
    kept_h = (horizontal == images).flatten(1).all(1)
    assert bool((flipped_h | kept_h).all()) and 10 < int(flipped_h.sum()) < 54
    assert bool(((vertical == images.flip(1)).flatten(1).all(1) |
                 (vertical == images).flatten(1).all(1)).all())
    assert bool(((both == images.flip(1).flip(2)).flatten(1).all(1) |
                 (both == images).flatten(1).all(1)).all())


@pytest.mark.parametrize("layer", [RandomRotation(0.0), RandomZoom(0.0),
                                   RandomTranslation(0.0, 0.0), RandomBrightness(0.0),
                                   RandomContrast(0.0)])
def test_zero_factor_is_identity(layer):
    torch.testing.assert_close(layer(IMAGES, training=True), IMAGES, atol=1e-4, rtol=0)


def test_colour_layers_stay_in_range():
    images = torch.rand(256, 2, 2, 1) * 100 + 50
    shifted = RandomBrightness((-0.1, 0.2), value_range=(0, 255), seed=2)(images, training=True)
    delta = (shifted - images).flatten(1)
    assert bool((delta.max(1).values - delta.min(1).values < 1e-4).all())  # one shift per image
    assert float(delta.min()) >= -25.5 - 1e-4 and float(delta.max()) <= 51.0 + 1e-4
    assert float(delta.min()) < -15 and float(delta.max()) > 35  # the range is used
    contrast = RandomContrast((0.5, 0.5), value_range=(0, 1000), seed=2)(images, training=True)
    mean = images.mean((1, 2), keepdim=True)
    factor = ((contrast - mean) / (images - mean)).flatten(1)
    assert float(factor.min()) >= 0.5 - 1e-3 and float(factor.max()) <= 1.5 + 1e-3
    assert torch.allclose(contrast.mean((1, 2)), mean.flatten(1), atol=1e-3)
    clipped = RandomBrightness((1.0, 1.0), value_range=(0, 255))(images, training=True)
    assert float(clipped.max()) == 255.0


def test_rotation_by_quarter_turns_moves_pixels_exactly():
    images = torch.arange(16.0).reshape(1, 4, 4, 1)
    turned = RandomRotation((0.25, 0.25), interpolation="nearest")(images, training=True)
    torch.testing.assert_close(turned[0, ..., 0], torch.rot90(images[0, ..., 0], 1), atol=1e-5,
                               rtol=0)


def test_random_layer_uint8_input_and_errors():
    images = torch.randint(0, 255, (2, 4, 4, 3), dtype=torch.uint8)
    assert RandomRotation(0.1)(images, training=False).dtype == torch.float32
    assert RandomBrightness(0.1)(images, training=False).dtype == torch.uint8  # as Keras
    with pytest.raises(ValueError, match="fill_mode"):
        RandomRotation(0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="factor"):
        RandomRotation(2.0)
    with pytest.raises(ValueError, match="RandomFlip: unknown `mode`"):
        RandomFlip("diagonal")
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        RandomFlip()(torch.ones(2, 3), training=True)


def test_random_contrast_single_factor_follows_keras():
    assert RandomContrast(0.3).factor == (0, 0.3)
    assert RandomContrast((0.2, 0.4)).factor == (0.2, 0.4)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_image_layers_run_on_the_input_device():
    images = IMAGES.cuda()
    for layer in (RandomRotation(0.2, seed=1), RandomZoom(0.2, seed=1), RandomFlip(seed=1),
                  RandomTranslation(0.1, 0.1, seed=1), RandomContrast(0.2, seed=1),
                  RandomBrightness(0.2, seed=1), Resizing(3, 9, "bicubic"), CenterCrop(2, 2)):
        out = layer(images, training=True)
        assert out.device.type == "cuda"
    cpu = Resizing(3, 9, "lanczos3")(IMAGES)
    torch.testing.assert_close(Resizing(3, 9, "lanczos3")(images).cpu(), cpu, atol=1e-3,
                               rtol=1e-5)
    lookup = IntegerLookup(vocabulary=[4, 8])
    assert lookup(torch.tensor([4, 5, 8], device="cuda")).tolist() == [1, 0, 2]


# ------------------------------------------------------------------------- categorical
def test_category_encoding_counts_weights_and_errors():
    layer = CategoryEncoding(4, output_mode="count")
    out = layer(np.array([[0, 1, 1, 3], [3, 3, 0, 2]]),
                count_weights=np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 9.0, 1.0]]))
    np.testing.assert_allclose(out.numpy(), [[1, 5, 0, 4], [9, 0, 1, 1]])
    with pytest.raises(ValueError, match="received values from -1 to 7"):  # (Keras on torch
        layer(np.array([[0, 1, 1, 7], [3, 3, -1, 2]]))  # raises too; lamina used to drop them)
    with pytest.raises(ValueError, match="num_tokens` must be set"):
        CategoryEncoding()
    with pytest.raises(ValueError, match="only used when output_mode='count'"):
        CategoryEncoding(3)(np.array([[0]]), count_weights=np.array([[1.0]]))


def test_discretization_adapt_hand_computed_and_errors():
    layer = Discretization(num_bins=4)
    layer.adapt(np.arange(1.0, 9.0))
    assert layer.bin_boundaries == [2.0, 4.0, 6.0]
    np.testing.assert_array_equal(layer(np.array([[1.0, 2.0, 5.5, 100.0]])).numpy(),
                                  [[0, 1, 2, 3]])
    rebuilt = Discretization.from_config(layer.get_config())
    assert rebuilt.bin_boundaries == [2.0, 4.0, 6.0]
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        Discretization()
    with pytest.raises(ValueError, match="has no bins yet"):
        Discretization(num_bins=3)(np.ones((1, 2)))


def test_hashing_keeps_the_device_and_checks_arguments():
    assert Hashing(3)(torch.tensor([[1], [2]])).dtype == torch.int64
    assert Hashing(3, output_mode="multi_hot")(["a", "b"]).shape == (3,)
    with pytest.raises(ValueError, match="num_bins"):
        Hashing(0)
    with pytest.raises(ValueError, match="salt"):
        Hashing(3, salt="pepper")


# ------------------------------------------------------------------------- lookups
def test_string_lookup_adapt_order_invert_and_round_trip():
    layer = StringLookup()
    layer.adapt([["b", "a", "c", "a"], ["c", "d", "e", "x"]])
    # counts: a 2, c 2, then 1 each; ties by decreasing term
    assert layer.get_vocabulary() == ["[UNK]", "c", "a", "x", "e", "d", "b"]
    assert layer.get_vocabulary(include_special_tokens=False)[0] == "c"
    indices = layer(np.array([["a", "zz"], [b"b", "c"]], dtype=object))
    assert indices.tolist() == [[2, 0], [6, 1]]
    inverse = StringLookup(vocabulary=layer.get_vocabulary(), invert=True)
    assert inverse(indices).tolist() == [["a", "[UNK]"], ["b", "c"]]
    rebuilt = StringLookup.from_config(layer.get_config())
    assert rebuilt.get_vocabulary() == layer.get_vocabulary()
    rebuilt.adapt(["q"])  # an adapted vocabulary may be adapted again
    assert rebuilt.get_vocabulary() == ["[UNK]", "q"]


def test_string_lookup_assets_and_vocabulary_file(tmp_path):
    layer = StringLookup(mask_token="", output_mode="int")
    layer.adapt(["x", "y", "y"])
    layer.save_assets(str(tmp_path))
    restored = StringLookup(mask_token="")
    restored.load_assets(str(tmp_path))
    assert restored.get_vocabulary() == ["", "[UNK]", "y", "x"]
    path = tmp_path / "vocab.txt"
    path.write_text("red\ngreen\n")
    assert StringLookup(vocabulary=str(path))(["green", "red", "?"]).tolist() == [2, 1, 0]


def test_lookup_errors():
    with pytest.raises(ValueError, match="repeated terms"):
        StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="larger than the maximum vocab size"):
        StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(TypeError, match="maps strings to indices"):
        StringLookup(vocabulary=["a"])(torch.tensor([1]))
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        StringLookup(vocabulary=["a"], num_oov_indices=0)(["b"])
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        IntegerLookup(vocabulary=[1], num_oov_indices=0)(torch.tensor([2]))
    with pytest.raises(ValueError, match="after setting a static vocabulary"):
        StringLookup(vocabulary=["a"]).adapt(["b"])
    with pytest.raises(ValueError, match="`output_mode` must be 'int' when `invert`"):
        IntegerLookup(invert=True, output_mode="multi_hot")
    with pytest.raises(RuntimeError, match="set the layer's vocabulary before calling it"):
        StringLookup(output_mode="multi_hot")(["a"])


def test_integer_lookup_special_tokens_in_vocabulary_and_model_round_trip(tmp_path):
    layer = IntegerLookup(mask_token=0, vocabulary=[0, -1, 7, 9])  # specials given up front
    assert layer.get_vocabulary() == [0, -1, 7, 9]
    assert layer(torch.tensor([[9, 0, 3]])).tolist() == [[3, 0, 1]]
    lookup = IntegerLookup(output_mode="multi_hot")
    lookup.adapt(np.array([4, 4, 8, 15]))
    inputs = lamina.Input((3,), dtype="int64")
    model = lamina.Model(inputs, lamina.layers.Dense(2)(lookup(inputs)))
    data = np.array([[4, 8, 99], [15, 15, 4]])
    path = tmp_path / "lookup.keras"
    model.save(path)
    loaded = lamina.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


# ------------------------------------------------------------------------- text
def test_text_vectorization_adapt_and_callables():
    layer = TextVectorization(output_sequence_length=4)
    layer.adapt(["The cat sat.", "The dog ran!"])
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "sat", "ran", "dog", "cat"]
    assert layer(["the cat ran", "emu"]).tolist() == [[2, 6, 4, 0], [1, 0, 0, 0]]
    assert layer("the dog").tolist() == [2, 5, 0, 0]

    def shout(texts):
        return np.char.upper(texts)

    def split_on_dash(texts):
        return [t.split("-") for t in texts]

    custom = TextVectorization(standardize=shout, split=split_on_dash)
    custom.adapt(["a-b", "b-c"])
    assert custom.get_vocabulary() == ["", "[UNK]", "B", "C", "A"]
    with lamina.utils.custom_object_scope({"shout": shout, "split_on_dash": split_on_dash}):
        rebuilt = TextVectorization.from_config(custom.get_config())
    assert rebuilt(["c-a-z"]).tolist() == [[3, 4, 1]]


def test_text_vectorization_shapes_and_errors():
    layer = TextVectorization(vocabulary=["x", "y"], output_mode="count")
    # non-"int" modes give the mask no index: [UNK], x, y
    assert layer.compute_output_shape((None,)) == (None, 3)
    symbolic = layer(lamina.Input((1,)))
    assert symbolic.shape == (None, 3)
    assert TextVectorization(output_sequence_length=6).compute_output_shape((None, 1)) == (None, 6)
    with pytest.raises(TypeError, match="takes strings"):
        layer(torch.ones(2, 1))
    with pytest.raises(ValueError, match="last shape dimension must be 1"):
        layer(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="`output_sequence_length` must not be set"):
        TextVectorization(output_mode="count", output_sequence_length=3)


def test_text_model_trains_on_vectorized_strings_and_runs_eagerly_on_strings():
    texts = ["good great fine", "bad awful poor", "great good", "poor bad", "fine good",
             "awful bad"] * 4
    labels = np.array([[1.0], [0.0], [1.0], [0.0], [1.0], [0.0]] * 4, dtype="float32")
    vectorize = TextVectorization(output_sequence_length=3)
    vectorize.adapt(texts)
    classifier = lamina.Sequential([lamina.layers.Embedding(vectorize.vocabulary_size(), 8),
                                    lamina.layers.GlobalAveragePooling1D(),
                                    lamina.layers.Dense(1, activation="sigmoid")])
    classifier.compile(optimizer=lamina.optimizers.Adam(0.05), loss="binary_crossentropy",
                       metrics=["accuracy"])
    history = classifier.fit(vectorize(texts).numpy(), labels, epochs=15, verbose=0)
    assert history.history["accuracy"][-1] == 1.0

    class TextModel(lamina.Model):
        def __init__(self):
            super().__init__()
            self.vectorize = vectorize
            self.classifier = classifier

        def call(self, strings):
            return self.classifier(self.vectorize(strings))

    model = TextModel()
    with torch.no_grad():
        scores = model.call(["good fine", "awful poor"])  # eager, on Python strings
    assert float(scores[0, 0]) > 0.5 > float(scores[1, 0])


def test_model_called_on_strings():
    vectorize = TextVectorization(vocabulary=["a", "b"], output_sequence_length=2)
    model = lamina.Sequential([vectorize, lamina.layers.Embedding(4, 2)])
    model(np.array(["a b", "b"]))


def test_text_classifier_trains_on_raw_strings():
    """The Keras text-classification pattern: raw strings in, TextVectorization inside."""
    lamina.utils.set_random_seed(0)
    texts = np.array(["good great fine", "great good", "bad awful", "awful terrible bad",
                      "fine good", "terrible bad"] * 4)
    labels = np.array([1, 1, 0, 0, 1, 0] * 4, dtype="float32")
    vectorize = TextVectorization(max_tokens=20, output_sequence_length=4)
    vectorize.adapt(texts)
    inputs = lamina.Input(shape=(), dtype="string")
    x = lamina.layers.Embedding(20, 8)(vectorize(inputs))
    x = lamina.layers.GlobalAveragePooling1D()(x)
    outputs = lamina.layers.Dense(1, activation="sigmoid")(x)
    model = lamina.Model(inputs, outputs)
    model.compile(optimizer=lamina.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(texts, labels, epochs=15, batch_size=8, validation_split=0.25, verbose=0)
    assert history.history["accuracy"][-1] == 1.0
    scores = model.predict(np.array(["good fine", "awful bad"]), verbose=0)
    assert scores.shape == (2, 1) and scores[0, 0] > 0.5 > scores[1, 0]
    assert model.evaluate(texts, labels, verbose=0, return_dict=True)["accuracy"] == 1.0
