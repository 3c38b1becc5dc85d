"""lamina.utils.PyDataset: order, shuffling, epoch hooks, worker threads and processes, errors."""

import multiprocessing
import os
import threading
import time
import traceback

import numpy as np
import pytest

import lamina
from lamina.trainers.data_adapters import get_data_adapter
from lamina.utils.py_dataset import PyDataset, Sequence

X = np.arange(10, dtype="float32").reshape(10, 1)


class Rows(PyDataset):
    """Batches of 4 rows of X (the last one ragged); records the epoch hooks it gets."""

    def __init__(self, batch_size=4, fail_at=None, delays=None, **kwargs):
        super().__init__(**kwargs)
        self.batch_size, self.fail_at, self.delays = batch_size, fail_at, delays or {}
        self.hooks = []
        self.lock = threading.Lock()
        self.running = self.most_running = 0

    def __len__(self):
        return -(-len(X) // self.batch_size)

    def __getitem__(self, index):
        with self.lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            time.sleep(self.delays.get(index, 0))
            if index == self.fail_at:
                raise KeyError(f"no batch {index}")
            part = X[index * self.batch_size:(index + 1) * self.batch_size]
            return part, np.full(len(part), os.getpid())
        finally:
            with self.lock:
                self.running -= 1

    def on_epoch_begin(self):
        self.hooks.append("begin")

    def on_epoch_end(self):
        self.hooks.append("end")


def data_threads():
    return [t for t in threading.enumerate() if t.name.startswith("lamina_data")]


ALL = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_sequence_is_pydataset_and_lamina_utils_exports_it():
    assert Sequence is PyDataset
    if "PyDataset" in dir(lamina.utils):  # exported by lamina/utils/__init__.py
        assert lamina.utils.PyDataset is PyDataset and lamina.utils.Sequence is PyDataset


def test_batches_in_order_and_epoch_hooks(kit):
    dataset = Rows()
    adapter = get_data_adapter(dataset)
    assert adapter.num_batches == 3 and not adapter.is_array_data
    assert kit.epoch_rows(adapter, 2) == [ALL, ALL]
    assert dataset.hooks == ["begin", "end", "begin", "end"]


def test_shuffle_changes_the_order_of_batches_not_their_content(kit):
    import torch

    torch.manual_seed(0)
    adapter = get_data_adapter(Rows(), shuffle=True)
    epochs = kit.epoch_rows(adapter, 5)
    assert all(sorted(epoch) == ALL for epoch in epochs)
    assert len({tuple(map(tuple, epoch)) for epoch in epochs}) > 1


def test_steps_continue_and_cycle(kit):
    adapter = get_data_adapter(Rows(), steps=2)
    assert kit.epoch_rows(adapter, 2) == [ALL[:2], [ALL[2], ALL[0]]]


def test_worker_threads_prefetch_in_parallel_and_keep_the_order(kit):
    # Batch 0 is the slowest to make: the others finish first, yet come out in order.
    dataset = Rows(batch_size=2, workers=4, delays={0: 0.2, 1: 0.1})
    adapter = get_data_adapter(dataset)
    (epoch,) = kit.epoch_rows(adapter)
    assert epoch == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]
    assert dataset.most_running > 1
    adapter.close()
    assert not data_threads()


def test_worker_processes_make_the_batches(kit):
    adapter = get_data_adapter(Rows(workers=2, use_multiprocessing=True))
    pids = set()
    for _, worker_pid, _ in adapter.batches():
        pids.update(worker_pid.tolist())
    assert pids and os.getpid() not in pids
    adapter.close()
    assert not multiprocessing.active_children()


def test_fit_arguments_override_the_dataset_settings():
    adapter = get_data_adapter(Rows(), workers=3, use_multiprocessing=False, max_queue_size=2)
    assert (adapter.workers, adapter.use_multiprocessing, adapter.max_queue_size) == (3, False, 2)


@pytest.mark.parametrize("workers", [1, 3])
def test_an_error_in_getitem_surfaces_with_its_traceback(workers):
    adapter = get_data_adapter(Rows(fail_at=1, workers=workers, delays={2: 0.05}))
    batches = adapter.batches()
    next(batches)
    with pytest.raises(KeyError, match="no batch 1") as error:
        next(batches)
    names = [frame.name for frame in traceback.extract_tb(error.value.__traceback__)]
    assert "__getitem__" in names
    assert not data_threads()  # the pool was shut down on the way out
    adapter.close()


def test_an_error_in_a_worker_process_carries_the_remote_traceback():
    adapter = get_data_adapter(Rows(fail_at=0, workers=2, use_multiprocessing=True))
    with pytest.raises(KeyError, match="no batch 0") as error:
        adapter.peek()
    assert "__getitem__" in str(error.value.__cause__)
    adapter.close()
    assert not multiprocessing.active_children()


@pytest.mark.parametrize("use_multiprocessing", [False, True])
def test_leaving_an_epoch_early_stops_the_workers(use_multiprocessing, kit):
    adapter = get_data_adapter(Rows(batch_size=1, workers=2,
                                    use_multiprocessing=use_multiprocessing))
    for _ in adapter.batches():
        break  # stop_training after one batch
    assert kit.epoch_rows(adapter) == [[[i] for i in range(10)]]  # the next epoch starts afresh
    for _ in adapter.batches():
        break
    adapter.close()
    assert not data_threads() and not multiprocessing.active_children()


class Endless(PyDataset):
    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        return np.full((2, 1), index, "float32")


def test_an_endless_dataset_needs_steps(kit):
    with pytest.raises(ValueError, match="has no end.*steps_per_epoch"):
        get_data_adapter(Endless())
    adapter = get_data_adapter(Endless(), steps=2, shuffle=True)  # shuffle ignored
    assert kit.epoch_rows(adapter, 2) == [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]


def test_a_keras_2_sequence_without_super_init_gets_the_defaults(kit):
    class Old(Sequence):
        def __init__(self):
            self.x = X

        def __len__(self):
            return 2

        def __getitem__(self, index):
            return self.x[index * 5:(index + 1) * 5]

    old = Old()
    assert (old.workers, old.use_multiprocessing, old.max_queue_size) == (1, False, 10)
    assert kit.epoch_rows(get_data_adapter(old)) == [[[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]]


def test_the_number_of_batches_is_read_again_each_epoch(kit):
    class Growing(PyDataset):
        size = 1

        def __len__(self):
            return self.size

        def __getitem__(self, index):
            return X[index:index + 1]

        def on_epoch_end(self):
            self.size += 1

    adapter = get_data_adapter(Growing())
    assert kit.epoch_rows(adapter, 3) == [[[0]], [[0], [1]], [[0], [1], [2]]]


def test_bad_definitions():
    class NoLength(PyDataset):
        def __getitem__(self, index):
            return X

    with pytest.raises(TypeError, match=r"must define `__len__\(self\)`"):
        get_data_adapter(NoLength())

    class NoItems(PyDataset):
        def __len__(self):
            return 1

    with pytest.raises(NotImplementedError, match="must define `__getitem__"):
        get_data_adapter(NoItems()).peek()

    class Empty(PyDataset):
        def __len__(self):
            return 0

    with pytest.raises(ValueError, match="no batches"):
        get_data_adapter(Empty()).peek()
    with pytest.raises(ValueError, match="non-negative integer"):
        Rows(workers=-1)
    with pytest.raises(ValueError, match="positive integer"):
        Rows(max_queue_size=0)


def test_training_with_worker_threads_over_epochs_equals_arrays(kit):
    x, y, _ = kit.reference_data()

    class Batches(PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return x[index * 4:(index + 1) * 4], y[index * 4:(index + 1) * 4]

    from_dataset = kit.reference_model()
    losses = kit.train_through(from_dataset, get_data_adapter(Batches(workers=2)), epochs=3)
    from_arrays = kit.reference_model()
    history = from_arrays.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(losses, history.history["loss"], rtol=1e-6)


class Reordered(PyDataset):
    """Sets its epoch's order up in on_epoch_begin only (nothing in __init__), as a dataset
    that reshuffles its rows itself does; logs every hook and read."""

    def __init__(self):
        super().__init__()
        self.log = []

    def __len__(self):
        return 2

    def on_epoch_begin(self):
        self.order = [1, 0]
        self.log.append("begin")

    def __getitem__(self, index):
        self.log.append(self.order[index])
        rows = X[self.order[index] * 4:(self.order[index] + 1) * 4]
        return rows, rows

    def on_epoch_end(self):
        del self.order
        self.log.append("end")


def test_fit_begins_an_epoch_before_reading_any_batch_and_reads_each_once():
    # The build of an unbuilt model reads the first batch: it must come after on_epoch_begin
    # (the dataset above has no order before it) and count as the epoch's first batch.
    model = lamina.Sequential([lamina.layers.Dense(1)])
    model.compile("sgd", "mse")
    data = Reordered()
    model.fit(data, epochs=2, shuffle=False, verbose=0)
    assert data.log == ["begin", 1, 0, "end", "begin", 1, 0, "end"]
    data.log.clear()
    model.evaluate(data, verbose=0)
    model.predict(data, verbose=0)
    assert data.log == ["begin", 1, 0, "end"] * 2
