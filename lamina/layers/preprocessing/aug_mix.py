"""AugMix: blend an image with a random mixture of randomly augmented copies of itself."""

import torch

from lamina.ops import image_kernels
from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           check_value_range, keras_factor)
from lamina.layers.preprocessing.policy_operations import attach_operations
from lamina.layers.preprocessing.random_image_layer import as_param
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

    In a dict input, segmentation masks go through each chain's geometric operations (shear,
    translation, rotation; nearest sampling) with the images' draws and are mixed with the
    images' weights, so they come out as soft (float) masks, not clipped; bounding boxes
    are returned unchanged, as in Keras. The transformation is Keras's dict:
    `{"chain_mixing_weights": (num_chains,), "weight_sample": (), "chain_transforms": [[{
    "layer_name", "transformation"}, ...] per chain]}`; the colour operations' entries are
    None in lamina's (they draw when they transform the images).

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
    _masks_mode = "transform"
    _uses_transformations = True

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
        self._operation_names = names
        self._operations = attach_operations(self, names, self.factor, self.value_range,
                                             interpolation, seed, self.data_format)

    def _random_transformation(self, images, input_shape):
        if self.num_chains == 0:
            return None
        device, dtype = images.device, images.dtype
        generator = self.generator.generator(device)
        concentration = torch.full((self.num_chains + 2,), float(self.alpha), device=device)
        gammas = torch._standard_gamma(concentration, generator=generator)
        chain_weights = (gammas[:-2] / gammas[:-2].sum()).to(dtype)  # Dirichlet(alpha)
        weight_sample = (gammas[-2] / (gammas[-2] + gammas[-1])).to(dtype)  # Beta
        # One operation (or nothing, the last index) per step of every chain.
        choices = torch.randint(0, len(self._operations) + 1,
                                (self.num_chains, self.chain_depth), generator=generator,
                                device=device).tolist()
        chains = []
        for chain in choices:
            steps = []
            for index in chain:
                if index == len(self._operations):
                    continue
                operation = self._operations[index]
                steps.append({"layer_name": self._operation_names[index],
                              "transformation": (
                                  operation._random_transformation(images, input_shape)
                                  if operation._uses_transformations else None)})
            chains.append(steps)
        return {"chain_mixing_weights": chain_weights, "weight_sample": weight_sample,
                "chain_transforms": chains}

    def _mix(self, data, transformation, through):
        """`weight_sample data + (1 - weight_sample) sum_c w_c chain_c(data)`, where
        `through(operation, data, sub)` applies one step of a chain."""
        weights = as_param(transformation["chain_mixing_weights"], data, (-1,))
        weight_sample = as_param(transformation["weight_sample"], data, ())
        mixed = torch.zeros_like(data)
        for weight, chain in zip(weights, transformation["chain_transforms"]):
            augmented = data
            for step in chain:
                augmented = through(getattr(self, step["layer_name"]), augmented,
                                    step["transformation"])
            mixed = mixed + weight * augmented
        return weight_sample * data + (1 - weight_sample) * mixed

    def _transform_batch(self, images, transformation, interpolation=None):
        def through(operation, images, sub):
            if not operation._uses_transformations:
                return operation.augment(images)  # colour operations draw as they go
            return images if sub is None else operation._transform_batch(images, sub)

        images = self._mix(images, transformation, through)
        return images.clamp(self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """Masks through the chains' geometric operations, mixed as the images (not
        clipped: mask values are not pixel values)."""
        if not training or transformation is None:
            return segmentation_masks
        masks = image_kernels.as_float(torch.as_tensor(segmentation_masks), self._torch_dtype)

        def through(operation, masks, sub):
            if operation._masks_mode != "transform" or sub is None:
                return masks
            return operation.transform_segmentation_masks(masks, sub)

        return self._mix(masks, transformation, through)

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range),
                "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": list(self.factor), "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation}
