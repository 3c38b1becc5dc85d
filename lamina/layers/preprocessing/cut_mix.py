"""CutMix: paste a random rectangle of another image of the batch into each image."""

import torch

from lamina.layers.preprocessing.augmentation_base import box_masks, keras_factor
from lamina.layers.preprocessing.mix_up import MixUp
from lamina.registry.export import keras_export


@keras_export("layers.CutMix")
class CutMix(MixUp):
    """Replaces a random rectangle of each image by the same region of another image.

    Per call, alpha is drawn from `factor`'s range (plus 1e-6); per image, w ~ Beta(alpha,
    alpha), and a rectangle with sides `sqrt(1 - w)` times the image's is placed uniformly at
    random and filled from the image `perm[i]` of a random batch permutation. Labels (in a
    `{"images", "labels"}` dict) are mixed by the area actually kept. Unbatched images are
    returned unchanged.

    Args:
        factor: a number f (alpha from [0, f]) or a pair in [0, 1]. Default 1.0.
        seed: int for reproducible draws.
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "CutMix")

    def call(self, inputs, training=True):
        images = inputs["images"] if isinstance(inputs, dict) else inputs
        if getattr(images, "ndim", 4) == 3:  # Keras leaves single images alone
            training = False
        return super().call(inputs, training=training)

    def augment_with_labels(self, images, labels):
        batch, height, width, _ = images.shape
        alpha = float(self.uniform((), self.factor[0], self.factor[1], images)) + 1e-6
        ratio = torch.sqrt(1.0 - self.beta((batch,), alpha, images))
        x0, x1 = self._bounds(batch, width, ratio, images)
        y0, y1 = self._bounds(batch, height, ratio, images)
        masks = box_masks(height, width, x0, x1, y0, y1, images)
        kept = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        order = self.permutation(batch, images)
        images = torch.where(masks, images[order], images)
        if labels is not None:
            kept = kept.view(-1, 1).to(labels.dtype if labels.is_floating_point()
                                      else images.dtype)
            labels = kept * labels + (1.0 - kept) * labels[order]
        return images, labels

    def _bounds(self, batch, length, ratio, images):
        size = ratio * length
        start = self.uniform((batch,), 0.0, 1.0, images) * (length - size)
        return start, start + size

    def get_config(self):
        config = {**super().get_config(), "factor": list(self.factor)}
        config.pop("alpha")
        return config
