"""CutMix: paste a random rectangle of another image of the batch into each image."""

import torch

from lamina.layers.preprocessing.augmentation_base import box_masks, keras_factor
from lamina.layers.preprocessing.mix_up import MixUp, _order
from lamina.registry.export import keras_export


@keras_export("layers.CutMix")
class CutMix(MixUp):
    """Replaces a random rectangle of each image by the same region of another image.

    Per call, alpha is drawn from `factor`'s range (plus 1e-6); per image, w ~ Beta(alpha,
    alpha), and a rectangle with sides `sqrt(1 - w)` times the image's is placed uniformly at
    random and filled from the image `perm[i]` of a random batch permutation. In a dict
    input, labels are mixed by the area actually kept and segmentation masks get the same
    rectangle from the same partner; bounding boxes are refused (NotImplementedError), as in
    Keras. Unbatched images are returned unchanged.

    The transformation is Keras's dict: `{"permutation_order": (batch,), "batch_masks":
    bool, "mix_weight": kept area fraction}`. lamina's `batch_masks` have one channel
    (Keras's repeat the images' channel count, which also gives 1-channel segmentation masks
    the images' channel count; lamina keeps the masks' own channels) and either form is
    accepted.

    Args:
        factor: a number f (alpha from [0, f]) or a pair in [0, 1]. Default 1.0.
        seed: int for reproducible draws.
    """

    _boxes_mode = None  # Keras 3.15 has no box transform for CutMix either
    _masks_mode = "transform"

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "CutMix")

    def _random_transformation(self, images, input_shape):
        if len(input_shape) == 3:  # Keras leaves single images alone
            return None
        batch, height, width, _ = images.shape
        alpha = float(self.uniform((), self.factor[0], self.factor[1], images)) + 1e-6
        ratio = torch.sqrt(1.0 - self.beta((batch,), alpha, images))
        x0, x1 = self._bounds(batch, width, ratio, images)
        y0, y1 = self._bounds(batch, height, ratio, images)
        masks = box_masks(height, width, x0, x1, y0, y1, images)  # (batch, h, w, 1)
        kept = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        order = self.permutation(batch, images)
        if self.data_format == "channels_first":
            masks = masks.permute(0, 3, 1, 2)
        return {"permutation_order": order, "batch_masks": masks, "mix_weight": kept}

    def _bounds(self, batch, length, ratio, images):
        size = ratio * length
        start = self.uniform((batch,), 0.0, 1.0, images) * (length - size)
        return start, start + size

    def _transform_batch(self, images, transformation, interpolation=None):
        # Images and segmentation masks (batch, h, w, c) alike: the rectangle (the same for
        # every channel) comes from the partner image.
        masks = torch.as_tensor(transformation["batch_masks"], device=images.device)
        if self.data_format == "channels_first":
            masks = masks.permute(0, 2, 3, 1)
        masks = masks[..., :1].to(torch.bool)
        return torch.where(masks, images[_order(transformation, images.device)], images)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        raise NotImplementedError(
            "CutMix cannot move bounding boxes (Keras 3.15 has no transform for them "
            "either); pass 'images' with 'labels' and/or 'segmentation_masks'."
        )

    def get_config(self):
        config = {**super().get_config(), "factor": list(self.factor)}
        config.pop("alpha")
        return config
