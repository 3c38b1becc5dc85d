"""RandomErasing: overwrite a random rectangle of some images with noise or a constant."""

import torch

from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer, box_masks,
                                                           keras_factor)
from lamina.registry.export import keras_export


@keras_export("layers.RandomErasing")
class RandomErasing(AugmentationLayer):
    """Erases one random rectangle per image during training.

    Per image: a probability p drawn from `factor`'s range decides (against a U[0, 1) draw)
    whether it is erased; the rectangle's width and height are `sqrt(s) * size` with s drawn
    from `scale` for each axis, and its position is uniform inside the image.

    Args:
        factor: a number f (probabilities from [0, f]) or a pair in [0, 1]. Default 1.0.
        scale: (low, high) fractions for the rectangle's sides (squared), in [0, 1];
            default (0.02, 0.33).
        fill_value: None (default) fills with Gaussian noise times `value_range[1]`; a number
            or a list of 3 numbers (one per channel) fills with that value. Clipped to
            `value_range`.
        value_range: (min, max) of the pixel values (default (0, 255)).
        seed: int for reproducible draws.
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255),
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomErasing")
        self.scale = keras_factor(scale, (0, 1), "RandomErasing", "scale")
        if fill_value is not None and not (
                isinstance(fill_value, (int, float))
                or (isinstance(fill_value, (tuple, list)) and len(fill_value) == 3)):
            raise ValueError(
                "RandomErasing: the `fill_value` argument should be a number (or a list of "
                f"three numbers). Received: fill_value={fill_value}"
            )
        self.fill_value = fill_value
        self.value_range = value_range

    def augment(self, images):
        batch, height, width, _ = images.shape
        ratio = torch.sqrt(self.uniform((batch, 2), self.scale[0], self.scale[1], images))
        x0, x1 = self._bounds(batch, width, ratio[:, 0], images)
        y0, y1 = self._bounds(batch, height, ratio[:, 1], images)
        masks = box_masks(height, width, x0, x1, y0, y1, images)
        probability = self.uniform((batch,), self.factor[0], self.factor[1], images)
        apply = self.uniform((batch,), 0.0, 1.0, images) < probability
        if self.fill_value is None:
            generator = self.generator.generator(images.device)
            fill = torch.randn(images.shape, generator=generator, device=images.device,
                               dtype=images.dtype) * self.value_range[1]
        else:
            fill = torch.as_tensor(self.fill_value, dtype=images.dtype,
                                   device=images.device).expand(images.shape)
        fill = torch.clamp(fill, self.value_range[0], self.value_range[1])
        erase = masks & apply.view(batch, 1, 1, 1)
        return torch.where(erase, fill, images)

    def _bounds(self, batch, length, ratio, images):
        size = ratio * length
        start = self.uniform((batch,), 0.0, 1.0, images) * (length - size)
        return start, start + size

    def get_config(self):
        fill = list(self.fill_value) if isinstance(self.fill_value, tuple) else self.fill_value
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "fill_value": fill, "value_range": list(self.value_range)}
