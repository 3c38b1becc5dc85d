"""SwapEMAWeights: evaluate (and optionally checkpoint) with the optimizer's moving average of
the weights instead of the weights themselves.

An optimizer created with `use_ema=True` keeps an exponential moving average of every trained
weight (`optimizer._model_variables_moving_average`, one tensor per
`optimizer._trainable_variables`). This callback exchanges the two in place before evaluation
and prediction and exchanges them back afterwards, so no second copy of the model is kept.
"""

import torch

from lamina.callbacks.callback import Callback
from lamina.registry.export import keras_export


@keras_export("callbacks.SwapEMAWeights")
class SwapEMAWeights(Callback):
    """Evaluate and predict with the optimizer's EMA weights (Polyak averaging).

    Use with an optimizer created with `use_ema=True`.

    Args:
        swap_on_epoch: also hold the EMA weights in the model between `on_epoch_end` and the
            next `on_epoch_begin`, so that callbacks after this one (e.g. `ModelCheckpoint`)
            see them.

    Example:
        model.compile(optimizer=lamina.optimizers.SGD(use_ema=True), loss="mse")
        model.fit(x, y, validation_data=(x_val, y_val), callbacks=[SwapEMAWeights()])
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _ema_optimizers(self):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            raise ValueError(
                "SwapEMAWeights needs a compiled model: compile it with an optimizer created "
                "with use_ema=True (e.g. SGD(use_ema=True))."
            )
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # a LossScaleOptimizer
        inner = getattr(optimizer, "optimizers", None)  # a MultiOptimizer's parts
        candidates = list(inner) if inner else [optimizer]
        with_ema = [opt for opt in candidates if getattr(opt, "use_ema", False)]
        if not with_ema:
            raise ValueError(
                "SwapEMAWeights needs an optimizer with an exponential moving average of the "
                "weights: create it with use_ema=True (e.g. SGD(use_ema=True)). Received: "
                f"{type(optimizer).__name__} with use_ema=False."
            )
        # An optimizer that has not taken a step yet has no averages: nothing to swap.
        return [opt for opt in with_ema if hasattr(opt, "_model_variables_moving_average")]

    @torch.no_grad()
    def _swap_variables(self):
        for optimizer in self._ema_optimizers():
            for variable, average in zip(optimizer._trainable_variables,
                                         optimizer._model_variables_moving_average):
                weights = variable.detach().clone()
                variable.copy_(average)
                average.copy_(weights)

    @torch.no_grad()
    def _finalize_ema_values(self):
        # The model holds the EMA weights: the averages get them too, so that fit's final
        # "copy the averages into the weights" keeps the EMA weights.
        for optimizer in self._ema_optimizers():
            for variable, average in zip(optimizer._trainable_variables,
                                         optimizer._model_variables_moving_average):
                average.copy_(variable)

    def _to_ema(self):
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def _to_weights(self):
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._to_weights()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._to_ema()
            last_epoch = (self.params or {}).get("epochs")
            if epoch == (last_epoch or 0) - 1 or getattr(self.model, "stop_training", False):
                self._finalize_ema_values()

    def on_test_begin(self, logs=None):
        self._to_ema()

    def on_test_end(self, logs=None):
        self._to_weights()

    def on_predict_begin(self, logs=None):
        self._to_ema()

    def on_predict_end(self, logs=None):
        self._to_weights()
