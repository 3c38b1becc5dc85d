"""`DeviceMesh` (devices arranged in named axes) and `TensorLayout` (which tensor dimension is
split along which mesh axis), with Keras's names and checks.

On torch, a mesh of a job's devices maps to `torch.distributed.device_mesh.DeviceMesh` over the
ranks (device "gpu:r" is process r), and a layout to DTensor placements: `Shard(dim)` on every
mesh axis named in `axes`, `Replicate()` on the others.
"""

import math

import numpy as np

from lamina.registry.export import keras_export


@keras_export("distribution.DeviceMesh")
class DeviceMesh:
    """Devices arranged in a grid whose axes have names.

    Args:
        shape: the grid's shape, e.g. `(8,)` for data parallelism only, or `(2, 4)` for two
            replicas of a model split over four devices.
        axis_names: one name per axis, e.g. `("batch", "model")`; layouts refer to these.
        devices: the devices, as `list_devices()` names them (the default: all of them).
    """

    def __init__(self, shape, axis_names, devices=None):
        if not shape or not axis_names:
            raise ValueError(
                f"DeviceMesh needs a non-empty shape and axis_names. Received: shape={shape}, "
                f"axis_names={axis_names}")
        if len(shape) != len(axis_names):
            raise ValueError(
                "DeviceMesh needs one axis name per dimension of `shape`. Received: "
                f"shape={shape}, axis_names={axis_names}")
        if devices is None:
            from lamina.distribution.devices import list_devices

            devices = list_devices()
        devices = np.array(devices)
        if math.prod(shape) != devices.size:
            raise ValueError(
                f"DeviceMesh shape {tuple(shape)} holds {math.prod(shape)} devices, but "
                f"{devices.size} were given (devices.shape={devices.shape}). Make the shape's "
                "product equal the number of devices.")
        self._shape = tuple(shape)
        self._axis_names = tuple(axis_names)
        self._devices = devices.reshape(self._shape)

    @property
    def shape(self):
        return self._shape

    @property
    def axis_names(self):
        return self._axis_names

    @property
    def devices(self):
        return self._devices

    @property
    def backend_mesh(self):
        """The `torch.distributed.device_mesh.DeviceMesh` over the ranks of these devices."""
        if not hasattr(self, "_backend_mesh"):
            from torch.distributed.device_mesh import DeviceMesh as TorchMesh

            from lamina.distribution.process_group import local_device

            ranks = np.vectorize(device_rank)(self._devices)
            self._backend_mesh = TorchMesh(local_device().type, ranks.tolist(),
                                           mesh_dim_names=self._axis_names)
        return self._backend_mesh

    def __repr__(self):
        return f"<DeviceMesh shape={self.shape}, axis_names={self.axis_names}>"


@keras_export("distribution.TensorLayout")
class TensorLayout:
    """Which mesh axis each dimension of a tensor is split along (`None`: not split).

    Args:
        axes: one entry per tensor dimension, a mesh axis name or None, e.g. `(None, "model")`
            splits a Dense kernel's output units along the "model" axis.
        device_mesh: the mesh the names refer to (a `LayoutMap` fills it in).
    """

    def __init__(self, axes, device_mesh=None):
        self._axes = tuple(axes)
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def axes(self):
        return self._axes

    @property
    def device_mesh(self):
        return self._device_mesh

    @device_mesh.setter
    def device_mesh(self, device_mesh):
        if self._device_mesh is not None:
            raise ValueError(
                f"This TensorLayout already has a device mesh ({self._device_mesh}); it cannot "
                "be replaced. Create a new TensorLayout instead.")
        self._device_mesh = device_mesh
        self._validate_axes()

    @property
    def backend_layout(self):
        """The DTensor placements, one per mesh axis."""
        from torch.distributed.tensor import Replicate, Shard

        if self._device_mesh is None:
            raise ValueError("This TensorLayout has no device mesh: pass `device_mesh=`.")
        placements = []
        for name in self._device_mesh.axis_names:
            dims = [i for i, axis in enumerate(self._axes) if axis == name]
            placements.append(Shard(dims[0]) if dims else Replicate())
        return placements

    def _validate_axes(self):
        if self._device_mesh is None:
            return
        unknown = {axis for axis in self._axes if axis is not None} - set(
            self._device_mesh.axis_names)
        if unknown:
            raise ValueError(
                f"TensorLayout axes {sorted(unknown)} are not axes of the device mesh; valid "
                f"names: {list(self._device_mesh.axis_names)}.")

    def __repr__(self):
        return f"<TensorLayout axes={self.axes}, device_mesh={self.device_mesh}>"


def device_rank(device):
    """'gpu:3' -> 3: the process that owns the device in a job."""
    text = str(device)
    _, _, index = text.rpartition(":")
    if not index.isdigit():
        raise ValueError(f"Device names look like 'gpu:0' or 'cpu:1'; received {device!r}.")
    return int(index)
