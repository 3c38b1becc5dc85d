"""Dynamic loss scaling for float16 training (what Keras's LossScaleOptimizer does).

The loss is multiplied by a large scale before backward so small gradients survive float16;
gradients are divided by it before the update. When a step overflows (inf/NaN gradients) the
update is skipped and the scale halved; after `growth_steps` good steps it doubles.
"""

import torch


class DynamicLossScale:
    def __init__(self, initial_scale=2.0 ** 15, growth_steps=1000):
        self.scale = float(initial_scale)
        self.growth_steps = int(growth_steps)
        self.good_steps = 0

    def get_state(self):
        """The scale's state as plain values (what a backup saves); `set_state` restores it."""
        return {"scale": float(self.scale), "good_steps": int(self.good_steps)}

    def set_state(self, state):
        self.scale = float(state["scale"])
        self.good_steps = int(state["good_steps"])

    def scale_loss(self, loss):
        return loss * self.scale

    def unscale(self, grads):
        """Divide `grads` in place by the scale; True when all are finite (apply the step)."""
        grads = [g for g in grads if g is not None]
        if not grads:
            return True
        found_inf = torch.zeros(1, device=grads[0].device)
        inverse = torch.full((1,), 1.0 / self.scale, device=grads[0].device)
        torch._amp_foreach_non_finite_check_and_unscale_(grads, found_inf, inverse)
        finite = not bool(found_inf.item())  # one sync per step: the price of float16 safety
        if finite:
            self.good_steps += 1
            if self.good_steps >= self.growth_steps:
                self.scale *= 2.0
                self.good_steps = 0
        else:
            self.scale = max(self.scale / 2.0, 1.0)
            self.good_steps = 0
        return finite
