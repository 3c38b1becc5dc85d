"""lamina.distribution in one process: Keras's names and checks, and how data is split
(the multi-process behaviour is in test_data_parallel.py)."""

import itertools

import numpy as np
import pytest
import torch

import lamina
from lamina import distribution, layers
from lamina.trainers.data_adapters import sharding


@pytest.fixture(autouse=True)
def no_distribution():
    distribution.set_distribution(None)
    yield
    distribution.set_distribution(None)


def test_devices_outside_a_job():
    expected = [f"gpu:{i}" for i in range(torch.cuda.device_count())] or ["cpu:0"]
    assert distribution.list_devices() == expected
    assert distribution.list_devices("cpu") == ["cpu:0"]
    assert distribution.get_device_count("cpu") == 1
    assert distribution.process_id() == 0 and distribution.num_processes() == 1
    assert distribution.is_main_process()
    with pytest.raises(ValueError, match="device_type 'xpu'"):
        distribution.list_devices("xpu")


def test_device_mesh_checks_its_shape_against_the_devices():
    mesh = distribution.DeviceMesh((2, 2), ("batch", "model"), ["cpu:0", "cpu:1", "cpu:2", "cpu:3"])
    assert mesh.devices.shape == (2, 2) and mesh.axis_names == ("batch", "model")
    with pytest.raises(ValueError, match="holds 6 devices, but 4 were given"):
        distribution.DeviceMesh((2, 3), ("batch", "model"), ["cpu:0", "cpu:1", "cpu:2", "cpu:3"])
    with pytest.raises(ValueError, match="one axis name per dimension"):
        distribution.DeviceMesh((4,), ("batch", "model"), ["cpu:0", "cpu:1", "cpu:2", "cpu:3"])


def test_layout_map_matches_paths_as_regular_expressions():
    mesh = distribution.DeviceMesh((1, 2), ("batch", "model"), ["cpu:0", "cpu:1"])
    layout_map = distribution.LayoutMap(mesh)
    layout_map[".*dense.*kernel"] = (None, "model")
    layout_map["dense_1/bias"] = distribution.TensorLayout(("model",))
    assert layout_map["sequential/dense/kernel"].axes == (None, "model")
    assert layout_map["sequential/dense/kernel"].device_mesh is mesh  # filled in by the map
    assert layout_map["dense_1/bias"].axes == ("model",)
    assert layout_map["conv2d/kernel"] is None
    with pytest.raises(ValueError, match="already in the LayoutMap"):
        layout_map["dense_1/bias"] = ("model",)
    layout_map[".*kernel"] = (None, None)
    with pytest.raises(ValueError, match="matches several LayoutMap keys"):
        layout_map["sequential/dense/kernel"]  # noqa: B018
    with pytest.raises(ValueError, match=r"not axes of the device mesh.*\['batch', 'model'\]"):
        distribution.TensorLayout(("data",), mesh)


def test_model_parallel_needs_a_layout_map():
    with pytest.raises(ValueError, match="needs a `layout_map="):
        distribution.ModelParallel()


def test_data_parallel_over_several_devices_needs_one_process_per_device():
    with pytest.raises(ValueError, match="torchrun --nproc_per_node=2"):
        distribution.DataParallel(devices=["cpu:0", "cpu:1"])


def test_one_process_data_parallel_trains_as_without_a_distribution():
    x = np.random.RandomState(0).normal(size=(10, 3)).astype("float32")
    y = x[:, :2] * 2.0

    def train():
        lamina.utils.set_random_seed(1)
        model = lamina.Sequential([layers.Input((3,)), layers.Dense(2)])
        model.compile("adam", "mse")
        model.fit(x, y, batch_size=4, epochs=2, verbose=0)
        return model

    plain = train()
    with distribution.DataParallel().scope():
        assert isinstance(distribution.distribution(), distribution.DataParallel)
        scoped = train()
    assert distribution.distribution() is None
    for a, b in zip(plain.get_weights(), scoped.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert "_distribution_seam" not in vars(scoped)  # nothing distributed in one process


@pytest.mark.parametrize("samples, batch_size, processes",
                         list(itertools.product([1, 5, 8, 9, 13], [1, 2, 3], [1, 2, 3])))
def test_every_sample_is_read_once_per_pass_and_every_process_runs_the_same_steps(
        samples, batch_size, processes):
    plans = [list(sharding.plan(samples, batch_size, sharding.Shard(rank, processes)))
             for rank in range(processes)]
    steps = -(-samples // (batch_size * processes))
    assert all(len(plan) == steps for plan in plans)
    read = []
    for step in range(steps):
        parts = [plan[step] for plan in plans]
        real = [(start, stop) for start, stop, info in parts if not info.padding]
        global_batch = sum(stop - start for start, stop in real)
        assert all(info.total == global_batch for _, _, info in parts)
        assert max(stop - start for start, stop in real) <= batch_size
        assert not parts[0][2].padding  # process 0 always has data (it holds the moving stats)
        read += [i for start, stop in real for i in range(start, stop)]
    assert read == list(range(samples))  # contiguous parts, in order: predict's order too


def test_round_robin_pads_the_last_step_and_reads_every_item_once():
    shard_items = [list(sharding.round_robin(range(5), sharding.Shard(rank, 2)))
                   for rank in range(2)]
    assert [item for item, _ in shard_items[0]] == [0, 2, 4]
    assert [(item, info.padding) for item, info in shard_items[1]] == [
        (1, False), (3, False), (4, True)]  # the last step's first item, as padding
