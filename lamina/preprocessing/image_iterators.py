"""The batch iterators of Keras 2's ImageDataGenerator (lamina/preprocessing/
image_data_generator.py): `NumpyArrayIterator` (`flow`), `DirectoryIterator`
(`flow_from_directory`) and `DataFrameIterator` (`flow_from_dataframe`), all
`lamina.utils.PyDataset`s with Keras 2's endless `next()`.
"""

import math
import os
import threading
import warnings

import numpy as np

from lamina import config
from lamina.utils.py_dataset import PyDataset

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")
DIRECTORY_CLASS_MODES = ("categorical", "binary", "sparse", "input", None)
SUBSETS = ("training", "validation")


class Iterator(PyDataset):
    """Batches by index (a `PyDataset`), plus Keras 2's endless `next(iterator)`.

    The order is reshuffled after each epoch. With a `seed`, NumPy's global generator is seeded
    with `seed + batches served so far` before each batch, as Keras 2 did, so the order and
    the random transforms repeat from run to run."""

    white_list_formats = IMAGE_EXTENSIONS

    def __init__(self, n, batch_size, shuffle, seed, **kwargs):
        super().__init__(**kwargs)
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive integer. Received: {batch_size!r}.")
        self.n, self.batch_size, self.shuffle, self.seed = n, int(batch_size), shuffle, seed
        self.batch_index = 0
        self.total_batches_seen = 0
        self.index_array = None
        self.lock = threading.Lock()
        self.index_generator = self._flow_index()

    def _set_index_array(self):
        self.index_array = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def __getitem__(self, idx):
        if idx < 0:
            idx += len(self)
        if not 0 <= idx < len(self):
            raise IndexError(f"Batch {idx} asked of an iterator with {len(self)} batches: use "
                             f"an index from 0 to {len(self) - 1}.")
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        chosen = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(chosen)

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        self.batch_index = 0

    def _flow_index(self):
        # The endless sequence of index batches behind next(): the last batch of an epoch may
        # be short, and a new order is drawn when an epoch starts.
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            start = (self.batch_index * self.batch_size) % self.n if self.n else 0
            self.batch_index = self.batch_index + 1 if self.n > start + self.batch_size else 0
            self.total_batches_seen += 1
            yield self.index_array[start:start + self.batch_size]

    def __iter__(self):
        return self  # Keras 2's iterators never end: `for batch in it` needs a `break`

    def __next__(self):
        with self.lock:
            chosen = next(self.index_generator)
        return self._get_batches_of_transformed_samples(chosen)

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError(f"{type(self).__name__} must define "
                                  "`_get_batches_of_transformed_samples(index_array)`.")

    def _transformed(self, image):
        generator = self.image_data_generator
        params = generator.get_random_transform(image.shape)
        image = generator.apply_transform(image.astype(self.dtype), params)
        return generator.standardize(image)

    def _save_batch(self, batch_x, index_array):
        from lamina.utils.image_utils import array_to_img

        for image, index in zip(batch_x, index_array):
            name = f"{self.save_prefix}_{index}_{np.random.randint(10**4)}.{self.save_format}"
            array_to_img(image, self.data_format, scale=True).save(
                os.path.join(self.save_to_dir, name))

    def __getstate__(self):
        # Worker processes get a copy without the lock and the running generator.
        state = dict(self.__dict__)
        state.pop("lock", None)
        state.pop("index_generator", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.lock = threading.Lock()
        self.index_generator = self._flow_index()


class NumpyArrayIterator(Iterator):
    """Augmented batches of in-memory images `x` (rank 4), with `y` and `sample_weight`.

    `x` may also be `(images, extra)` with `extra` an array or a list of arrays, which are
    batched along (not transformed) and returned as `[images, *extra]`."""

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, data_format=None, save_to_dir=None,
                 save_prefix="", save_format="png", subset=None, ignore_class_split=False,
                 dtype=None, **kwargs):
        self.dtype = dtype or config.floatx()
        self.data_format = config.standardize_data_format(data_format)
        x, extras = _split_extras(x)
        _check_same_length(x, y, sample_weight, extras)
        if subset is not None:
            x, y, sample_weight, extras = _split_subset(
                x, y, sample_weight, extras, subset, image_data_generator._validation_split,
                ignore_class_split)
        self.x = np.asarray(x, dtype=self.dtype)
        if self.x.ndim != 4:
            raise ValueError("flow() expects images of rank 4 (samples, height, width, channels) "
                             f"or channels first. Received shape {self.x.shape}: add the channel "
                             "axis (e.g. `x[..., None]`) for grayscale images.")
        self.x_misc = extras
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, \
            save_format
        super().__init__(len(self.x), batch_size, shuffle, seed, **kwargs)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            batch_x[i] = self._transformed(self.x[j])
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        inputs = [batch_x] + [extra[index_array] for extra in self.x_misc] \
            if self.x_misc else batch_x
        if self.y is None:
            return inputs
        if self.sample_weight is None:
            return inputs, self.y[index_array]
        return inputs, self.y[index_array], self.sample_weight[index_array]


def _split_extras(x):
    if not isinstance(x, (tuple, list)):
        return x, []
    extras = x[1] if isinstance(x[1], list) else [x[1]]
    return x[0], [np.asarray(extra) for extra in extras]


def _check_same_length(x, y, sample_weight, extras):
    for name, other in [("y", y), ("sample_weight", sample_weight)] + \
            [("an extra input", extra) for extra in extras]:
        if other is not None and len(other) != len(x):
            raise ValueError(f"flow(): `x` has {len(x)} samples but {name} has {len(other)}; "
                             "give one entry per image.")


def _check_subset(subset, fraction):
    if subset not in SUBSETS:
        raise ValueError(f"`subset` must be 'training', 'validation' or None. Received: "
                         f"subset={subset!r}.")
    if not fraction:
        raise ValueError(f"subset={subset!r} needs a validation split: create the generator "
                         "with ImageDataGenerator(validation_split=0.2) (for example).")


def _split_subset(x, y, sample_weight, extras, subset, fraction, ignore_class_split):
    """The validation subset is the first `fraction` of the samples, training the rest."""
    _check_subset(subset, fraction)
    cut = int(len(x) * fraction)
    if y is not None and not ignore_class_split and not np.array_equal(
            np.unique(y[:cut]), np.unique(y[cut:])):
        raise ValueError("The training and validation subsets hold different classes after "
                         "the split: shuffle x and y together first (the split takes the first "
                         "samples for validation), or pass ignore_class_split=True.")
    part = slice(None, cut) if subset == "validation" else slice(cut, None)

    def take(a):
        return None if a is None else a[part]

    return take(x), take(y), take(sample_weight), [np.asarray(e[part]) for e in extras]


class _ImageFilesIterator(Iterator):
    """What the iterators over image files share (`DirectoryIterator`, `DataFrameIterator`):
    loading, resizing and transforming the images of a batch from `self._filepaths`, and the
    class targets of `self.classes` (an int per image, or for multi-label categorical data a
    list of ints)."""

    def _set_image_options(self, image_data_generator, target_size, color_mode, data_format,
                           save_to_dir, save_prefix, save_format, interpolation,
                           keep_aspect_ratio, dtype):
        if color_mode not in ("grayscale", "rgb", "rgba"):
            raise ValueError("`color_mode` must be 'grayscale', 'rgb' or 'rgba'. Received: "
                             f"color_mode={color_mode!r}.")
        self.image_data_generator = image_data_generator
        self.target_size, self.color_mode = tuple(target_size), color_mode
        self.interpolation, self.keep_aspect_ratio = interpolation, keep_aspect_ratio
        self.dtype = dtype or config.floatx()
        self.data_format = config.standardize_data_format(data_format)
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, \
            save_format
        channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
        self.image_shape = self.target_size + (channels,) \
            if self.data_format == "channels_last" else (channels,) + self.target_size

    @property
    def filepaths(self):
        return self._filepaths

    def _load_images(self, index_array):
        from lamina.utils.image_utils import img_to_array, load_img

        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            image = load_img(self._filepaths[j], color_mode=self.color_mode,
                             target_size=self.target_size, interpolation=self.interpolation,
                             keep_aspect_ratio=self.keep_aspect_ratio)
            batch_x[i] = self._transformed(img_to_array(image, data_format=self.data_format))
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        return batch_x

    def _class_targets(self, batch_x, index_array):
        """The targets of the modes built from `self.classes`: "categorical" (one-hot, or
        multi-hot where an image has a list of classes), "binary" and "sparse" (the class
        index as a float), and "input" (the images themselves)."""
        if self.class_mode == "input":
            return batch_x.copy()
        if self.class_mode == "categorical":
            batch_y = np.zeros((len(batch_x), len(self.class_indices)), dtype=self.dtype)
            for i, j in enumerate(index_array):
                batch_y[i, self.classes[j]] = 1.0
            return batch_y
        return np.array([self.classes[j] for j in index_array], dtype=self.dtype)


class DirectoryIterator(_ImageFilesIterator):
    """Augmented batches of the images in `directory/<class name>/...` (class names sorted)."""

    allowed_class_modes = set(DIRECTORY_CLASS_MODES)

    def __init__(self, directory, image_data_generator, target_size=(256, 256),
                 color_mode="rgb", classes=None, class_mode="categorical", batch_size=32,
                 shuffle=True, seed=None, data_format=None, save_to_dir=None, save_prefix="",
                 save_format="png", follow_links=False, subset=None, interpolation="nearest",
                 keep_aspect_ratio=False, dtype=None, **kwargs):
        if class_mode not in DIRECTORY_CLASS_MODES:
            raise ValueError(f"`class_mode` must be one of {DIRECTORY_CLASS_MODES}. Received: "
                             f"class_mode={class_mode!r}.")
        self._set_image_options(image_data_generator, target_size, color_mode, data_format,
                                save_to_dir, save_prefix, save_format, interpolation,
                                keep_aspect_ratio, dtype)
        if not os.path.isdir(directory):
            raise ValueError(f"flow_from_directory(): {directory!r} is not a directory; give "
                             "the folder that holds one subfolder per class.")
        self.directory, self.class_mode = directory, class_mode
        self.subset = subset
        self.split = _directory_split(subset, image_data_generator._validation_split)
        if not classes:
            classes = sorted(d for d in os.listdir(directory)
                             if os.path.isdir(os.path.join(directory, d)))
        self.num_classes = len(classes)
        self.class_indices = {name: i for i, name in enumerate(classes)}
        self.filenames, labels = [], []
        for name in classes:
            found = _class_files(directory, name, self.split, follow_links)
            self.filenames += found
            labels += [self.class_indices[name]] * len(found)
        self.classes = np.array(labels, dtype="int32")
        self.samples = len(self.filenames)
        self._filepaths = [os.path.join(directory, name) for name in self.filenames]
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        super().__init__(self.samples, batch_size, shuffle, seed, **kwargs)

    @property
    def labels(self):
        return self.classes

    @property
    def sample_weight(self):
        return None

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = self._load_images(index_array)
        if self.class_mode is None:
            return batch_x
        return batch_x, self._class_targets(batch_x, index_array)


def _directory_split(subset, fraction):
    """The (start, stop) fraction of each class's files a subset reads, or None for all."""
    if subset is None:
        return None
    _check_subset(subset, fraction)
    return (0, fraction) if subset == "validation" else (fraction, 1)


def _class_files(directory, class_name, split, follow_links):
    """The image files under directory/class_name (recursively, sorted), relative to
    `directory`; with `split`, the slice of them that the subset reads."""
    root_dir = os.path.join(directory, class_name)
    found = []
    for root, _, files in sorted(os.walk(root_dir, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                path = os.path.join(root, name)
                found.append(os.path.join(class_name, os.path.relpath(path, root_dir)))
    if split is not None:
        found = found[int(split[0] * len(found)):int(split[1] * len(found))]
    return found


DATAFRAME_CLASS_MODES = ("categorical", "binary", "sparse", "input", "raw", "multi_output", None)
# Modes whose targets do not come from class names, so `classes` has no use with them.
_LABEL_FREE_MODES = ("input", "raw", "multi_output", None)


class DataFrameIterator(_ImageFilesIterator):
    """Augmented batches of the image files named in a pandas DataFrame (`flow_from_dataframe`).

    `dataframe[x_col]` holds file names, relative to `directory` (or full paths when
    `directory` is None); `y_col` holds the targets: class names ("categorical" also takes a
    list of names per image, for multi-label data), numbers ("raw": one column or a list of
    them) or one target per column ("multi_output"). Rows keep the DataFrame's order. With
    `validate_filenames`, rows whose file is missing or not an image are dropped (with a
    warning). `classes` and `class_indices` are only set for the modes built from class names
    ("categorical", "binary", "sparse"); otherwise they are None and {}."""

    allowed_class_modes = set(DATAFRAME_CLASS_MODES)

    def __init__(self, dataframe, directory=None, image_data_generator=None, x_col="filename",
                 y_col="class", weight_col=None, target_size=(256, 256), color_mode="rgb",
                 classes=None, class_mode="categorical", batch_size=32, shuffle=True, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png",
                 subset=None, interpolation="nearest", keep_aspect_ratio=False, dtype=None,
                 validate_filenames=True, **kwargs):
        self._set_image_options(image_data_generator, target_size, color_mode, data_format,
                                save_to_dir, save_prefix, save_format, interpolation,
                                keep_aspect_ratio, dtype)
        self.directory, self.class_mode, self.subset = directory or "", class_mode, subset
        fraction = getattr(image_data_generator, "_validation_split", 0.0)
        self.split = _directory_split(subset, fraction)
        _check_dataframe(dataframe, x_col, y_col, weight_col, classes, class_mode)
        df = dataframe.copy()  # the rows are filtered below; the caller's frame stays whole
        if validate_filenames:
            df = self._drop_invalid_files(df, x_col)
        self.classes, self.class_indices = None, {}
        if class_mode not in _LABEL_FREE_MODES:
            df, classes = _keep_known_classes(df, y_col, classes)
            self.class_indices = {name: i for i, name in enumerate(classes)}
        if self.split is not None:
            # Unlike flow_from_directory (split per class), the rows are split as they come:
            # validation reads the first `validation_split` of them.
            df = df.iloc[int(self.split[0] * len(df)):int(self.split[1] * len(df))]
        if class_mode not in _LABEL_FREE_MODES:
            self.classes = [[self.class_indices[name] for name in label]
                            if isinstance(label, (list, tuple)) else self.class_indices[label]
                            for label in df[y_col]]
        self.filenames = df[x_col].tolist()
        self._sample_weight = df[weight_col].values if weight_col else None
        if class_mode == "multi_output":
            self._targets = [np.array(df[column].tolist()) for column in y_col]
        elif class_mode == "raw":
            self._targets = df[y_col].values
        self.samples = len(self.filenames)
        checked = "validated" if validate_filenames else "non-validated"
        message = f"Found {self.samples} {checked} image filenames"
        if class_mode not in _LABEL_FREE_MODES:
            message += f" belonging to {len(self.class_indices)} classes"
        print(message + ".")
        self._filepaths = [os.path.join(self.directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed, **kwargs)

    def _drop_invalid_files(self, df, x_col):
        paths = df[x_col].map(lambda name: os.path.join(self.directory, name))
        valid = paths.map(lambda path: path.lower().endswith(self.white_list_formats)
                          and os.path.isfile(path)).astype(bool)
        if not valid.all():
            warnings.warn(f"Found {int((~valid).sum())} invalid image filename(s) in "
                          f"x_col={x_col!r} (missing files, or not {'/'.join(IMAGE_EXTENSIONS)}"
                          "): they are skipped. Check `directory` and the file names, or "
                          "remove those rows.", stacklevel=3)
        return df[valid]

    @property
    def labels(self):
        return self._targets if self.class_mode in ("raw", "multi_output") else self.classes

    @property
    def sample_weight(self):
        return self._sample_weight

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = self._load_images(index_array)
        if self.class_mode is None:
            return batch_x
        if self.class_mode == "raw":
            batch_y = self._targets[index_array]
        elif self.class_mode == "multi_output":
            batch_y = [target[index_array] for target in self._targets]
        else:
            batch_y = self._class_targets(batch_x, index_array)
        if self._sample_weight is None:
            return batch_x, batch_y
        return batch_x, batch_y, self._sample_weight[index_array]


def _check_dataframe(df, x_col, y_col, weight_col, classes, class_mode):
    """Errors for a DataFrame that does not fit `class_mode`, raised before any file is read."""
    if class_mode not in DATAFRAME_CLASS_MODES:
        raise ValueError(f"`class_mode` must be one of {DATAFRAME_CLASS_MODES}. Received: "
                         f"class_mode={class_mode!r}.")
    if class_mode == "multi_output" and not isinstance(y_col, list):
        raise TypeError('class_mode="multi_output" takes one target per column: give y_col as '
                        f"a list of column names. Received: y_col={y_col!r}.")
    columns = [x_col] + ([] if class_mode in ("input", None) else
                         list(y_col) if isinstance(y_col, (list, tuple)) else [y_col])
    missing = [c for c in columns + ([weight_col] if weight_col else []) if c not in df.columns]
    if missing:
        raise ValueError(f"flow_from_dataframe(): the DataFrame has no column(s) {missing}; its "
                         f"columns are {list(df.columns)}. Set x_col, y_col and weight_col to "
                         "column names.")
    if not all(isinstance(name, str) for name in df[x_col]):
        raise TypeError(f"Every value of x_col={x_col!r} must be a file name (a string): "
                        f"convert the column, e.g. df[{x_col!r}].astype(str).")
    if class_mode in ("binary", "sparse") and \
            not all(isinstance(label, str) for label in df[y_col]):
        raise TypeError(f'class_mode="{class_mode}" needs class names (strings) in '
                        f"y_col={y_col!r}: convert the column with .astype(str), or use "
                        'class_mode="raw" for numeric targets.')
    if class_mode == "binary":
        count = len(set(classes)) if classes else df[y_col].nunique()
        if count != 2:
            raise ValueError(f'class_mode="binary" needs exactly 2 classes; found {count}. Use '
                             'class_mode="categorical" or "sparse" for more.')
    if class_mode == "categorical" and \
            not all(isinstance(label, (str, list, tuple)) for label in df[y_col]):
        raise TypeError(f'class_mode="categorical" needs a class name (a string), or a list '
                        f"of them, in every row of y_col={y_col!r}: convert the column with "
                        '.astype(str), or use class_mode="raw" for numeric targets.')
    if classes and class_mode in _LABEL_FREE_MODES:
        warnings.warn(f'`classes` is ignored with class_mode="{class_mode}", whose targets do '
                      "not come from class names.", stacklevel=4)
    if weight_col and not np.issubdtype(df[weight_col].dtype, np.number):
        raise TypeError(f"weight_col={weight_col!r} must hold numbers (sample weights); its "
                        f"dtype is {df[weight_col].dtype}.")


def _keep_known_classes(df, y_col, classes):
    """(rows, class names): with `classes` given, labels outside it are removed and rows left
    with none dropped; otherwise every label found is a class, sorted."""
    if not classes:
        found = set()
        for label in df[y_col]:
            found.update(label if isinstance(label, (list, tuple)) else [label])
        return df, sorted(found)
    classes = list(dict.fromkeys(classes))  # duplicates removed, order kept
    known = set(classes)

    def keep(label):
        if isinstance(label, (list, tuple)):
            return [name for name in label if name in known] or None
        return label if label in known else None

    df = df.copy()
    df[y_col] = df[y_col].map(keep)
    return df.dropna(subset=[y_col]), classes
