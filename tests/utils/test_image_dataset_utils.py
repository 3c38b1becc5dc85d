"""image_dataset_from_directory: pixels against Keras's TensorFlow-free loader, labels, shapes,
and use with fit / evaluate / predict.

Fixtures: tests/fixtures/utils_data/make_fixtures.py (Keras 3.15.1 on JAX).
"""

import pathlib
import pickle

import numpy as np
import pytest
import torch

import lamina
from lamina.utils.batched_dataset import BatchedDataset
from lamina.utils.image_dataset_utils import image_dataset_from_directory

PIL = pytest.importorskip("PIL.Image")

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "utils_data"
KERAS = dict(np.load(FIXTURES / "keras_images.npz"))


@pytest.fixture
def folders(tmp_path):
    """class_a holds the RGB 5x7 image and the grayscale one; class_b the RGB 6x4 and RGBA."""
    layout = {"class_a": ["rgb_5x7", "gray_4x6"], "class_b": ["rgb_6x4", "rgba_3x5"]}
    for folder, names in layout.items():
        (tmp_path / folder).mkdir()
        for name in names:
            PIL.fromarray(KERAS[f"source/{name}"]).save(tmp_path / folder / f"{name}.png")
    return tmp_path


def _load(folders, **kwargs):
    kwargs.setdefault("shuffle", False)
    kwargs.setdefault("verbose", False)
    return image_dataset_from_directory(str(folders), **kwargs)


@pytest.mark.parametrize("fixture, size, kwargs", [
    ("rgb_5x7_to_4x4_bilinear", (4, 4), {}),
    ("rgb_5x7_to_3x5_nearest", (3, 5), {"interpolation": "nearest"}),
    ("rgb_5x7_to_4x4_crop", (4, 4), {"crop_to_aspect_ratio": True}),
    ("rgb_5x7_to_4x4_pad", (4, 4), {"pad_to_aspect_ratio": True}),
    ("rgb_5x7_to_4x4_channels_first", (4, 4), {"data_format": "channels_first"}),
    ("rgb_5x7_as_gray_3x3", (3, 3), {"color_mode": "grayscale"}),
])
def test_pixels_match_keras(folders, fixture, size, kwargs):
    # Sorted order: class_a/gray_4x6.png, class_a/rgb_5x7.png, class_b/...
    images, labels = _load(folders, image_size=size, batch_size=4, **kwargs)[0]
    assert images.dtype == torch.float32 and labels.tolist() == [0, 0, 1, 1]
    np.testing.assert_allclose(images[1].numpy(), KERAS[f"load/{fixture}"], atol=1e-4)


def test_grayscale_source_as_rgb_and_rgba_source(folders):
    images = _load(folders, image_size=(4, 6), labels=None, batch_size=None)
    np.testing.assert_allclose(images[0].numpy(), KERAS["load/gray_4x6_as_rgb_4x6"], atol=1e-4)
    rgba = _load(folders, image_size=(3, 5), color_mode="rgba", label_mode=None)[0]
    np.testing.assert_allclose(rgba[3].numpy(), KERAS["load/rgba_3x5_as_rgba_3x5"], atol=1e-4)


@pytest.mark.parametrize("label_mode, dtype, expected", [
    ("int", torch.int32, [0, 0, 1, 1]),
    ("categorical", torch.float32, [[1, 0], [1, 0], [0, 1], [0, 1]]),
    ("binary", torch.float32, [[0], [0], [1], [1]]),
])
def test_label_modes(folders, label_mode, dtype, expected):
    dataset = _load(folders, image_size=(2, 2), label_mode=label_mode)
    assert isinstance(dataset, BatchedDataset) and len(dataset) == 1
    images, labels = dataset[0]
    assert images.shape == (4, 2, 2, 3)
    assert labels.dtype == dtype and labels.tolist() == expected
    assert dataset.class_names == ["class_a", "class_b"]


def test_labels_list_class_names_order_and_no_labels(folders):
    _, labels = _load(folders, image_size=(2, 2), labels=[2, 0, 5, 2])[0]
    assert labels.tolist() == [2, 0, 5, 2]
    assert _load(folders, labels=[2, 0, 5, 2]).class_names == ["0", "2", "5"]
    reordered = _load(folders, image_size=(2, 2), class_names=["class_b", "class_a"])
    assert reordered[0][1].tolist() == [0, 0, 1, 1]
    assert [p.split("/")[-2] for p in reordered.file_paths] == ["class_b"] * 2 + ["class_a"] * 2
    images = _load(folders, image_size=(2, 2), labels=None)[0]
    assert isinstance(images, torch.Tensor) and images.shape == (4, 2, 2, 3)
    assert _load(folders, image_size=(2, 2), label_mode=None)[0].shape == (4, 2, 2, 3)


def test_batches_shapes_and_unbatched(folders):
    dataset = _load(folders, image_size=3, batch_size=3)
    assert len(dataset) == 2
    assert [x.shape[0] for x, _ in dataset] == [3, 1]
    single = _load(folders, image_size=(3, 2), batch_size=None, data_format="channels_first")
    image, label = single[2]
    assert image.shape == (3, 3, 2) and label.dtype == torch.int32 and label.ndim == 0


def test_shuffle_is_seeded_and_changes_every_pass(folders):
    def passes(dataset):
        return [torch.cat([x.flatten(1).sum(1) for x, _ in dataset]).tolist() for _ in range(3)]

    first = passes(_load(folders, image_size=2, batch_size=2, shuffle=True, seed=3))
    again = passes(_load(folders, image_size=2, batch_size=2, shuffle=True, seed=3))
    assert first == again
    assert len({tuple(p) for p in first}) > 1  # not the same order every pass
    assert all(sorted(p) == sorted(first[0]) for p in first)


def test_argument_errors(folders):
    with pytest.raises(ValueError, match="color_mode"):
        _load(folders, color_mode="cmyk")
    with pytest.raises(ValueError, match="image_size"):
        _load(folders, image_size=(2, 2, 2))
    with pytest.raises(ValueError, match="TensorFlow-only"):
        _load(folders, interpolation="area")
    with pytest.raises(ValueError, match="interpolation"):
        _load(folders, interpolation="cubic")
    with pytest.raises(ValueError, match="at most one"):
        _load(folders, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="data_format"):
        _load(folders, data_format="channels_middle")


def _tiny_model(classes):
    model = lamina.Sequential([
        lamina.Input((4, 4, 3)), lamina.layers.Rescaling(1 / 255), lamina.layers.Flatten(),
        lamina.layers.Dense(classes)])
    model.compile("adam", lamina.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def test_fit_evaluate_predict_and_dataloader(folders):
    train, val = image_dataset_from_directory(str(folders), image_size=(4, 4), batch_size=2,
                                              validation_split=0.25, subset="both", seed=1,
                                              verbose=False)
    model = _tiny_model(2)
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and "val_accuracy" in history.history
    loss, accuracy = model.evaluate(val, verbose=0)
    assert np.isfinite(loss) and 0 <= accuracy <= 1
    assert model.predict(val, verbose=0).shape == (1, 2)
    unlabeled = _load(folders, image_size=(4, 4), labels=None, batch_size=3)
    assert model.predict(unlabeled, verbose=0).shape == (4, 2)
    augmented = train.map(lambda x, y: (255 - x, y), num_parallel_calls=-1).prefetch(-1)
    model.fit(augmented, epochs=1, verbose=0)
    loader = train.to_dataloader()
    assert isinstance(loader, torch.utils.data.DataLoader)
    assert sorted(len(x) for x, _ in loader) == [1, 2]
    model.fit(loader, epochs=1, verbose=0)


def test_pickles_for_spawned_workers(folders):
    dataset = _load(folders, image_size=(2, 2), batch_size=3, shuffle=True, seed=0)
    copy = pickle.loads(pickle.dumps(dataset))
    assert torch.equal(copy[1][0], dataset[1][0]) and copy.class_names == dataset.class_names
