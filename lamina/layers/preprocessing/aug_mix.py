"""AugMix: blend an image with a random mixture of randomly augmented copies of itself."""

import torch

from lamina.ops import image_kernels
from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           check_value_range, keras_factor)
from lamina.layers.preprocessing.policy_operations import attach_operations
from lamina.registry.export import keras_export

AUGMIX_OPERATIONS = ("random_shear", "random_translation", "random_rotation",
                     "random_posterization", "solarization", "auto_contrast", "equalization")
AUGMIX_COLOUR_OPERATIONS = ("random_brightness", "random_color_degeneration",
                            "random_contrast", "random_sharpness")


@keras_export("layers.AugMix")
class AugMix(AugmentationLayer):
    """AugMix (Hendrycks et al., 2019) during training.

    Each of `num_chains` chains applies up to `chain_depth` operations to a copy of the
    batch: at every step one of the operations or "nothing" is chosen uniformly (the same
    choice for the whole batch, as in Keras). The chains are averaged with weights from a
    Dirichlet(alpha) distribution, and the result is `w x + (1 - w) mix` with w ~
    Beta(alpha, alpha), clipped to `value_range`. The operations are Keras's layers (shear,
    translation, rotation, posterization, solarization, auto-contrast, equalization, and with
    `all_ops` also brightness, colour degeneration, contrast and sharpness) with `factor` as
    their strength, held as attributes named as in Keras (`random_shear`, ...).

    Unlike Keras, which picks the operations with Python's unseeded `random` module, every
    draw here comes from the layer's seed, so a seeded layer is reproducible.

    Args:
        value_range: (min, max) of the pixel values (default (0, 255)).
        num_chains: number of augmentation chains mixed together (default 3).
        chain_depth: maximum number of operations per chain (default 3).
        factor: the strength, a number f (meaning [0, f]) or a pair in [0, 1]. Default 0.3.
        alpha: the Beta and Dirichlet concentration (default 1.0).
        all_ops: whether to include the four colour operations too (default True).
        interpolation: "bilinear" (default) or "nearest", for the geometric operations.
        seed: int for reproducible draws.
    """

    _boxes_mode = "pass"  # Keras returns the boxes unchanged
    _masks_mode = None  # not implemented in lamina yet

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        name = "AugMix"
        self.value_range = check_value_range(value_range, name)
        for argument, value in (("num_chains", num_chains), ("chain_depth", chain_depth)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name}: `{argument}` should be a non-negative integer. "
                                 f"Received: {argument}={value!r}")
        if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or alpha <= 0:
            raise ValueError(f"{name}: `alpha` should be a positive number. "
                             f"Received: alpha={alpha!r}")
        self.num_chains = num_chains
        self.chain_depth = chain_depth
        self.factor = keras_factor(factor, (0, 1), name)
        self.alpha = alpha
        self.all_ops = all_ops
        image_kernels.check_choice(interpolation, image_kernels.AFFINE_INTERPOLATIONS,
                                   "interpolation", name)
        self.interpolation = interpolation
        names = AUGMIX_OPERATIONS + (AUGMIX_COLOUR_OPERATIONS if all_ops else ())
        self._operations = attach_operations(self, names, self.factor, self.value_range,
                                             interpolation, seed, self.data_format)

    def augment(self, images):
        if self.num_chains == 0:
            return images
        device, dtype = images.device, images.dtype
        generator = self.generator.generator(device)
        concentration = torch.full((self.num_chains + 2,), float(self.alpha), device=device)
        gammas = torch._standard_gamma(concentration, generator=generator)
        chain_weights = (gammas[:-2] / gammas[:-2].sum()).to(dtype)  # Dirichlet(alpha)
        original_weight = (gammas[-2] / (gammas[-2] + gammas[-1])).to(dtype)  # Beta
        # One operation (or nothing, the last index) per step of every chain.
        choices = torch.randint(0, len(self._operations) + 1,
                                (self.num_chains, self.chain_depth), generator=generator,
                                device=device).tolist()
        mixed = torch.zeros_like(images)
        for weight, chain in zip(chain_weights, choices):
            augmented = images
            for index in chain:
                if index < len(self._operations):
                    augmented = self._operations[index].augment(augmented)
            mixed = mixed + weight * augmented
        images = original_weight * images + (1 - original_weight) * mixed
        return images.clamp(self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range),
                "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": list(self.factor), "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation}
