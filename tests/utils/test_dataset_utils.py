"""Directory indexing and splits against Keras's recorded results, and split_dataset.

Fixtures: tests/fixtures/utils_data/make_fixtures.py (run with Keras 3.15.1).
"""

import json
import os
import pathlib

import numpy as np
import pytest
import torch
from torch.utils import data as torch_data

from lamina.utils import dataset_utils
from lamina.utils.image_dataset_utils import ALLOWLIST_FORMATS, image_dataset_from_directory
from lamina.utils.text_dataset_utils import text_dataset_from_directory
from lamina.utils.timeseries_dataset_utils import timeseries_dataset_from_array

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "utils_data"
KERAS = json.loads((FIXTURES / "keras_index_directory.json").read_text())
CASES = KERAS["index"]


@pytest.fixture
def tree(tmp_path):
    for relative in KERAS["tree"]:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    return tmp_path


def _relative(paths, root):
    return [os.path.relpath(p, root) for p in paths]


def _check(result, root, case):
    paths, labels, class_names = result
    assert _relative(paths, root) == case["paths"]
    assert (None if labels is None else labels.tolist()) == case["labels"]
    assert class_names == case["class_names"]


@pytest.mark.parametrize("name, kwargs", [
    ("inferred_sorted", dict(labels="inferred", shuffle=False)),
    ("inferred_seed_1337", dict(labels="inferred", shuffle=True, seed=1337)),
    ("class_names_subset", dict(labels="inferred", class_names=["c_class", "a_class"],
                                shuffle=False)),
    ("no_labels_sorted", dict(labels=None, shuffle=False)),
    ("no_labels_seed_5", dict(labels=None, shuffle=True, seed=5)),
    ("text_formats_sorted", dict(labels="inferred", formats=(".txt",), shuffle=False)),
])
def test_index_directory_matches_keras(tree, name, kwargs):
    kwargs.setdefault("formats", ALLOWLIST_FORMATS)
    _check(dataset_utils.index_directory(str(tree), verbose=False, **kwargs), tree, CASES[name])


def test_explicit_labels_follow_the_files_and_are_not_modified(tree):
    case = CASES["explicit_labels_seed_2"]
    given = list(case["given_labels"])
    _check(dataset_utils.index_directory(str(tree), given, ALLOWLIST_FORMATS, seed=2,
                                         verbose=False), tree, case)
    assert given == case["given_labels"]


def test_builders_report_keras_file_order_and_split(tree, capsys):
    full = image_dataset_from_directory(str(tree), seed=1337, batch_size=4)
    assert _relative(full.file_paths, tree) == CASES["inferred_seed_1337"]["paths"]
    assert capsys.readouterr().out == "Found 10 files belonging to 3 classes.\n"
    train, val = image_dataset_from_directory(str(tree), seed=1337, validation_split=0.3,
                                              subset="both")
    assert _relative(train.file_paths, tree) == CASES["split_0.3_training"]["paths"]
    assert _relative(val.file_paths, tree) == CASES["split_0.3_validation"]["paths"]
    assert capsys.readouterr().out == ("Found 10 files belonging to 3 classes.\n"
                                       "Using 7 files for training.\nUsing 3 files for "
                                       "validation.\n")
    only_val = image_dataset_from_directory(str(tree), seed=1337, validation_split=0.3,
                                            subset="validation", verbose=False)
    assert only_val.file_paths == val.file_paths
    assert train.class_names == val.class_names == ["a_class", "b_class", "c_class"]


def test_unseeded_builder_draws_its_seed_from_numpy_like_keras(tree):
    np.random.seed(7)
    dataset = image_dataset_from_directory(str(tree), verbose=False)
    assert _relative(dataset.file_paths, tree) == CASES["inferred_np_seed_7"]["paths"]


def test_text_builder_indexes_txt_files(tree):
    dataset = text_dataset_from_directory(str(tree), shuffle=False, verbose=False,
                                          format="grain")  # Keras's format= is accepted
    assert _relative(dataset.file_paths, tree) == CASES["text_formats_sorted"]["paths"]


@pytest.mark.parametrize("kwargs, match", [
    (dict(validation_split=1.5, subset="training", seed=1), "strictly between 0 and 1"),
    (dict(validation_split=0.2), "pass both or neither"),
    (dict(subset="training"), "pass both or neither"),
    (dict(validation_split=0.2, subset="train", seed=1), "must be one of"),
    (dict(validation_split=0.2, subset="training"), "pass a `seed`"),
    (dict(labels="folders"), "'inferred'"),
    (dict(labels=[0, 1], class_names=["a"]), "only be given with labels='inferred'"),
    (dict(label_mode="sparse"), "label_mode"),
    (dict(class_names=["a_class", "zzz"]), r"not: \['zzz'\]"),
    (dict(labels=[0, 1, 2]), "one label per file"),
    (dict(label_mode="binary"), "exactly 2 classes"),
    (dict(batch_size=0), "batch_size"),
    (dict(format="torch"), "format"),
])
def test_builder_argument_errors(tree, kwargs, match):
    with pytest.raises(ValueError, match=match):
        image_dataset_from_directory(str(tree), verbose=False, **kwargs)


def test_missing_directory_and_empty_directory(tmp_path):
    with pytest.raises(ValueError, match="existing folder"):
        image_dataset_from_directory(str(tmp_path / "nope"))
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="No image files found"):
        image_dataset_from_directory(str(tmp_path), verbose=False)


def test_labels_to_array_encodings():
    labels = np.array([0, 2, 1, 3])
    assert dataset_utils.labels_to_array(labels, "int", 3).dtype == np.int32
    binary = dataset_utils.labels_to_array(np.array([0, 1]), "binary", 2)
    assert binary.dtype == np.float32 and binary.tolist() == [[0.0], [1.0]]
    onehot = dataset_utils.labels_to_array(labels, "categorical", 3)
    # A label outside [0, num_classes) is a row of zeros, as tf.one_hot makes it.
    assert onehot.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0]]


# ---------------------------------------------------------------- split_dataset


@pytest.mark.parametrize("left, right, total, expected", KERAS["split_dataset"]["sizes"])
def test_split_sizes_match_keras(left, right, total, expected):
    assert list(dataset_utils.split_sizes(left, right, total)) == expected


@pytest.mark.parametrize("left, right, match", [
    (None, None, "Pass `left_size`"), (0, 0.5, "positive int"), (10, None, "positive int"),
    (1.0, None, "strictly between"), (0.6, 0.6, "must not exceed 1"), (6, 5, "more than"),
    ("3", None, "must be an int"), (0.01, None, "left part empty"),
])
def test_split_sizes_errors(left, right, match):
    error = TypeError if isinstance(left, str) else ValueError
    with pytest.raises(error, match=match):
        dataset_utils.split_sizes(left, right, 10)


@pytest.mark.parametrize("case", KERAS["split_dataset"]["orders"], ids=lambda c: str(c["seed"]))
def test_split_dataset_shuffled_order_matches_keras_torch(case):
    data = np.arange(case["total"]) * 10
    left, right = dataset_utils.split_dataset(data, left_size=case["left_size"], shuffle=True,
                                              seed=case["seed"])
    assert isinstance(left, torch_data.Subset)
    assert [int(left[i][0]) for i in range(len(left))] == [10 * v for v in case["left"]]
    assert [int(right[i][0]) for i in range(len(right))] == [10 * v for v in case["right"]]


def test_split_dataset_unshuffled_keeps_order_for_each_kind():
    x, y = np.arange(10.0).reshape(10, 1), np.arange(10)
    left, right = dataset_utils.split_dataset((x, y), left_size=0.6, right_size=0.3)
    assert (len(left), len(right)) == (6, 3)
    assert [int(right[i][1]) for i in range(3)] == [7, 8, 9]  # the last right_size samples
    left, right = dataset_utils.split_dataset({"a": x, "b": y}, right_size=2)
    assert set(right[0]) == {"a", "b"} and int(right[0]["b"]) == 8
    left, _ = dataset_utils.split_dataset([x, y], left_size=3)
    assert torch.equal(left[2][0], torch.tensor([2.0], dtype=torch.float64))
    torch_dataset = torch_data.TensorDataset(torch.arange(5))
    left, right = dataset_utils.split_dataset(torch_dataset, left_size=2)
    assert [int(right[i][0]) for i in range(3)] == [2, 3, 4]


def test_split_dataset_of_a_batched_dataset_rebatches_without_overlap():
    series = timeseries_dataset_from_array(np.arange(40), np.arange(40), sequence_length=3,
                                           batch_size=5, shuffle=True, seed=0)
    left, right = dataset_utils.split_dataset(series, left_size=0.75, shuffle=True, seed=1)
    left_targets = torch.cat([y for _, y in left]).tolist()
    right_targets = torch.cat([y for _, y in right]).tolist()
    assert (len(left_targets), len(right_targets)) == (28, 10)
    assert sorted(left_targets + right_targets) == list(range(38))
    assert [x.shape[0] for x, _ in left] == [5] * 5 + [3]
    # A second pass reads the same samples (the reshuffling source was frozen).
    assert sorted(torch.cat([y for _, y in left]).tolist()) == sorted(left_targets)


def test_split_dataset_rejects_what_it_cannot_split():
    with pytest.raises(TypeError, match="split_dataset"):
        dataset_utils.split_dataset(3, left_size=0.5)
    with pytest.raises(ValueError, match="same length"):
        dataset_utils.split_dataset((np.zeros(3), np.zeros(4)), left_size=0.5)
