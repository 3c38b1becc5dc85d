"""`Distribution`, `DataParallel`, `ModelParallel` and the current distribution.

Keras 3 defines these names for JAX only; here they drive PyTorch's own engine. A job is one
process per device, started by `torchrun` (or any launcher that sets RANK / WORLD_SIZE /
MASTER_ADDR / MASTER_PORT). In such a job `distribution()` returns a `DataParallel` without
being asked, so an unchanged Keras script trains data-parallel: `fit` wraps the model in
`DistributedDataParallel`, each process reads its part of every batch, and metrics, `History`,
`evaluate()` and `predict()` give the same global results on every process. See
docs/distributed.md.
"""

import contextlib
import warnings

import numpy as np

from lamina.distribution import process_group
from lamina.distribution.device_mesh import DeviceMesh, TensorLayout
from lamina.distribution.devices import list_devices
from lamina.distribution.layout_map import LayoutMap
from lamina.registry.export import keras_export

DEFAULT_BATCH_DIM_NAME = "batch"
_UNSET = object()
_current = {"value": _UNSET}


class Distribution:
    """What every distribution has: a device mesh, the mesh axis the batch is split along, and
    whether `fit` / `evaluate` / `predict` split the data between processes themselves.

    Args:
        device_mesh: the `DeviceMesh`.
        batch_dim_name: the mesh axis along which the batch is split.
        auto_shard_dataset: True (the default): each process reads its own part of the data
            given to fit / evaluate / predict. False: the data is already this process's part
            (each process was given different data), so it is read whole.
    """

    def __init__(self, device_mesh, batch_dim_name=None, auto_shard_dataset=True):
        self._device_mesh = device_mesh
        self._batch_dim_name = batch_dim_name
        self._auto_shard_dataset = auto_shard_dataset
        self._num_processes = process_group.num_processes()
        self._process_id = process_group.process_id()
        self._is_multi_process = self._num_processes > 1

    @property
    def num_processes(self):
        """The number of processes of the job."""
        return self._num_processes

    @property
    def process_id(self):
        """This process's rank, 0 to `num_processes - 1` (lamina's addition)."""
        return self._process_id

    @property
    def num_model_replicas(self):
        raise NotImplementedError

    @property
    def data_shard_id(self):
        """Which part of the data this process reads."""
        replicas = self.num_model_replicas
        if replicas >= self.num_processes:
            return self._process_id
        return self._process_id // (self.num_processes // replicas)

    @property
    def device(self):
        """The torch device this process computes on (lamina's addition)."""
        return process_group.local_device()

    @property
    def device_mesh(self):
        return self._device_mesh

    @property
    def batch_dim_name(self):
        return self._batch_dim_name

    @property
    def auto_shard_dataset(self):
        return self._auto_shard_dataset

    @auto_shard_dataset.setter
    def auto_shard_dataset(self, value):
        self._auto_shard_dataset = value

    def get_data_layout(self, data_shape):
        """Data is split along its first (batch) dimension."""
        axes = [None] * len(data_shape)
        axes[0] = self.batch_dim_name
        return TensorLayout(axes, self.device_mesh)

    def get_variable_layout(self, variable):
        raise NotImplementedError

    def get_tensor_layout(self, path):
        raise NotImplementedError

    def distribute_dataset(self, dataset):
        """Returned unchanged: `fit`, `evaluate` and `predict` give each process its part of
        any data they are given (arrays, PyDataset, torch Dataset/DataLoader, generators)."""
        return dataset

    @contextlib.contextmanager
    def scope(self):
        """Make this the current distribution inside a `with` block."""
        previous = _current["value"]
        set_distribution(self)
        try:
            yield
        finally:
            _current["value"] = previous

    def __repr__(self):
        return f"<{type(self).__name__} device_mesh={self.device_mesh}>"


@keras_export("distribution.DataParallel")
class DataParallel(Distribution):
    """Data parallelism: every process holds the whole model and trains on its own part of each
    batch; `DistributedDataParallel` averages the gradients (bucketed all-reduce overlapped with
    the backward pass), so all replicas take the same optimizer step.

    `batch_size` in `fit` / `evaluate` / `predict` is per process: each step uses a global batch
    of `batch_size * num_processes` samples (pass `batch_size=global // num_processes` to keep a
    global batch). A global batch is split into contiguous parts, one per process, and the
    gradient is the one of the whole global batch, also for a smaller last batch (each
    process's part is weighted by its number of samples).

    Args:
        device_mesh: a 1D `DeviceMesh` of the job's devices (one per process).
        devices: the devices, instead of a mesh (default: `list_devices()`).
        auto_shard_dataset: see `Distribution`.
        find_unused_parameters: passed to `DistributedDataParallel` (lamina's addition): set it
            when some trainable weights take no part in a training step's forward pass.
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True,
                 find_unused_parameters=False):
        if process_group.launched_num_processes() > 1:
            process_group.initialize()
        if device_mesh is not None:
            if not isinstance(device_mesh, DeviceMesh):
                raise ValueError(
                    "DataParallel(device_mesh=...) expects a DeviceMesh; received "
                    f"{device_mesh!r} of type {type(device_mesh).__name__}.")
            if len(device_mesh.shape) != 1:
                warnings.warn(
                    f"DataParallel expects a 1D device mesh; received shape {device_mesh.shape}. "
                    "Its first axis is used to split the data.", stacklevel=2)
            super().__init__(device_mesh, device_mesh.axis_names[0], auto_shard_dataset)
        else:
            devices = np.array(list_devices() if not devices else list(devices))
            mesh = DeviceMesh(devices.shape, [DEFAULT_BATCH_DIM_NAME], devices)
            super().__init__(mesh, DEFAULT_BATCH_DIM_NAME, auto_shard_dataset)
        self.find_unused_parameters = bool(find_unused_parameters)
        _check_one_device_per_process(self.device_mesh.devices.size, "DataParallel")

    @property
    def num_model_replicas(self):
        return self.device_mesh.devices.size

    def get_variable_layout(self, variable):
        """Every variable is replicated."""
        layout = getattr(variable, "_layout", None)
        return layout if layout is not None else TensorLayout(
            [None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return None


@keras_export("distribution.ModelParallel")
class ModelParallel(Distribution):
    """Model parallelism: the variables named by `layout_map` are split between processes.

    lamina runs it on PyTorch FSDP2 (`torch.distributed.fsdp.fully_shard`, on GPUs with NCCL or
    on CPU with gloo). At the first `fit` every layer that has a variable whose layout splits a
    dimension is sharded, that variable along that dimension, then the model (the other
    trainable variables, along their first dimension); the optimizer's state is split with the
    variables. Each process reads its own part of every batch, as under `DataParallel`
    (`batch_size` is per process). `get_weights()` and saving gather the whole values: call
    `model.save()` in every process, and process 0 writes a file equal to a single-process
    save. See docs/distributed.md and model_parallel.py.

    Args:
        layout_map: a `LayoutMap` (its device mesh is the job's mesh).
        batch_dim_name: the mesh axis the data is split along (default: the first).
        auto_shard_dataset: see `Distribution`.
    """

    def __init__(self, *, layout_map=None, batch_dim_name=None, auto_shard_dataset=True,
                 **kwargs):
        kwargs.pop("device_mesh", None)  # (an older Keras argument: the layout map's mesh wins)
        if kwargs:
            raise TypeError(f"ModelParallel() got unexpected arguments {sorted(kwargs)}.")
        if process_group.launched_num_processes() > 1:
            process_group.initialize()
        if layout_map is None:
            raise ValueError("ModelParallel needs a `layout_map=` (a LayoutMap).")
        if not isinstance(layout_map, LayoutMap):
            raise ValueError(
                "ModelParallel(layout_map=...) expects a LayoutMap; received "
                f"{layout_map!r} of type {type(layout_map).__name__}.")
        mesh = layout_map.device_mesh
        super().__init__(mesh, batch_dim_name or mesh.axis_names[0], auto_shard_dataset)
        self._layout_map = layout_map
        _check_one_device_per_process(mesh.devices.size, "ModelParallel")

    @property
    def layout_map(self):
        return self._layout_map

    @property
    def num_model_replicas(self):
        return self.device_mesh.shape[self.device_mesh.axis_names.index(self.batch_dim_name)]

    def get_variable_layout(self, variable):
        layout = getattr(variable, "_layout", None)
        if layout is not None:
            return layout
        layout = self._layout_map[variable.path]
        return layout if layout is not None else TensorLayout(
            [None] * len(variable.shape), self.device_mesh)

    def get_tensor_layout(self, path):
        return self._layout_map[path]


@keras_export("distribution.distribution")
def distribution():
    """The current distribution: the one set with `set_distribution()` (or a `scope()`), else a
    `DataParallel` when the process was started by torchrun (or another launcher setting
    WORLD_SIZE > 1), else None."""
    value = _current["value"]
    if value is _UNSET:
        value = None
        if process_group.launched_num_processes() > 1:
            value = DataParallel()
        _current["value"] = value
    return value


@keras_export("distribution.set_distribution")
def set_distribution(value):
    """Make `value` (a `Distribution`, or None for none) the current distribution."""
    if value is not None and not isinstance(value, Distribution):
        raise ValueError(
            "set_distribution() expects a Distribution (DataParallel, ModelParallel) or None; "
            f"received {value!r}.")
    _current["value"] = value


@keras_export("distribution.distribute_tensor")
def distribute_tensor(tensor, layout):
    """`tensor` placed as `layout` says: unchanged when nothing is split or outside a job,
    else a DTensor holding this process's part."""
    from lamina.symbolic.keras_tensor import KerasTensor

    if isinstance(tensor, KerasTensor) or not process_group.is_distributed():
        return tensor
    if all(axis is None for axis in layout.axes):
        return tensor
    from torch.distributed.tensor import distribute_tensor as torch_distribute

    mesh = layout.device_mesh
    return torch_distribute(tensor, mesh.backend_mesh, layout.backend_layout)


def _check_one_device_per_process(num_devices, name):
    processes = process_group.num_processes()
    if num_devices != processes and (processes > 1 or num_devices > 1):
        raise ValueError(
            f"{name} over {num_devices} devices needs one process per device, but this job has "
            f"{processes} process(es). Start one process per device, e.g. `torchrun "
            f"--nproc_per_node={num_devices} train.py`, and leave `devices` / `device_mesh` "
            "at their defaults.")
