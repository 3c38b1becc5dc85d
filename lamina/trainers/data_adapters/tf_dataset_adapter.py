"""`tf.data.Dataset`: each element is one batch, read again from the start every epoch.

Keras 3 accepts a tf.data pipeline on every backend, and many Keras examples build their input
that way even when they train with torch; lamina reads it the same way. TensorFlow is never
imported here: a `tf.data.Dataset` can only exist once the program imported TensorFlow itself.

Each element's tensors become NumPy arrays (text becomes arrays of bytes, which lamina's text
layers read), then torch tensors like any other batch. A `tf.SparseTensor` is made dense; a
`tf.RaggedTensor` is refused with what to do instead, since a batch must be rectangular.
The number of batches per epoch is the dataset's cardinality when TensorFlow knows it; an
infinite dataset (`.repeat()`) needs `steps_per_epoch`, as in Keras.
"""

import sys

from lamina.trainers.data_adapters import sharding
from lamina.trainers.data_adapters.data_adapter import DataAdapter
from lamina.utils import tree

RAGGED_ERROR = (
    "A batch from the tf.data.Dataset holds a tf.RaggedTensor (rows of different lengths). "
    "lamina batches are rectangular: pad the rows in the pipeline, e.g. with "
    "`dataset.padded_batch(...)` instead of `batch`, or `.map(lambda x, y: (x.to_tensor(), y))`."
)


def is_tf_dataset(x):
    """True for a `tf.data.Dataset` (without importing TensorFlow)."""
    tf = sys.modules.get("tensorflow")
    data = getattr(tf, "data", None) if tf is not None else None
    return data is not None and isinstance(x, data.Dataset)


class TFDatasetAdapter(DataAdapter):
    def __init__(self, dataset, steps=None, device=None, class_weight=None):
        super().__init__(steps=steps, device=device, class_weight=class_weight)
        self.dataset = dataset
        cardinality = int(dataset.cardinality())
        if cardinality == 0:
            raise ValueError("The tf.data.Dataset is empty (its cardinality is 0): it has no "
                             "batches to train on.")
        if cardinality == _infinite() and steps is None:
            raise ValueError(
                "The tf.data.Dataset repeats forever (`.repeat()` without a count), so an "
                "epoch has no end: pass `steps_per_epoch` (or `steps` to evaluate / predict).")
        self._batches_per_pass = cardinality if cardinality > 0 else None

    def _one_pass(self):
        if self.shard is not None:
            return sharding.round_robin(self._numpy_batches(), self.shard)
        return self._numpy_batches()

    def _distribute(self):
        self._batches_per_pass = sharding.round_robin_steps(self._batches_per_pass, self.shard)

    def _numpy_batches(self):
        for batch in self.dataset:
            yield tree.map_structure(_to_numpy, batch)


def _to_numpy(value):
    kind = type(value).__name__
    if kind == "RaggedTensor":
        raise ValueError(RAGGED_ERROR)
    if kind == "SparseTensor":
        return sys.modules["tensorflow"].sparse.to_dense(value).numpy()
    numpy = getattr(value, "numpy", None)
    return numpy() if callable(numpy) else value


def _infinite():
    return int(sys.modules["tensorflow"].data.INFINITE_CARDINALITY)
