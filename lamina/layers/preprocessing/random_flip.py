"""RandomFlip: mirror images left-right and/or top-bottom at random."""

import torch

from lamina.layers.preprocessing.random_image_layer import RandomImageLayer
from lamina.registry.export import keras_export

MODES = ("horizontal", "vertical", "horizontal_and_vertical")


@keras_export("layers.RandomFlip")
class RandomFlip(RandomImageLayer):
    """Flips each image with probability 1/2 during training.

    Args:
        mode: "horizontal" (left-right), "vertical" (top-bottom) or "horizontal_and_vertical"
            (default; one coin per image decides both flips, as in Keras).
        seed: int for reproducible flips.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in MODES:
            raise ValueError(
                f"RandomFlip: unknown `mode` {mode!r}. Expected one of {MODES}."
            )
        self.mode = mode

    def augment(self, images):
        flip = self.uniform((images.shape[0], 1, 1, 1), 0.0, 1.0, images) <= 0.5
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            images = torch.where(flip, images.flip(2), images)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            images = torch.where(flip, images.flip(1), images)
        return images

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
