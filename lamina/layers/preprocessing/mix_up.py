"""MixUp: blend each image (and its label, boxes and masks) with another image of the batch."""

import numpy as np
import torch

from lamina.layers.preprocessing.augmentation_base import AugmentationLayer
from lamina.layers.preprocessing.random_image_layer import as_param
from lamina.registry.export import keras_export


@keras_export("layers.MixUp")
class MixUp(AugmentationLayer):
    """Mixes images in training: `w x + (1 - w) x[perm]`, w ~ Beta(alpha, alpha) per image.

    `perm` is a random permutation of the batch. In a dict input (`{"images", "labels",
    "bounding_boxes", "segmentation_masks"}`), labels (batch, classes) and segmentation masks
    are mixed with the same weights and permutation, and each image keeps its own boxes
    followed by those of its partner image: boxes (batch, n, 4) and their labels (batch, n)
    become (batch, 2n, 4) and (batch, 2n), as in the MixUp-for-detection recipe. (Keras 3.15
    concatenates the box labels along the batch axis instead, giving (2 * batch, n) labels
    that no longer match the boxes, and takes the masks' partners from the flattened array;
    lamina pairs both per image.) The transformation is Keras's dict: `{"mix_weight":
    (batch,), "permutation_order": (batch,)}`.

    Args:
        alpha: the Beta distribution's parameter (default 0.2).
        seed: int for reproducible draws.
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"); needed
            when they have "bounding_boxes" (the boxes are only concatenated, in any format).
    """

    _boxes_mode = "transform"
    _masks_mode = "transform"
    _uses_transformations = True

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = alpha

    # --------------------------------------------------------------- random draws
    def _random_transformation(self, images, input_shape):
        batch = images.shape[0]
        order = self.permutation(batch, images)
        weight = self.beta((batch,), self.alpha, images)
        return {"mix_weight": weight, "permutation_order": order}

    def permutation(self, size, like):
        generator = self.generator.generator(like.device)
        return torch.randperm(size, generator=generator, device=like.device)

    def beta(self, shape, alpha, like):
        """Beta(alpha, alpha) samples, seeded from this layer's generator."""
        generator = self.generator.generator(like.device)
        seed = int(torch.randint(0, 2 ** 62, (1,), generator=generator, device=like.device))
        samples = np.random.default_rng(seed).beta(float(alpha), float(alpha), size=shape)
        return torch.as_tensor(samples, dtype=like.dtype, device=like.device)

    # ------------------------------------------------------------------ transforms
    def _transform_batch(self, images, transformation, interpolation=None):
        # Masks come here too (RandomImageLayer.transform_segmentation_masks): they are
        # blended like the images, so a mask becomes the soft mixture of the two masks.
        weight = as_param(transformation["mix_weight"], images, (-1, 1, 1, 1))
        order = _order(transformation, images.device)
        return weight * images + (1.0 - weight) * images[order]

    def transform_labels(self, labels, transformation, training=True):
        """Labels (batch, classes) mixed with the images' weights and permutation."""
        if not training or transformation is None:
            return labels
        order = _order(transformation)
        labels = torch.as_tensor(labels, device=order.device)
        weight = torch.as_tensor(transformation["mix_weight"], device=order.device)
        dtype = labels.dtype if labels.is_floating_point() else self._torch_dtype
        weight = weight.reshape(-1, 1).to(dtype)
        return weight * labels + (1.0 - weight) * labels[order]

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Each image's boxes, then its partner's: (batch, n, 4) -> (batch, 2n, 4), labels
        (batch, n) -> (batch, 2n). The format does not matter: nothing moves."""
        if not training or transformation is None:
            return bounding_boxes
        boxes = torch.as_tensor(bounding_boxes["boxes"])
        labels = torch.as_tensor(bounding_boxes["labels"], device=boxes.device)
        order = _order(transformation, boxes.device)
        return {**bounding_boxes,
                "boxes": torch.cat([boxes, boxes[order]], dim=1),
                "labels": torch.cat([labels, labels[order]], dim=1)}

    def _images_and_labels(self, images, labels, transformation, training):
        # A single image's labels (classes,) are a batch of one for the transformation.
        single = labels is not None and torch.as_tensor(images).ndim == 3
        if single:
            labels = torch.as_tensor(labels).unsqueeze(0)
        images, labels = super()._images_and_labels(images, labels, transformation, training)
        return images, (labels.squeeze(0) if single else labels)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


def _order(transformation, device=None):
    """The transformation's permutation as int64 indices (Keras's may be int32 or numpy)."""
    order = torch.as_tensor(transformation["permutation_order"], device=device)
    return order.to(torch.int64)
