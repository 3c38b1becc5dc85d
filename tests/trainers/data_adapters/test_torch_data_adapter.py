"""torch.utils.data: a map-style Dataset batched here, an IterableDataset, a DataLoader as is."""

import numpy as np
import pytest
import torch
from torch.utils import data as torch_data

from lamina.trainers.data_adapters import get_data_adapter

X = torch.arange(10, dtype=torch.float64).reshape(10, 1)
Y = torch.arange(10)


class Pairs(torch_data.Dataset):
    """Items are `(x, y)` tuples of numpy arrays, as many user datasets return."""

    def __len__(self):
        return 10

    def __getitem__(self, index):
        return X[index].numpy(), int(Y[index])


def test_a_dataset_is_batched_by_32_by_default():
    adapter = get_data_adapter(torch_data.TensorDataset(torch.zeros(70, 1)))
    assert adapter.num_batches == 3
    assert [len(x) for x, _, _ in adapter.batches()] == [32, 32, 6]


def test_dataset_items_become_x_y_batches(kit):
    adapter = get_data_adapter(Pairs(), batch_size=4)
    assert adapter.num_batches == 3
    x, y, sample_weight = adapter.peek()
    assert x.dtype == torch.float32 and y.dtype == torch.int64 and sample_weight is None
    np.testing.assert_array_equal(y.numpy(), [0, 1, 2, 3])
    assert kit.epoch_rows(adapter, 2) == [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]] * 2


def test_shuffle_true_permutes_samples_each_pass(kit):
    torch.manual_seed(0)
    adapter = get_data_adapter(Pairs(), batch_size=4, shuffle=True)
    first, second = kit.epoch_rows(adapter, 2)
    assert sorted(sum(first, [])) == list(range(10)) and first != second
    for x, y, _ in adapter.batches():
        np.testing.assert_array_equal(x[:, 0].numpy(), y.numpy())


def test_shuffle_batch_moves_whole_runs_of_samples(kit):
    torch.manual_seed(0)
    adapter = get_data_adapter(Pairs(), batch_size=4, shuffle="batch")
    epochs = kit.epoch_rows(adapter, 6)
    for epoch in epochs:
        assert sorted(epoch) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len({tuple(map(tuple, e)) for e in epochs}) > 1


def test_a_dataloader_is_used_as_it_is(kit):
    loader = torch_data.DataLoader(Pairs(), batch_size=3)
    adapter = get_data_adapter(loader, batch_size=100, shuffle=True)
    assert adapter.num_batches == 4
    assert kit.epoch_rows(adapter) == [[[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]]


def test_steps_cycle_through_a_dataloader(kit):
    adapter = get_data_adapter(torch_data.DataLoader(Pairs(), batch_size=4), steps=4)
    assert kit.epoch_rows(adapter, 2) == [
        [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3]],
        [[4, 5, 6, 7], [8, 9], [0, 1, 2, 3], [4, 5, 6, 7]],
    ]


class Stream(torch_data.IterableDataset):
    def __iter__(self):
        for i in range(5):
            yield {"a": X[i]}, Y[i]


def test_an_iterable_dataset_learns_its_length_after_one_pass(kit):
    adapter = get_data_adapter(Stream(), batch_size=2)
    assert adapter.num_batches is None
    batches = list(adapter.batches())
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert set(batches[0][0]) == {"a"}
    assert adapter.num_batches == 3
    assert len(list(adapter.batches())) == 3  # re-readable: a second epoch works too


def test_dataloader_with_worker_processes_shuts_them_down(kit):
    import multiprocessing

    loader = torch_data.DataLoader(Pairs(), batch_size=2, num_workers=2)
    adapter = get_data_adapter(loader)
    for _ in adapter.batches():
        break
    assert kit.epoch_rows(adapter) == [[[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]]]
    adapter.close()
    assert not multiprocessing.active_children()


def test_targets_cannot_be_passed_beside_a_dataset():
    with pytest.raises(ValueError, match="When `x` is a torch Dataset, `y` must not be passed"):
        get_data_adapter(Pairs(), Y)
    with pytest.raises(ValueError, match="torch DataLoader, `y`"):
        get_data_adapter(torch_data.DataLoader(Pairs()), Y)
