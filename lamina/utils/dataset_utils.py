"""What the `*_dataset_from_directory` builders share, and `split_dataset`.

Directory indexing follows Keras exactly, so that the same directory and seed give the same
files, labels and training / validation split as Keras:

- with `labels="inferred"`, the class folders are the directory's sub-folders not starting
  with ".", sorted (or `class_names`, in the order given); otherwise the whole tree is one
  group and folder names don't matter;
- each folder is walked recursively (`os.walk`), folders in sorted order, files sorted within
  a folder; a file is kept when its name, lower-cased, ends with an allowed extension;
- with `shuffle=True`, the list of paths and the labels are permuted by
  `np.random.RandomState(seed).shuffle` (the builders draw `seed = np.random.randint(1e6)`
  when none is given), then `validation_split` keeps the last `int(validation_split * n)`
  files for validation and the rest for training.
"""

import os

import numpy as np
import torch
from torch.utils import data as torch_data

from lamina.registry.export import keras_export
from lamina.utils import batched_dataset

LABEL_MODES = ("int", "categorical", "binary", None)
SUBSETS = ("training", "validation", "both")


# ---------------------------------------------------------------- directory indexing


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True):
    """List the files of `directory` with allowed extensions, and their labels.

    Args:
        directory: the folder to index.
        labels: "inferred" (one class per sub-folder), None, or a list of integer labels,
            one per file in the sorted order described in this module's docstring.
        formats: allowed extensions, lower case, e.g. `(".png", ".jpg")`.
        class_names: with `labels="inferred"`, the sub-folders to use, in label order.
        shuffle, seed: permute the files (see the module docstring).
        follow_links: walk into folders that are symbolic links.
        verbose: print "Found N files belonging to K classes."

    Returns:
        `(file_paths, labels, class_names)`: paths (str), an int array of labels (None
        without labels), the class names (None without labels).
    """
    if not os.path.isdir(directory):
        raise ValueError(f"`directory` must be an existing folder. Received: {directory!r}.")
    formats = tuple(formats)
    if labels == "inferred":
        folders = [name for name in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
        if class_names is not None:
            unknown = sorted(set(class_names) - set(folders))
            if unknown:
                raise ValueError(
                    f"`class_names` must name sub-folders of {directory!r}. These are not: "
                    f"{unknown}. The sub-folders are: {folders}."
                )
            folders = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(
                "`class_names` can only be given with labels='inferred' (it names the "
                f"sub-folders to use). Received: labels={_short(labels)}, "
                f"class_names={class_names!r}."
            )
        folders = [""]  # the whole tree, as one group
    file_paths, file_labels = [], []
    for label, folder in enumerate(folders):
        for path in _walk_files(os.path.join(directory, folder), follow_links, formats):
            file_paths.append(path)
            file_labels.append(label)

    if labels == "inferred":
        labels = np.asarray(file_labels, dtype="int32")
        class_names = list(folders)
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(file_paths):
            raise ValueError(
                f"`labels` must have one label per file: {len(file_paths)} files were found in "
                f"{directory!r} but len(labels) is {len(labels)}."
            )
        labels = np.asarray(labels)
        class_names = [str(label) for label in sorted(set(labels.tolist()))]
    if verbose:
        if labels is None:
            print(f"Found {len(file_paths)} files.")
        else:
            print(f"Found {len(file_paths)} files belonging to {len(class_names)} classes.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        order = np.arange(len(file_paths))
        np.random.RandomState(seed).shuffle(order)  # the permutation Keras applies
        file_paths = [file_paths[i] for i in order]
        if labels is not None:
            labels = labels[order]
    return file_paths, labels, class_names


def _walk_files(folder, follow_links, formats):
    """Paths of the allowed files under `folder`: folders sorted, files sorted in each."""
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda w: w[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield os.path.join(root, name)


def check_validation_split_arg(validation_split, subset, shuffle, seed):
    """The checks Keras makes on `validation_split` / `subset` / `seed`."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            "`validation_split` must be a number strictly between 0 and 1. Received: "
            f"validation_split={validation_split!r}."
        )
    if subset not in SUBSETS + (None,):
        raise ValueError(
            f"`subset` must be one of {SUBSETS} (or None). Received: subset={subset!r}."
        )
    if bool(validation_split) != bool(subset):
        raise ValueError(
            "`validation_split` and `subset` go together: pass both or neither. Received: "
            f"validation_split={validation_split!r}, subset={subset!r}."
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "With `validation_split` and shuffle=True, pass a `seed`, so that the training "
            "and validation subsets (made by separate calls) do not overlap."
        )


def get_training_or_validation_split(samples, labels, validation_split, subset):
    """The training part (all but the last `int(validation_split * n)`) or the validation
    part (those last ones) of `samples` and `labels`; everything without a split."""
    if not validation_split:
        return samples, labels
    num_validation = int(validation_split * len(samples))
    if subset == "training":
        print(f"Using {len(samples) - num_validation} files for training.")
        part = slice(0, len(samples) - num_validation)
    elif subset == "validation":
        print(f"Using {num_validation} files for validation.")
        part = slice(len(samples) - num_validation, len(samples))
    else:
        raise ValueError(
            f"`subset` must be 'training' or 'validation' here. Received: subset={subset!r}."
        )
    return samples[part], None if labels is None else labels[part]


def labels_to_array(labels, label_mode, num_classes):
    """Integer labels -> Keras's label encodings: int32 `(n,)` for "int", float32 `(n, 1)`
    for "binary", one-hot float32 `(n, num_classes)` for "categorical" (a label outside
    `[0, num_classes)` gives a row of zeros, as tf.one_hot does)."""
    labels = np.asarray(labels)
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        return (labels[:, None] == np.arange(num_classes)[None, :]).astype("float32")
    return labels.astype("int32")


# ---------------------------------------------------------------- the builders' common flow


def check_labels_args(labels, label_mode, class_names, what):
    """Validate `labels`, `label_mode` and `class_names` as Keras's builders do."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple, np.ndarray)):
            raise ValueError(
                f"`labels` must be 'inferred' (labels from the sub-folder names), None (no "
                f"labels), or a list of integer labels, one per {what} in the directory. "
                f"Received: labels={_short(labels)}."
            )
        if class_names:
            raise ValueError(
                "`class_names` can only be given with labels='inferred'. Received: "
                f"labels={_short(labels)}, class_names={class_names!r}."
            )
    if label_mode not in LABEL_MODES:
        raise ValueError(
            f"`label_mode` must be one of {LABEL_MODES}. Received: label_mode={label_mode!r}."
        )


def check_format(format):
    """Keras's builders take `format="tf"` or `"grain"`; lamina returns its own dataset for
    both, so that code written for either runs."""
    if format not in ("tf", "grain"):
        raise ValueError(
            f"`format` must be 'tf' or 'grain' (both give a lamina BatchedDataset). Received: "
            f"format={format!r}."
        )


def dataset_from_directory(directory, labels, label_mode, class_names, formats, batch_size,
                           shuffle, seed, validation_split, subset, follow_links, verbose,
                           load_file, collate, what):
    """Index `directory` and build the dataset (or the training and validation datasets).

    `load_file(path)` reads one file into a sample; `collate` batches samples; `what` names
    the files in messages ("image files"). Returns one `BatchedDataset`, or a list of two
    with `subset="both"`.
    """
    check_labels_args(labels, label_mode, class_names, what)
    if labels is None or label_mode is None:
        labels = label_mode = None
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    if batch_size is not None:
        batch_size = batched_dataset._check_positive(batch_size, "batch_size")
    if seed is None:
        seed = np.random.randint(1e6)  # drawn as Keras does, so np.random.seed() fixes it
    file_paths, labels, class_names = index_directory(
        directory, labels, formats, class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f"label_mode='binary' needs exactly 2 classes. Found {len(class_names)}: "
            f"{class_names}. Use label_mode='int' or 'categorical' for more classes."
        )
    encoded = None if labels is None else labels_to_array(labels, label_mode, len(class_names))

    def build(part, shuffled, name):
        paths, part_labels = get_training_or_validation_split(file_paths, encoded,
                                                              validation_split, part)
        if not paths:
            raise ValueError(
                f"No {name}{what} found in directory {directory!r}. Allowed formats: "
                f"{formats}."
            )
        dataset = files_to_dataset(paths, part_labels, load_file, collate, batch_size,
                                   shuffled, seed)
        dataset.class_names = class_names
        dataset.file_paths = list(paths)
        return dataset

    if subset == "both":
        return [build("training", shuffle, "training "), build("validation", False,
                                                                "validation ")]
    return build(subset, shuffle, "")


def files_to_dataset(paths, labels, load_file, collate, batch_size, shuffle, seed):
    """A dataset reading `paths[i]` (with `labels[i]`) on demand, shuffled, then batched."""
    samples = batched_dataset.Samples(len(paths), FileSamples(paths, labels, load_file),
                                      collate=collate)
    dataset = samples.shuffle(len(paths), seed=seed) if shuffle else samples
    return dataset if batch_size is None else dataset.batch(batch_size)


class FileSamples:
    """`i -> load_file(paths[i])`, with `labels[i]` when there are labels.

    A class rather than a closure so that datasets can be pickled (DataLoader workers and
    `use_multiprocessing=True` on platforms that spawn processes).
    """

    def __init__(self, paths, labels, load_file):
        self.paths, self.labels, self.load_file = list(paths), labels, load_file

    def __call__(self, index):
        sample = self.load_file(self.paths[index])
        return sample if self.labels is None else (sample, self.labels[index])


def _short(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---------------------------------------------------------------- split_dataset


@keras_export("utils.split_dataset")
def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Split a dataset into a left and a right part (e.g. training and test).

    Args:
        dataset: a numpy array, a tuple / list / dict of arrays of the same length, a
            `torch.utils.data.Dataset`, or a lamina `BatchedDataset`.
        left_size: a float in (0, 1) (a fraction of the samples) or an int (a number of
            samples) for the left part; None for the complement of `right_size`.
        right_size: the same for the right part; None for the complement of `left_size`.
        shuffle: permute the samples before splitting.
        seed: seed of the permutation.

    Returns:
        `(left, right)`. The left part holds the first `left_size` samples (of the permuted
        order with `shuffle=True`) and the right part the last `right_size`. The order is
        `torch.randperm(n, generator=torch.Generator().manual_seed(seed))`, the one Keras's
        torch backend uses, so the same seed splits as Keras on torch does.

        - arrays (and tuples / lists / dicts of arrays) and torch Datasets give two
          `torch.utils.data.Subset`s, as Keras on its torch backend does: `len()` is the
          number of samples, and `fit` batches them (`batch_size=`). A sample of arrays is a
          tuple of tensors (a dict for a dict of arrays).
        - a `BatchedDataset` gives two `BatchedDataset`s, re-batched with its batch size
          when it was batched. A dataset that reshuffles at every pass is read once, in its
          current pass, and kept in memory, so that the two parts never share a sample.

    Differs from Keras: with `shuffle=False`, Keras's torch backend still splits in a random
    order; lamina keeps the order (as Keras's documentation and other backends do).
    """
    samples, rebuild = _as_samples(dataset)
    total = len(samples)
    left_size, right_size = split_sizes(left_size, right_size, total)
    if shuffle:
        generator = torch.Generator()
        if seed is None:
            generator.seed()
        else:
            generator.manual_seed(int(seed))
        order = torch.randperm(total, generator=generator).tolist()
    else:
        order = list(range(total))
    return rebuild(order[:left_size]), rebuild(order[total - right_size:])


def _as_samples(dataset):
    """(indexable samples, `indices -> one part`) for each kind of dataset."""
    if isinstance(dataset, batched_dataset.BatchedDataset):
        batch_size = dataset._batch_size
        samples = dataset.unbatch() if batch_size is not None else dataset
        if samples._reshuffles:  # freeze one pass, or the parts would overlap next pass
            samples = samples.cache()
            for index in range(len(samples)):
                samples[index]
            samples.on_epoch_end()

        def rebuild(indices):
            part = batched_dataset.select(samples, indices)
            return part if batch_size is None else part.batch(batch_size)
        return samples, rebuild
    if isinstance(dataset, torch_data.Dataset):
        if not hasattr(dataset, "__len__"):
            raise TypeError(
                "split_dataset() needs a dataset with a length; an IterableDataset has none. "
                "Collect its samples into arrays first."
            )
        return dataset, lambda indices: torch_data.Subset(dataset, indices)
    arrays_dataset = _ArraysDataset(dataset)
    return arrays_dataset, lambda indices: torch_data.Subset(arrays_dataset, indices)


class _ArraysDataset(torch_data.Dataset):
    """Samples of an array, or of a tuple / list / dict of arrays of one length."""

    def __init__(self, data):
        if isinstance(data, dict):
            keys, arrays = list(data), list(data.values())
        elif isinstance(data, tuple) or (isinstance(data, list) and data and all(
                isinstance(a, (np.ndarray, torch.Tensor)) for a in data)):
            keys, arrays = None, list(data)
        elif hasattr(data, "__len__") and not isinstance(data, (str, bytes)):
            keys, arrays = None, [data]
        else:
            raise TypeError(
                "split_dataset() takes a numpy array, a tuple / list / dict of arrays, a "
                "torch.utils.data.Dataset or a lamina BatchedDataset. Received: "
                f"{type(data).__name__}."
            )
        arrays = [_as_tensor_or_text(a) for a in arrays]
        lengths = [len(a) for a in arrays]
        if not arrays or len(set(lengths)) != 1 or lengths[0] == 0:
            raise ValueError(
                "split_dataset(): the arrays must be non-empty and have the same length. "
                f"Received lengths {lengths}."
            )
        self._keys, self._tensors = keys, arrays

    def __len__(self):
        return len(self._tensors[0])

    def __getitem__(self, index):
        values = tuple(t[index] for t in self._tensors)
        return dict(zip(self._keys, values)) if self._keys is not None else values


def _as_tensor_or_text(array):
    if isinstance(array, torch.Tensor):
        return array
    array = np.asarray(array)
    if array.ndim == 0:
        raise ValueError(
            "split_dataset() splits arrays along their first axis; received a scalar "
            f"({array!r})."
        )
    return array if array.dtype.kind in "USO" else torch.as_tensor(array)


def split_sizes(left_size, right_size, total):
    """Keras's rules: fractions are rounded (`round(f * total)`), a missing size is the
    complement, and neither part may be empty."""
    for name, value in (("left_size", left_size), ("right_size", right_size)):
        if value is None:
            continue
        if type(value) not in (int, float):
            raise TypeError(
                f"`{name}` must be an int, a float or None. Received: {name}={value!r} of type "
                f"{type(value).__name__}."
            )
        if (type(value) is int and not 0 < value < total) or (
                type(value) is float and not 0 < value < 1):
            raise ValueError(
                f"`{name}` must be a positive int smaller than the number of samples "
                f"({total}), or a float strictly between 0 and 1. Received: {name}={value!r}."
            )
    if left_size is None and right_size is None:
        raise ValueError("Pass `left_size`, `right_size` or both to split_dataset().")
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError(
            f"`left_size` + `right_size` must not exceed 1. Received: left_size={left_size}, "
            f"right_size={right_size}."
        )
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(
            f"The two parts would hold {left} + {right} samples, more than the {total} "
            f"available. Received: left_size={left_size!r}, right_size={right_size!r}."
        )
    if left == 0 or right == 0:
        raise ValueError(
            f"With {total} samples, left_size={left_size!r} and right_size={right_size!r} "
            f"leave the {'left' if left == 0 else 'right'} part empty. Adjust the sizes."
        )
    return int(left), int(right)
