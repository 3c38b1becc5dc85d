"""MixUp: blend each image (and its label) with another image of the batch."""

import numpy as np
import torch

from lamina.layers.preprocessing.augmentation_base import AugmentationLayer
from lamina.registry.export import keras_export


@keras_export("layers.MixUp")
class MixUp(AugmentationLayer):
    """Mixes images in training: `w x + (1 - w) x[perm]`, w ~ Beta(alpha, alpha) per image.

    `perm` is a random permutation of the batch. Given `{"images": ..., "labels": ...}`,
    labels (batch, classes) are mixed with the same weights and permutation.

    Args:
        alpha: the Beta distribution's parameter (default 0.2).
        seed: int for reproducible draws.
    """

    _boxes_mode = None  # not implemented in lamina yet (Keras concatenates them)
    _masks_mode = None  # not implemented in lamina yet

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = alpha

    def augment(self, images):
        return self.augment_with_labels(images, None)[0]

    def augment_with_labels(self, images, labels):
        batch = images.shape[0]
        order = self.permutation(batch, images)
        weight = self.beta((batch,), self.alpha, images)
        image_weight = weight.view(-1, 1, 1, 1)
        images = image_weight * images + (1.0 - image_weight) * images[order]
        if labels is not None:
            weight = weight.view(-1, 1).to(labels.dtype if labels.is_floating_point()
                                          else images.dtype)
            labels = weight * labels + (1.0 - weight) * labels[order]
        return images, labels

    def permutation(self, size, like):
        generator = self.generator.generator(like.device)
        return torch.randperm(size, generator=generator, device=like.device)

    def beta(self, shape, alpha, like):
        """Beta(alpha, alpha) samples, seeded from this layer's generator."""
        generator = self.generator.generator(like.device)
        seed = int(torch.randint(0, 2 ** 62, (1,), generator=generator, device=like.device))
        samples = np.random.default_rng(seed).beta(float(alpha), float(alpha), size=shape)
        return torch.as_tensor(samples, dtype=like.dtype, device=like.device)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}
