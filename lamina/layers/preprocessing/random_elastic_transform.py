"""RandomElasticTransform: displace pixels along a smoothed random field (elastic distortion)."""

import torch

from lamina.ops import image_kernels
from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer,
                                                           gaussian_kernel_1d, filter_same,
                                                           keras_factor, check_value_range)
from lamina.layers.preprocessing.random_image_layer import as_param
from lamina.registry.export import keras_export

# Keras lists "mirror" too (its torch backend's name for what it calls "reflect" elsewhere).
ELASTIC_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


@keras_export("layers.RandomElasticTransform")
class RandomElasticTransform(AugmentationLayer):
    """Applies a random elastic deformation to a random subset of images during training.

    Per call, a distortion strength s is drawn from `scale`'s range (one for the batch); with
    `alpha = 0.1 s max(h, w)` and `sigma = 0.05 s min(h, w)`, each image gets two fields of
    standard normal noise (times sigma) smoothed by a Gaussian of width sigma (kernel size
    `int(6 sigma) | 1`), and pixel (x, y) samples the input at `(x + alpha dx, y + alpha dy)`.
    Per image, a probability drawn from `factor`'s range decides (against a U[0, 1) draw)
    whether the image is deformed. Results are clipped to `value_range`.

    Args:
        factor: a number f (probabilities from [0, f]) or a pair in [0, 1]. Default 1.0.
        scale: a number s (strengths from [0, s]) or a pair in [0, 1]. Default 1.0.
        interpolation: "bilinear" (default) or "nearest".
        fill_mode: "reflect" (default), "constant", "nearest", "wrap" or "mirror".
        fill_value: the value of outside pixels with `fill_mode="constant"` (default 0).
        value_range: (min, max) of the pixel values (default (0, 255)).
        seed: int for reproducible draws.

    Dict inputs: "segmentation_masks" are deformed by the same field as their images (nearest
    sampling, also clipped to `value_range`, as Keras clips them); "bounding_boxes" are refused
    with NotImplementedError, as in Keras.
    """

    _boxes_mode = None  # Keras has no box transform for this layer
    _masks_mode = "transform"
    _uses_transformations = True

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        name = "RandomElasticTransform"
        self.factor = keras_factor(factor, (0, 1), name)
        self.scale = keras_factor(scale, (0, 1), name, name="scale")
        if interpolation not in image_kernels.AFFINE_INTERPOLATIONS:
            raise NotImplementedError(
                f"{name}: unknown `interpolation` {interpolation!r}. Expected one of "
                f"{image_kernels.AFFINE_INTERPOLATIONS}."
            )
        if fill_mode not in ELASTIC_FILL_MODES:
            raise NotImplementedError(
                f"{name}: unknown `fill_mode` {fill_mode!r}. Expected one of "
                f"{ELASTIC_FILL_MODES}."
            )
        self.interpolation = interpolation
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.value_range = check_value_range(value_range, name)

    def _random_transformation(self, images, input_shape):
        if self.scale[1] == 0 or self.factor[1] == 0:  # Keras does nothing at all then
            return None
        batch, height, width, _ = images.shape
        probability = self.uniform((batch,), self.factor[0], self.factor[1], images)
        apply = self.uniform((batch,), 0.0, 1.0, images) < probability
        strength = self.uniform((), self.scale[0], self.scale[1], images)
        generator = self.generator.generator(images.device)
        # Keras keeps a seed here and draws the noise while transforming (masks then get
        # other noise than their images); lamina keeps the noise, so masks move with them.
        noise = torch.randn((2, batch, height, width), generator=generator,
                            device=images.device, dtype=images.dtype)
        return {"apply_transform": apply, "distortion_factor": strength, "noise": noise}

    def _transform_batch(self, images, transformation, interpolation=None):
        batch, height, width, _ = images.shape
        noise = as_param(transformation["noise"], images, (2, batch, height, width))
        alpha, sigma = elastic_parameters(height, width,
                                          float(transformation["distortion_factor"]))
        warped = elastic_warp(images, noise[0], noise[1], alpha, sigma,
                              interpolation or self.interpolation, self.fill_mode,
                              self.fill_value)
        apply = torch.as_tensor(transformation["apply_transform"], device=images.device)
        images = torch.where(apply.view(batch, 1, 1, 1), warped, images)
        return images.clamp(self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "value_range": list(self.value_range)}


def elastic_parameters(height, width, strength):
    """Keras's (alpha, sigma) for a distortion strength: 10% of the larger side and 5% of the
    smaller one."""
    return max(height, width) * 0.1 * strength, min(height, width) * 0.05 * strength


def elastic_warp(images, noise_x, noise_y, alpha, sigma, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0):
    """Deform (batch, h, w, c) images by standard normal noise fields (batch, h, w): the
    displacement is `alpha * blur(sigma * noise)` with a Gaussian blur of width `sigma`."""
    if sigma <= 0:  # no smoothing kernel exists; alpha is 0 too, so nothing moves
        return images
    size = int(6 * sigma) | 1
    kernel_1d = gaussian_kernel_1d(size, sigma, images.dtype, images.device)
    kernel = torch.outer(kernel_1d, kernel_1d)
    fields = torch.stack([noise_x, noise_y], dim=-1).to(images.dtype) * sigma
    dx, dy = filter_same(fields, kernel).unbind(-1)
    _, height, width, _ = images.shape
    rows = torch.arange(height, dtype=images.dtype, device=images.device).view(1, height, 1)
    cols = torch.arange(width, dtype=images.dtype, device=images.device).view(1, 1, width)
    source_x, source_y = cols + alpha * dx, rows + alpha * dy
    if fill_mode == "mirror":
        # Mirroring about the first and last pixel centres commutes with linear and nearest
        # interpolation, so fold the positions themselves and sample inside the image.
        source_x, source_y = _mirror(source_x, width), _mirror(source_y, height)
        fill_mode = "nearest"
    return image_kernels.sample(images, source_x, source_y, interpolation, fill_mode,
                                fill_value)


def _mirror(position, size):
    if size == 1:
        return torch.zeros_like(position)
    period = 2 * (size - 1)
    folded = torch.remainder(position, period)
    return torch.where(folded > size - 1, period - folded, folded)
