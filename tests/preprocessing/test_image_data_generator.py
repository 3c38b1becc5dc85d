"""Keras 2's ImageDataGenerator (lamina/preprocessing/image_data_generator.py) gives what Keras's
own copy of it gives (recorded with scipy and Pillow by
tests/fixtures/keras2_image/make_fixtures.py), and feeds fit as image tutorials do."""

import json
import os

import numpy as np
import pytest

import lamina
from lamina.preprocessing.image import ImageDataGenerator

# The class warns on construction that it is the Keras 2 API (checked once, below).
pytestmark = pytest.mark.filterwarnings("ignore:ImageDataGenerator is the Keras 2 API")

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras2_image",
                       "keras_image_data_generator.json")
with open(FIXTURE) as f:
    RECORDED = json.load(f)
IMAGE = np.array(RECORDED["image"], dtype="float32")  # (6, 8, 3)


def _case_id(case):
    return f"{case['name']}-{case['fill_mode']}-{case['data_format']}"


@pytest.mark.parametrize("case", RECORDED["transforms"], ids=_case_id)
def test_apply_transform_equals_keras(case):
    # Every transform, for every fill_mode, matches Keras + scipy (+ Pillow for brightness) to
    # the last bit: the warp adds the same terms in the same order as scipy.
    generator = ImageDataGenerator(fill_mode=case["fill_mode"], cval=7.0,
                                   data_format=case["data_format"])
    image = IMAGE if case["data_format"] == "channels_last" else IMAGE.transpose(2, 0, 1)
    if "input_scale" in case:
        scale, shift = case["input_scale"]
        image = image * scale + shift
    out = generator.apply_transform(image.copy(), case["params"])
    assert out.dtype == np.float32 and out.shape == image.shape
    np.testing.assert_array_equal(out, np.array(case["output"], dtype="float32"))


@pytest.mark.parametrize("name", sorted(RECORDED["standardize"]))
def test_standardize_equals_keras(name):
    case = RECORDED["standardize"][name]
    x = np.random.RandomState(1).uniform(0, 255, (10, 5, 6, 3)).astype("float32")
    generator = ImageDataGenerator(**case["kwargs"])
    if case["kwargs"].get("featurewise_center"):
        generator.fit(x)
        np.testing.assert_allclose(generator.mean, case["mean"], rtol=1e-6)
    if "std" in case:
        np.testing.assert_allclose(generator.std, case["std"], rtol=1e-6)
    out = generator.standardize(x[:2].copy())
    np.testing.assert_allclose(out, case["output"], rtol=1e-5, atol=1e-6)


def _indexed_images(n=10):
    # Each image is filled with its own index, so a batch shows which samples it holds.
    return np.arange(n, dtype="float32")[:, None, None, None] * np.ones((1, 2, 2, 1), "float32")


def test_flow_batches_shapes_labels_and_weights():
    x, y = _indexed_images(10), np.arange(10) * 10
    weights = np.linspace(0.1, 1.0, 10)
    iterator = ImageDataGenerator(rescale=0.5).flow(x, y, batch_size=4, shuffle=True,
                                                    sample_weight=weights, seed=1)
    assert isinstance(iterator, lamina.utils.PyDataset)
    assert (len(iterator), iterator.n, iterator.batch_size) == (3, 10, 4)
    seen = []
    for index in range(len(iterator)):
        batch_x, batch_y, batch_w = iterator[index]
        assert batch_x.dtype == np.float32 and batch_x.shape[1:] == (2, 2, 1)
        originals = batch_x[:, 0, 0, 0] * 2  # undo rescale
        np.testing.assert_array_equal(batch_y, originals * 10)  # y stays with its image
        np.testing.assert_allclose(batch_w, weights[originals.astype(int)])
        seen += list(originals)
    assert sorted(seen) == list(range(10)) and [len(iterator[i][0]) for i in range(3)] == \
        [4, 4, 2]
    assert iterator[-1][0].shape[0] == 2
    only_x = ImageDataGenerator().flow(x, batch_size=3, shuffle=False)
    np.testing.assert_array_equal(only_x[1][:, 0, 0, 0], [3, 4, 5])


def test_seeded_order_and_endless_next_equal_keras():
    x, y = _indexed_images(10), np.arange(10) % 2
    recorded = RECORDED["flow"]
    iterator = ImageDataGenerator().flow(x, y, batch_size=4, shuffle=True, seed=5)
    assert [list(iterator[i][0][:, 0, 0, 0]) for i in range(3)] == recorded["seeded_getitem"]
    iterator = ImageDataGenerator().flow(x, y, batch_size=4, shuffle=True, seed=5)
    assert [list(next(iterator)[0][:, 0, 0, 0]) for _ in range(7)] == recorded["seeded_next"]
    assert iter(iterator) is iterator  # endless, as in Keras 2


def test_validation_split_subsets_equal_keras():
    x, y = _indexed_images(10), np.arange(10) % 2
    generator = ImageDataGenerator(validation_split=0.3)
    for subset in ("training", "validation"):
        iterator = generator.flow(x, y, batch_size=4, shuffle=False, subset=subset)
        expected = RECORDED["flow"][subset]
        assert (iterator.n, len(iterator)) == (expected["n"], expected["len"])
        assert list(iterator[0][0][:, 0, 0, 0]) == expected["first_x"]


def test_random_transform_is_seeded_and_keeps_shape():
    generator = ImageDataGenerator(rotation_range=20, width_shift_range=0.2,
                                   height_shift_range=2, shear_range=5, zoom_range=0.2,
                                   channel_shift_range=10, horizontal_flip=True,
                                   vertical_flip=True, brightness_range=(0.8, 1.2),
                                   fill_mode="reflect")
    first = generator.random_transform(IMAGE.copy(), seed=3)
    np.testing.assert_array_equal(first, generator.random_transform(IMAGE.copy(), seed=3))
    assert first.shape == IMAGE.shape and not np.array_equal(first, IMAGE)
    params = generator.get_random_transform(IMAGE.shape, seed=3)
    assert abs(params["theta"]) <= 20 and abs(params["ty"]) <= 0.2 * 8
    assert params["tx"] in (-1, 0, 1)  # an int range draws whole pixels in (-2, 2)
    assert 0.8 <= params["zx"] <= 1.2 and 0.8 <= params["brightness"] <= 1.2


def test_fit_on_flow_trains_a_model():
    rng = np.random.RandomState(0)
    x = rng.uniform(0, 255, (24, 8, 8, 3)).astype("float32")
    y = (np.arange(24) % 2).astype("float32")
    generator = ImageDataGenerator(rescale=1 / 255.0, horizontal_flip=True, rotation_range=10)
    model = lamina.Sequential([lamina.Input((8, 8, 3)), lamina.layers.Flatten(),
                               lamina.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    history = model.fit(generator.flow(x, y, batch_size=8), epochs=1, verbose=0)
    assert len(history.history["loss"]) == 1
    assert model.predict(generator.flow(x, batch_size=8, shuffle=False),
                         verbose=0).shape == (24, 1)


def _write_pngs(root, counts, size=(5, 7)):
    image_module = pytest.importorskip("PIL.Image")
    rng = np.random.RandomState(0)
    for name, count in counts.items():
        os.makedirs(root / name)
        for i in range(count):
            pixels = rng.randint(0, 256, size + (3,)).astype("uint8")
            image_module.fromarray(pixels).save(root / name / f"img_{i}.png")


def test_flow_from_directory_classes_labels_and_subsets(tmp_path, capsys):
    pytest.importorskip("PIL")
    _write_pngs(tmp_path, {"dogs": 4, "cats": 3})
    (tmp_path / "cats" / "notes.txt").write_text("not an image")
    generator = ImageDataGenerator(rescale=1 / 255.0, validation_split=0.5)
    iterator = generator.flow_from_directory(str(tmp_path), target_size=(4, 6), batch_size=5,
                                             shuffle=False)
    assert "Found 7 images belonging to 2 classes." in capsys.readouterr().out
    assert iterator.class_indices == {"cats": 0, "dogs": 1}
    assert list(iterator.classes) == [0, 0, 0, 1, 1, 1, 1]
    assert iterator.filenames[0] == os.path.join("cats", "img_0.png")
    batch_x, batch_y = iterator[0]
    assert batch_x.shape == (5, 4, 6, 3) and batch_x.max() <= 1.0
    np.testing.assert_array_equal(batch_y, np.eye(2)[[0, 0, 0, 1, 1]])
    for mode, expected in (("binary", [0, 0, 0, 1, 1]), ("sparse", [0, 0, 0, 1, 1])):
        labels = generator.flow_from_directory(str(tmp_path), target_size=(4, 6), batch_size=5,
                                               shuffle=False, class_mode=mode)[0][1]
        np.testing.assert_array_equal(labels, expected)
    inputs = generator.flow_from_directory(str(tmp_path), target_size=(4, 6), class_mode="input",
                                           shuffle=False)[0]
    np.testing.assert_array_equal(inputs[0], inputs[1])
    only_x = generator.flow_from_directory(str(tmp_path), target_size=(4, 6), class_mode=None,
                                           color_mode="grayscale")[0]
    assert only_x.shape == (7, 4, 6, 1)
    # Each class is split on its own: the first half (rounded down) of its files validates.
    validation = generator.flow_from_directory(str(tmp_path), target_size=(4, 6),
                                               subset="validation")
    training = generator.flow_from_directory(str(tmp_path), target_size=(4, 6),
                                             subset="training")
    assert (validation.samples, training.samples) == (3, 4)
    assert list(validation.classes) == [0, 1, 1]


def test_fit_on_flow_from_directory_binary(tmp_path, capsys):
    pytest.importorskip("PIL")
    _write_pngs(tmp_path, {"a": 4, "b": 4})
    generator = ImageDataGenerator(rescale=1 / 255.0, zoom_range=0.1)
    iterator = generator.flow_from_directory(tmp_path, target_size=(6, 6), batch_size=3,
                                             class_mode="binary")
    model = lamina.Sequential([lamina.Input((6, 6, 3)), lamina.layers.Conv2D(2, 3),
                               lamina.layers.GlobalAveragePooling2D(),
                               lamina.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(iterator, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and len(iterator) == 3


def test_warnings_and_errors_say_what_to_do():
    with pytest.warns(DeprecationWarning, match="RandomFlip.*image_dataset_from_directory"):
        ImageDataGenerator()
    with pytest.warns(UserWarning, match="turns featurewise_center on"):
        generator = ImageDataGenerator(featurewise_std_normalization=True)
    with pytest.warns(UserWarning, match=r"call `.fit\(x_train\)`"):
        generator.standardize(IMAGE.copy())
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError, match="fill_mode"):
        ImageDataGenerator(fill_mode="mirror")
    with pytest.raises(ValueError, match="rank 4"):
        ImageDataGenerator().flow(np.zeros((4, 5, 5)))
    with pytest.raises(ValueError, match="one entry per image"):
        ImageDataGenerator().flow(np.zeros((4, 5, 5, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="validation_split=0.2"):
        ImageDataGenerator().flow(np.zeros((4, 5, 5, 1)), subset="training")
    with pytest.raises(ValueError, match="shuffle x and y together"):
        ImageDataGenerator(validation_split=0.5).flow(
            np.zeros((4, 5, 5, 1)), np.array([0, 0, 1, 1]), subset="training")
    with pytest.raises(IndexError, match="from 0 to 0"):
        ImageDataGenerator().flow(np.zeros((4, 5, 5, 1)), batch_size=8)[1]


def test_keras2_import_path():
    from lamina.testing import keras_alias

    with keras_alias.aliased():  # undone afterwards, so other tests see no alias
        from keras.preprocessing.image import ImageDataGenerator as Aliased  # noqa: N813

    assert Aliased is ImageDataGenerator


# ---- flow_from_dataframe ---------------------------------------------------------------------

DATAFRAME_FIXTURE = os.path.join(os.path.dirname(FIXTURE), "keras_flow_from_dataframe.json")
with open(DATAFRAME_FIXTURE) as f:
    RECORDED_DATAFRAME = json.load(f)


def _dataframe_and_files(root):
    """The recorded DataFrame, and its files written under `root` (as the recording script
    wrote them: "missing.png" left out, "notes.txt" not an image)."""
    pd = pytest.importorskip("pandas")
    image_module = pytest.importorskip("PIL.Image")
    rng = np.random.RandomState(0)
    for name in [row[0] for row in RECORDED_DATAFRAME["rows"]]:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name == "notes.txt":
            path.write_text("not an image")
        elif name != "missing.png":
            image_module.fromarray(rng.randint(0, 256, (5, 7, 3)).astype("uint8")).save(path)
    return pd.DataFrame(RECORDED_DATAFRAME["rows"], columns=RECORDED_DATAFRAME["columns"])


def _flow_recorded_case(case, frame, root):
    generator = ImageDataGenerator(**case["generator_kwargs"])
    kwargs = dict(case["flow_kwargs"])
    if kwargs.get("validate_filenames", True):
        with pytest.warns(UserWarning, match=r"Found 2 invalid image filename\(s\)"):
            return generator.flow_from_dataframe(frame, str(root), target_size=(4, 6),
                                                 batch_size=RECORDED_DATAFRAME["batch_size"],
                                                 shuffle=False, **kwargs)
    return generator.flow_from_dataframe(frame, str(root), target_size=(4, 6),
                                         batch_size=RECORDED_DATAFRAME["batch_size"],
                                         shuffle=False, **kwargs)


@pytest.mark.parametrize("name", sorted(RECORDED_DATAFRAME["cases"]))
def test_flow_from_dataframe_equals_keras(name, tmp_path, capsys):
    # Same rows, same files: the same rows kept (in order), classes, targets per batch, sample
    # weights and message as Keras's own flow_from_dataframe.
    case = RECORDED_DATAFRAME["cases"][name]
    frame = _dataframe_and_files(tmp_path)
    iterator = _flow_recorded_case(case, frame, tmp_path)
    assert capsys.readouterr().out.strip() == case["message"]
    assert iterator.filenames == case["filenames"]
    assert iterator.filepaths == [os.path.join(str(tmp_path), n) for n in case["filenames"]]
    assert (iterator.n, len(iterator)) == (case["n"], case["len"])
    assert iterator.classes == case["classes"]
    assert iterator.class_indices == (case["class_indices"] or {})
    assert len(frame) == len(RECORDED_DATAFRAME["rows"])  # the caller's frame is not changed
    if "batch_x_shapes" not in case:
        return
    batches = [iterator[i] for i in range(len(iterator))]
    for index, batch in enumerate(batches):
        batch_x = batch[0] if isinstance(batch, tuple) else batch
        assert list(batch_x.shape) == case["batch_x_shapes"][index]
        if "batch_y" not in case:
            assert not isinstance(batch, tuple)
            continue
        batch_y = batch[1]
        if isinstance(batch_y, list):  # multi_output: one array per column
            assert [str(t.dtype) for t in batch_y] == case["batch_y_dtypes"][index]
            for got, expected in zip(batch_y, case["batch_y"][index]):
                np.testing.assert_array_equal(got, expected)
        else:
            assert str(batch_y.dtype) == case["batch_y_dtypes"][index]
            np.testing.assert_array_equal(batch_y, case["batch_y"][index])
        expected_weights = case["batch_weights"][index]
        assert (len(batch) == 3) == (expected_weights is not None)
        if expected_weights is not None:
            np.testing.assert_array_equal(batch[2], expected_weights)


def test_flow_from_dataframe_labels_paths_and_input_mode(tmp_path, capsys):
    frame = _dataframe_and_files(tmp_path)
    # directory=None: x_col holds full paths.
    frame["filename"] = [str(tmp_path / name) for name in frame["filename"]]
    generator = ImageDataGenerator(rescale=1 / 255.0)
    with pytest.warns(UserWarning, match="invalid image filename"):
        iterator = generator.flow_from_dataframe(frame, y_col=["score", "age"],
                                                 class_mode="raw", target_size=(4, 6),
                                                 batch_size=5, shuffle=False)
    assert iterator.filepaths == iterator.filenames and iterator.n == 9
    np.testing.assert_array_equal(iterator.labels[:2], [[0.5, 3], [1.5, 4]])
    with pytest.warns(UserWarning, match="invalid image filename"):
        iterator = generator.flow_from_dataframe(frame, class_mode="input", target_size=(4, 6),
                                                 color_mode="grayscale", batch_size=5)
    batch_x, batch_y = iterator[0]
    assert batch_x.shape == (5, 4, 6, 1) and batch_x.max() <= 1.0
    np.testing.assert_array_equal(batch_x, batch_y)
    assert "Found 9 validated image filenames." in capsys.readouterr().out


def test_fit_on_flow_from_dataframe(tmp_path, capsys):
    frame = _dataframe_and_files(tmp_path)
    frame = frame[~frame["filename"].isin(["missing.png", "notes.txt"])]  # no warning
    generator = ImageDataGenerator(rescale=1 / 255.0, horizontal_flip=True,
                                   validation_split=0.3)
    training = generator.flow_from_dataframe(frame, str(tmp_path), y_col="animal",
                                             target_size=(6, 6), batch_size=3,
                                             subset="training", seed=1)
    validation = generator.flow_from_dataframe(frame, str(tmp_path), y_col="animal",
                                               target_size=(6, 6), batch_size=3,
                                               subset="validation", shuffle=False)
    assert (training.n, validation.n) == (7, 2)
    model = lamina.Sequential([lamina.Input((6, 6, 3)), lamina.layers.Conv2D(2, 3),
                               lamina.layers.GlobalAveragePooling2D(),
                               lamina.layers.Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(training, validation_data=validation, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert model.predict(validation, verbose=0).shape == (2, 3)


def test_flow_from_dataframe_errors_and_retired_options(tmp_path, capsys):
    frame = _dataframe_and_files(tmp_path)
    frame = frame[~frame["filename"].isin(["missing.png", "notes.txt"])]
    generator = ImageDataGenerator()
    with pytest.warns(DeprecationWarning, match="has_ext.*no effect"):
        iterator = generator.flow_from_dataframe(frame, str(tmp_path), y_col="animal",
                                                 target_size=(4, 6), has_ext=True)
    assert iterator.n == 9
    with pytest.warns(DeprecationWarning, match='use class_mode="raw"'):
        generator.flow_from_dataframe(frame, str(tmp_path), y_col="score", class_mode="other")
    with pytest.raises(TypeError, match=r"\['colour_mode'\].*Valid arguments.*color_mode"):
        generator.flow_from_dataframe(frame, str(tmp_path), colour_mode="rgb")
    with pytest.raises(ValueError, match="no column.*'label'.*Set x_col, y_col"):
        generator.flow_from_dataframe(frame, str(tmp_path), y_col="label")
    with pytest.raises(ValueError, match="exactly 2 classes; found 3"):
        generator.flow_from_dataframe(frame, str(tmp_path), y_col="animal", class_mode="binary")
    with pytest.raises(TypeError, match=r'class_mode="raw" for numeric'):
        generator.flow_from_dataframe(frame, str(tmp_path), y_col="age")
    with pytest.raises(TypeError, match="y_col as a list"):
        generator.flow_from_dataframe(frame, str(tmp_path), y_col="score",
                                      class_mode="multi_output")
    with pytest.raises(ValueError, match="validation_split=0.2"):
        generator.flow_from_dataframe(frame, str(tmp_path), y_col="animal", subset="training")
    with pytest.warns(UserWarning, match="`classes` is ignored"):
        generator.flow_from_dataframe(frame, str(tmp_path), y_col="score", class_mode="raw",
                                      classes=["a"])


def test_flow_from_dataframe_without_pandas(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("No module named 'pandas'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match="pip install pandas"):
        ImageDataGenerator().flow_from_dataframe(None)
