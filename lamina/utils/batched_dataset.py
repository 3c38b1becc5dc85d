"""`BatchedDataset`: what lamina's dataset builders return (`image_dataset_from_directory`,
`text_dataset_from_directory`, `audio_dataset_from_directory`, `timeseries_dataset_from_array`,
`split_dataset`).

In Keras these builders return a `tf.data.Dataset`. lamina's dataset is plain Python over
PyTorch: an indexable sequence of *elements* (usually batches; single samples after
`unbatch()` or with `batch_size=None`), read lazily, element `i` by `ds[i]`. It is a
`lamina.utils.PyDataset`, so `model.fit(ds)`, `evaluate(ds)` and `predict(ds)` take it
directly (set `ds.workers = 4` to have them prepare batches ahead in threads, as for any
PyDataset), and `ds.to_dataloader(num_workers=4)` hands it to a `torch.utils.data.DataLoader`.

Elements are `(x, y)` tuples of torch tensors (`x` alone without labels); text stays a numpy
array of `str`, as everywhere in lamina.

The tf.data methods that Keras guides use on these datasets are implemented with the same
meaning: `map`, `batch`, `unbatch`, `rebatch`, `shuffle`, `take`, `skip`, `cache`,
`prefetch`, `cardinality`, `as_numpy_iterator`. Others (`filter`, `repeat`, `zip`, ...) are not.

Shuffling: a shuffled dataset draws a new order of its samples (or elements) at every pass:
each `for` loop over it, each epoch of `fit`. The orders are derived from the seed and the pass
number, so a seeded dataset gives the same sequence of passes in every run. (tf.data shuffles
within a buffer; here the whole dataset is permuted, as a buffer at least as large as the
dataset would do.)

`fit(ds)` keeps the dataset's own order, whatever its `shuffle=` argument says (as Keras ignores
`shuffle` for a tf.data dataset): the dataset decides how it is shuffled.
"""

import bisect
import math

import numpy as np
import torch
from torch.utils import data as torch_data

from lamina.registry.export import keras_export
from lamina.utils.py_dataset import PyDataset


@keras_export("utils.BatchedDataset")
class BatchedDataset(PyDataset):
    """A dataset of elements read by index: `len(ds)` elements, `ds[i]` the i-th.

    Not built directly: the dataset builders return one, and its methods return new ones
    (sharing the data; nothing is read until an element is asked for).

    Attributes:
        class_names: the label names, for datasets built with labels (kept by every method).
    """

    orders_its_batches = True  # fit(shuffle=True) leaves the order to the dataset

    def __init__(self, parent=None):
        super().__init__()
        self._parent = parent
        # How to batch this dataset's elements, and the samples inside them (for unbatch()).
        self._collate = stack_elements if parent is None else parent._collate
        self._sample_collate = stack_elements if parent is None else parent._sample_collate
        if parent is not None:  # settings and label names carry over to derived datasets
            self.workers = parent.workers
            self.use_multiprocessing = parent.use_multiprocessing
            self.max_queue_size = parent.max_queue_size
            if hasattr(parent, "class_names"):
                self.class_names = parent.class_names

    # ---------------------------------------------------------------- the element protocol
    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        return self._get(_check_index(index, len(self)))

    def _get(self, index):
        """Element `index` (already checked to be in range)."""
        raise NotImplementedError

    def _get_many(self, indices):
        """Elements `indices` collated into one batch (stages that can do better override)."""
        return self._collate([self._get(int(i)) for i in indices])

    def _element_sizes(self):
        """The batch size of every element when known without reading them, else None."""
        return None

    @property
    def _batch_size(self):
        """The batch size of the elements (None for samples), as the last batch() made it."""
        return None if self._parent is None else self._parent._batch_size

    @property
    def _reshuffles(self):
        """Whether the order changes from one pass to the next."""
        return self._parent is not None and self._parent._reshuffles

    def _pass_token(self):
        """Changes whenever the elements may change (a shuffle upstream drew a new order)."""
        return () if self._parent is None else self._parent._pass_token()

    def on_epoch_end(self):
        """Called after each pass (fit's epochs, `for` loops): shuffled stages draw anew."""
        if self._parent is not None:
            self._parent.on_epoch_end()

    def __iter__(self):
        try:
            for index in range(len(self)):
                yield self._get(index)
        finally:  # also when the loop stops early: the next pass is a new one
            self.on_epoch_end()

    def __repr__(self):
        return f"<{type(self).__name__} of {len(self)} elements>"

    # ---------------------------------------------------------------- tf.data-style methods
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """Apply `map_func` to each element: `map_func(x, y)` for an `(x, y)` element (a tuple
        is spread into arguments, as tf.data does), `map_func(x)` otherwise.

        `map_func` runs when an element is read, on torch tensors. `num_parallel_calls` and
        `deterministic` are accepted for tf.data code and ignored: elements are always
        returned in order; to compute them in parallel set `ds.workers = n` before `fit`, or
        use `ds.to_dataloader(num_workers=n)`.
        """
        if not callable(map_func):
            raise TypeError(f"`map_func` must be callable. Received: {map_func!r}.")
        return _Map(self, map_func)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Group consecutive elements into batches of `batch_size` (stacked on a new first axis;
        the last batch may be smaller unless `drop_remainder=True`)."""
        return _Batch(self, _check_positive(batch_size, "batch_size"), bool(drop_remainder))

    def unbatch(self, name=None):
        """Split each element (a batch) into its samples.

        Free on the datasets the builders make and on `batch()`'s result. After `map`, the
        size of each batch is unknown until it is read, so the first use reads every element
        once to count.
        """
        return _Unbatch(self)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        """The same samples in batches of `batch_size`: `unbatch().batch(batch_size)`."""
        return self.unbatch().batch(batch_size, drop_remainder=drop_remainder)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Shuffle the elements, with a new order at every pass unless
        `reshuffle_each_iteration=False`. `buffer_size` is checked and otherwise unused: the
        whole dataset is permuted (a uniform shuffle)."""
        _check_positive(buffer_size, "buffer_size", allow=(-1, -2))  # -1/-2: tf's AUTOTUNE/INFINITE
        return _Shuffle(self, seed, bool(reshuffle_each_iteration))

    def take(self, count, name=None):
        """The first `count` elements (all of them when `count` is -1)."""
        count = _check_count(count, "count")
        return _Slice(self, 0, len(self) if count < 0 else min(count, len(self)))

    def skip(self, count, name=None):
        """All but the first `count` elements (none when `count` is -1)."""
        count = _check_count(count, "count")
        return _Slice(self, len(self) if count < 0 else min(count, len(self)), len(self))

    def cache(self, filename="", name=None):
        """Keep each element in memory once read; later passes read the memory.

        As in tf.data, the cache is kept only once a pass has read every element (a pass
        that stops early is forgotten), and then it replays that first pass: shuffling
        placed *before* `cache()` is frozen, shuffling placed after it still reshuffles.
        Only the in-memory cache exists: `filename` must be empty.
        """
        if filename:
            raise ValueError(
                "lamina datasets cache in memory only; `cache(filename=...)` (tf.data's cache "
                f"on disk) is not supported. Received: filename={filename!r}. Call `cache()`."
            )
        return _Cache(self)

    def prefetch(self, buffer_size=None, name=None):
        """Returns the dataset itself. Reading ahead is set with `ds.workers = n` (fit then
        prepares up to `ds.max_queue_size` batches in threads) or done by
        `ds.to_dataloader(num_workers=n)`."""
        return self

    def cardinality(self):
        """The number of elements, as a 0-d int64 tensor (`int(ds.cardinality())`)."""
        return torch.tensor(len(self), dtype=torch.int64)

    def as_numpy_iterator(self):
        """Iterate over the elements with tensors converted to numpy arrays."""
        for element in self:
            yield _map_leaves(_to_numpy, element)

    def to_dataloader(self, num_workers=0, pin_memory=False, **kwargs):
        """A `torch.utils.data.DataLoader` yielding this dataset's elements, in its order.

        The dataset already batches and orders its elements, so `batch_size`, `shuffle`,
        `sampler`, `batch_sampler` and `collate_fn` cannot be given; other DataLoader
        arguments (`timeout`, `prefetch_factor`, `worker_init_fn`, ...) are passed on. Each
        pass over the loader is a new pass over the dataset (shuffled datasets draw anew).
        """
        for key in ("batch_size", "shuffle", "sampler", "batch_sampler", "collate_fn"):
            if key in kwargs:
                raise ValueError(
                    f"to_dataloader() does not take `{key}`: the dataset already makes its "
                    "batches and their order. Use `ds.batch(n)` / `ds.rebatch(n)` and "
                    "`ds.shuffle(...)` before `to_dataloader()`."
                )
        if kwargs.get("persistent_workers") and num_workers and self._reshuffles:
            raise ValueError(
                "This dataset reshuffles at every pass, but persistent DataLoader workers "
                "would keep replaying the first pass's order. Pass persistent_workers=False "
                "(the default), or build the dataset with shuffle=False."
            )
        return _PassDataLoader(self, batch_size=None, shuffle=False, num_workers=num_workers,
                               pin_memory=pin_memory, collate_fn=_unchanged, **kwargs)


# ---------------------------------------------------------------- the stages


class Samples(BatchedDataset):
    """The source of a pipeline: `num_samples` samples made by `load_sample(i)`.

    Args:
        num_samples: how many samples.
        load_sample: `i -> sample` (arrays / strings / a tuple of them); converted to tensors.
        load_batch: optional `indices -> batch`, a faster way to make a whole batch.
        collate: how a list of samples becomes a batch (default: `stack_elements`).
    """

    def __init__(self, num_samples, load_sample, load_batch=None, collate=None):
        super().__init__()
        self._num_samples = int(num_samples)
        self._load_sample = load_sample
        self._load_batch = load_batch
        if collate is not None:
            self._collate = collate

    def __len__(self):
        return self._num_samples

    def _get(self, index):
        return _map_leaves(_to_torch, self._load_sample(index))

    def _get_many(self, indices):
        if self._load_batch is not None:
            return _map_leaves(_to_torch, self._load_batch(np.asarray(indices, dtype=np.int64)))
        return super()._get_many(indices)


class _Map(BatchedDataset):
    def __init__(self, parent, map_func):
        super().__init__(parent)
        self._map_func = map_func

    def __len__(self):
        return len(self._parent)

    def _get(self, index):
        element = self._parent._get(index)
        if isinstance(element, tuple):
            return self._map_func(*element)
        return self._map_func(element)


class _Batch(BatchedDataset):
    def __init__(self, parent, batch_size, drop_remainder):
        super().__init__(parent)
        self._sample_collate = parent._collate
        self._collate = stack_elements  # a batch of batches gains an axis
        self.batch_size, self._drop_remainder = batch_size, drop_remainder

    def __len__(self):
        count = len(self._parent) / self.batch_size
        return math.floor(count) if self._drop_remainder else math.ceil(count)

    def _get(self, index):
        start = index * self.batch_size
        stop = min(start + self.batch_size, len(self._parent))
        return self._parent._get_many(range(start, stop))

    @property
    def _batch_size(self):
        return self.batch_size

    def _element_sizes(self):
        sizes = [self.batch_size] * len(self)
        if sizes and not self._drop_remainder:
            sizes[-1] = len(self._parent) - self.batch_size * (len(self) - 1)
        return sizes

    def unbatch(self, name=None):
        if self._drop_remainder:
            return self._parent.take(len(self) * self.batch_size)
        return self._parent  # the samples this stage grouped, in the same order


class _Unbatch(BatchedDataset):
    """Samples of the parent's batches, located by the cumulative batch sizes."""

    def __init__(self, parent):
        super().__init__(parent)
        self._collate = parent._sample_collate
        self._starts = None
        self._last = (None, None, None)  # (pass, element index, its samples): read once

    @property
    def _batch_size(self):
        return None

    def _cumulative(self):
        if self._starts is None:
            sizes = self._parent._element_sizes()
            if sizes is None:  # read every element once to learn its size
                sizes = [_batch_length(self._parent._get(i)) for i in range(len(self._parent))]
            self._starts = np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)]).tolist()
        return self._starts

    def __len__(self):
        return self._cumulative()[-1]

    def _get(self, index):
        starts = self._cumulative()
        element = bisect.bisect_right(starts, index) - 1
        token = self._pass_token()
        cached_token, cached_element, samples = self._last
        if (cached_token, cached_element) != (token, element):
            samples = _split_batch(self._parent._get(element))
            if len(samples) != starts[element + 1] - starts[element]:
                raise RuntimeError(
                    f"unbatch(): element {element} now holds {len(samples)} samples instead of "
                    f"{starts[element + 1] - starts[element]}; the batches changed between "
                    "passes (e.g. batches of unequal sizes shuffled before unbatch()). "
                    "Call unbatch() before shuffling."
                )
            self._last = (token, element, samples)
        return samples[index - starts[element]]


class _Shuffle(BatchedDataset):
    def __init__(self, parent, seed, reshuffle_each_iteration=True):
        super().__init__(parent)
        self._seed = int(np.random.randint(1e6)) if seed is None else int(seed)
        self._reshuffle = reshuffle_each_iteration
        self._pass, self._order = 0, None

    @property
    def _reshuffles(self):
        return self._reshuffle or super()._reshuffles

    def __len__(self):
        return len(self._parent)

    def _permutation(self):
        current = self._order
        if current is None or current[0] != self._pass:
            rng = np.random.default_rng([self._seed, self._pass])
            current = self._order = (self._pass, rng.permutation(len(self._parent)))
        return current[1]

    def _pass_token(self):
        return (self._pass,) + super()._pass_token()

    def _get(self, index):
        return self._parent._get(int(self._permutation()[index]))

    def _get_many(self, indices):
        return self._parent._get_many(self._permutation()[np.asarray(indices, dtype=np.int64)])

    def on_epoch_end(self):
        if self._reshuffle:
            self._pass += 1
        super().on_epoch_end()


class _Slice(BatchedDataset):
    def __init__(self, parent, start, stop):
        super().__init__(parent)
        self._start, self._stop = start, max(start, stop)

    def __len__(self):
        return self._stop - self._start

    def _get(self, index):
        return self._parent._get(self._start + index)

    def _get_many(self, indices):
        return self._parent._get_many(np.asarray(indices, dtype=np.int64) + self._start)

    def _element_sizes(self):
        sizes = self._parent._element_sizes()
        return None if sizes is None else sizes[self._start:self._stop]


class _Cache(BatchedDataset):
    def __init__(self, parent):
        super().__init__(parent)
        self._store, self._complete = {}, False

    @property
    def _reshuffles(self):
        return False if self._complete else super()._reshuffles

    def _pass_token(self):
        return () if self._complete else super()._pass_token()

    def __len__(self):
        return len(self._parent)

    def _get(self, index):
        if index not in self._store:
            self._store[index] = self._parent._get(index)
        return self._store[index]

    def _element_sizes(self):
        return self._parent._element_sizes()

    def on_epoch_end(self):
        if not self._complete:
            self._complete = len(self._store) == len(self)
            if not self._complete:
                self._store.clear()  # a partial pass is not kept (as tf.data)
            super().on_epoch_end()


class _Select(BatchedDataset):
    """The parent's elements at `indices`, in that order (what `split_dataset` makes)."""

    def __init__(self, parent, indices):
        super().__init__(parent)
        self._indices = np.asarray(indices, dtype=np.int64)

    def __len__(self):
        return len(self._indices)

    def _get(self, index):
        return self._parent._get(int(self._indices[index]))

    def _get_many(self, indices):
        return self._parent._get_many(self._indices[np.asarray(indices, dtype=np.int64)])


def select(dataset, indices):
    """A dataset of `dataset`'s elements at `indices` (a list of ints), in that order."""
    return _Select(dataset, indices)


class _PassDataLoader(torch_data.DataLoader):
    """A DataLoader that tells the dataset when each pass over it ends."""

    def __iter__(self):
        try:
            yield from super().__iter__()
        finally:
            self.dataset.on_epoch_end()


# ---------------------------------------------------------------- elements and batches


def stack_elements(elements):
    """Stack a list of same-structured elements into one batch (a new first axis).

    Tensors and numeric arrays are stacked into tensors; strings (and arrays of strings) into
    a numpy array of `str`.
    """
    first = elements[0]
    if isinstance(first, (tuple, list)):
        parts = [stack_elements([e[k] for e in elements]) for k in range(len(first))]
        return tuple(parts) if isinstance(first, tuple) else parts
    if isinstance(first, dict):
        return {key: stack_elements([e[key] for e in elements]) for key in first}
    if isinstance(first, (str, bytes)) or _is_text_array(first):
        return np.array(elements)  # text stays numpy (str) in lamina
    tensors = [_to_torch(e) for e in elements]
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise ValueError(
            f"Cannot batch elements of different shapes {sorted(shapes)}: a batch stacks "
            "elements of one shape. Resize or pad them first (e.g. `output_sequence_length=` "
            "for audio, `image_size=` for images), or use batch_size=None."
        )
    return torch.stack(tensors)


def _is_text_array(value):
    return isinstance(value, np.ndarray) and value.dtype.kind in "USO"


def _to_torch(value):
    if isinstance(value, (torch.Tensor, str, bytes)) or _is_text_array(value):
        return value
    if isinstance(value, np.ndarray):
        if not value.flags.writeable:
            value = value.copy()
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, (bool, int, float, np.generic)):
        return torch.as_tensor(np.asarray(value))
    return value


def _to_numpy(value):
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value


def _map_leaves(fn, element):
    if isinstance(element, tuple):
        return tuple(_map_leaves(fn, e) for e in element)
    if isinstance(element, list):
        return [_map_leaves(fn, e) for e in element]
    if isinstance(element, dict):
        return {key: _map_leaves(fn, value) for key, value in element.items()}
    return fn(element)


def _leaves(element):
    if isinstance(element, (tuple, list)):
        return [leaf for part in element for leaf in _leaves(part)]
    if isinstance(element, dict):
        return [leaf for part in element.values() for leaf in _leaves(part)]
    return [element]


def _batch_length(element):
    """The size of the first axis shared by every part of a batch."""
    lengths = {len(leaf) if getattr(leaf, "ndim", 0) > 0 else None for leaf in _leaves(element)}
    if len(lengths) != 1 or None in lengths:
        shapes = [tuple(getattr(leaf, "shape", ())) for leaf in _leaves(element)]
        raise ValueError(
            "unbatch() needs batched elements: arrays or tensors sharing a first (batch) axis. "
            f"Received an element with parts of shapes {shapes}."
        )
    return lengths.pop()


def _split_batch(element):
    count = _batch_length(element)
    return [_map_leaves(lambda leaf, k=k: leaf[k], element) for k in range(count)]


def _unchanged(element):
    return element


def _check_index(index, length):
    if isinstance(index, bool) or not hasattr(index, "__index__"):
        raise TypeError(f"Dataset indices must be integers. Received: {index!r}.")
    index = int(index)
    if index < 0:
        index += length
    if not 0 <= index < length:
        raise IndexError(f"Index {index} is out of range for a dataset of {length} elements.")
    return index


def _check_positive(value, name, allow=()):
    if value in allow and not isinstance(value, bool):
        return value
    if isinstance(value, bool) or not hasattr(value, "__index__") or int(value) < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}.")
    return int(value)


def _check_count(value, name):
    if isinstance(value, bool) or not hasattr(value, "__index__") or int(value) < -1:
        raise ValueError(
            f"`{name}` must be a non-negative integer, or -1 for all. Received: {name}={value!r}."
        )
    return int(value)
