"""`TrainingState`: where a `fit()` stands, and every random state its next step depends on.

`fit` creates one before `on_train_begin` and exposes it as `model.training_state` (the last one
stays there after fit). Callbacks read it and may ask fit to start elsewhere:

    state = self.model.training_state
    state.epoch, state.step          # the epoch in progress, batches done in it
    state.data_state()               # the data's resumable position (or None)
    rng = state.get_rng_state()      # torch, CUDA, numpy, Python and per-layer generators
    state.set_rng_state(rng)
    state.get_loss_scale_state()     # float16 dynamic loss scale (or None)
    state.resume_from(epoch, step, data_state)   # in on_train_begin: fit starts there

Every state these methods return is made of plain values only (dicts, lists, str, int, float,
bool, None and CPU tensors), so it can be written with `torch.save` and read back with
`torch.load(..., weights_only=True)`: no pickled classes, no numpy objects.

Per-layer generators are found by walking `model.named_modules()`: each module attribute that is
a `torch.Generator` (`Dropout(seed=...)`, `GaussianNoise`, ...) or a
`lamina.random.SeedGenerator` (random augmentation layers, user layers) is keyed by the module's
path and the attribute's name, e.g. `"3._generator"`, plus the device for a SeedGenerator's
per-device generators, e.g. `"1.generator@cpu"`. Module paths are positional in Sequential and
functional models (`0`, `1`, ...), so the keys are the same in every run of the same code.
"""

import random

import numpy as np
import torch

from lamina.random.seed_generator import SeedGenerator


class TrainingState:
    """The public state of one `fit()` call (see the module docstring).

    Attributes:
        epoch: the epoch in progress (0-based).
        step: the number of batches done in the current epoch.
    """

    def __init__(self, model, adapter=None):
        self.model = model
        self.epoch = 0
        self.step = 0
        self._adapter = adapter
        self._resume = None

    def __repr__(self):
        return f"<TrainingState epoch={self.epoch} step={self.step}>"

    # ------------------------------------------------------------------ position
    def data_state(self):
        """Where the training data's pass stands (enough to continue it exactly), or None when
        the data source cannot be resumed mid-epoch (generators, datasets, `steps_per_epoch`)."""
        state = getattr(self._adapter, "state", None)
        return None if state is None else state()

    def resume_from(self, epoch, step=0, data_state=None):
        """Ask `fit` to start at batch `step` of `epoch` (call it in `on_train_begin`).

        `data_state` is a value `data_state()` returned; without it the epoch starts from its
        first batch (the data cannot be positioned mid-epoch), whatever `step` says.
        """
        self._resume = {"epoch": int(epoch), "step": int(step), "data": data_state}

    def resume_point(self, initial_epoch):
        """(epoch, step) where fit starts: the requested resume point, else `initial_epoch`.
        Called by `fit` once, after `on_train_begin`; it positions the data accordingly."""
        resume, self._resume = self._resume, None
        if resume is None:
            return initial_epoch, 0
        if resume["data"] is not None:
            self._adapter.restore(resume["data"])
            return resume["epoch"], resume["step"]
        # The pass begun to peek at a batch drew its order before the RNG was restored.
        self._adapter.reset()
        return resume["epoch"], 0

    def _end(self):
        """fit has returned: keep the position, drop the data (it may hold GPU memory)."""
        self._adapter = None
        self._resume = None

    # ------------------------------------------------------------------ random states
    def get_rng_state(self):
        """Every random generator a training step may draw from, as plain values."""
        algorithm, keys, position, has_gauss, cached_gaussian = np.random.get_state()
        version, internal, gauss_next = random.getstate()
        return {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "numpy": {"algorithm": str(algorithm), "keys": torch.from_numpy(keys.astype(np.int64)),
                      "position": int(position), "has_gauss": int(has_gauss),
                      "cached_gaussian": float(cached_gaussian)},
            "python": {"version": version, "internal": torch.tensor(internal, dtype=torch.int64),
                       "gauss_next": gauss_next},
            "layers": {key: generator.get_state()
                       for key, generator in _layer_generators(self.model)},
        }

    def set_rng_state(self, state):
        """Restore what `get_rng_state()` returned (generators of devices absent here are
        skipped; a layer generator the model no longer has is ignored)."""
        torch.set_rng_state(state["torch"])
        if state.get("cuda") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])
        numpy_state = state["numpy"]
        keys = numpy_state["keys"].numpy().astype(np.uint32)
        np.random.set_state((numpy_state["algorithm"], keys, numpy_state["position"],
                             numpy_state["has_gauss"], numpy_state["cached_gaussian"]))
        python = state["python"]
        random.setstate((python["version"], tuple(int(v) for v in python["internal"].tolist()),
                         python["gauss_next"]))
        saved = state.get("layers") or {}
        for key, generator in _layer_generators(self.model, saved):
            if key in saved:
                generator.set_state(saved[key])

    # ------------------------------------------------------------------ float16 loss scale
    def get_loss_scale_state(self):
        """The dynamic loss scale of float16 training (plain values), or None without one."""
        scale = getattr(self.model, "_loss_scale", None)
        return None if scale is None else scale.get_state()

    def set_loss_scale_state(self, state):
        scale = getattr(self.model, "_loss_scale", None)
        if state is not None and scale is not None:
            scale.set_state(state)


def _layer_generators(model, wanted=()):
    """(key, torch.Generator) for every per-layer generator of `model`. A SeedGenerator's device
    generator named in the keys `wanted` is created if it does not exist yet (a SeedGenerator
    makes them lazily, on the first draw on a device)."""
    for path, module in model.named_modules():
        prefix = f"{path}." if path else ""
        for name, value in vars(module).items():
            if isinstance(value, torch.Generator):
                yield prefix + name, value
            elif isinstance(value, SeedGenerator):
                base = f"{prefix}{name}@"
                devices = {str(device): device for device in value._generators}
                for key in wanted:
                    if key.startswith(base) and key[len(base):] not in devices:
                        device = torch.device(key[len(base):])
                        if device.type == "cpu" or (device.type == "cuda"
                                                    and torch.cuda.is_available()):
                            devices[str(device)] = device
                for label, device in devices.items():
                    yield base + label, value.generator(device)

