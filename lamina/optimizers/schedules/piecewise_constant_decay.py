"""A learning rate that is constant between given step boundaries."""

import torch

from lamina import config as lamina_config
from lamina.optimizers.schedules import learning_rate_schedule as base
from lamina.registry.export import keras_export


@keras_export("optimizers.schedules.PiecewiseConstantDecay")
class PiecewiseConstantDecay(base.LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[1]` while `step <= boundaries[1]`, ...,
    and `values[-1]` once `step > boundaries[-1]`.

    Example: 1.0 for the first 100001 steps, 0.5 for the next 10000, then 0.1:

    ```python
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([100000, 110000], [1.0, 0.5, 0.1])
    ```
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay needs one more value than boundaries (one value per "
                f"interval). Received: boundaries={boundaries} of length {len(boundaries)}, "
                f"and values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name
        self._tables = {}  # device -> (boundaries, values) tensors, made once per device

    def __call__(self, step):
        if not isinstance(step, torch.Tensor):
            step = torch.tensor(step)
        boundaries, values = self._tables_on(step.device, step.dtype)
        # bucketize(right=False) counts the boundaries strictly below `step`: exactly the index of
        # the interval `(boundaries[i-1], boundaries[i]]` that holds it.
        index = torch.bucketize(step.reshape(1), boundaries)
        return values.index_select(0, index).reshape(())

    def _tables_on(self, device, step_dtype):
        key = (device, step_dtype)
        if key not in self._tables:
            # Boundaries take the step's type, as in Keras (float boundaries truncate for an
            # integer step).
            boundaries = torch.tensor(self.boundaries).to(device=device, dtype=step_dtype)
            floatx = lamina_config.to_torch_dtype(lamina_config.floatx())
            values = torch.tensor(self.values, dtype=floatx, device=device)
            self._tables[key] = (boundaries, values)
        return self._tables[key]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}
