"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2017)."""

from lamina.optimizers import adam
from lamina.registry.export import keras_export


@keras_export("optimizers.AdamW", aliases=("adamw",))
class AdamW(adam.Adam):
    """Adam with decoupled weight decay, on by default (`weight_decay=0.004`).

    Every step first shrinks each weight by `w * weight_decay * learning_rate`, then applies the
    Adam update. (Every lamina optimizer accepts `weight_decay`; AdamW only changes the default.)

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        weight_decay: Defaults to 0.004 (torch.optim.AdamW uses 0.01).
        beta_1, beta_2, epsilon, amsgrad: As in `Adam`.
        **kwargs: The base optimizer arguments, see `Optimizer`.
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        **kwargs,
    ):
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError(
                "AdamW needs a float `weight_decay` (use Adam for none). "
                "Received: weight_decay=None"
            )
