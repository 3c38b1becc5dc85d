"""RandomGrayscale: turn a random subset of RGB images into gray ones (channels kept)."""

import torch

from lamina.layers.preprocessing.augmentation_base import AugmentationLayer, grayscale
from lamina.registry.export import keras_export


@keras_export("layers.RandomGrayscale")
class RandomGrayscale(AugmentationLayer):
    """Converts each image to grayscale with probability `factor` during training.

    The gray value is `0.2989 R + 0.5870 G + 0.1140 B` (Keras's weights), repeated over the
    channels so the output keeps the input's shape.

    Args:
        factor: probability in [0, 1] of converting an image (default 0.5).
        seed: int for reproducible draws.
    """

    _cast_when_inactive = False

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not 0 <= factor <= 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor

    def augment(self, images):
        apply = self.uniform((images.shape[0], 1, 1, 1), 0.0, 1.0, images) < self.factor
        return torch.where(apply, grayscale(images).expand_as(images), images)

    def get_config(self):
        # (Keras's config drops the seed; lamina keeps every constructor argument, so a saved
        # layer draws the same numbers after loading.)
        return {**super().get_config(), "factor": self.factor}
