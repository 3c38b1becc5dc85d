"""Resizing: resize images to a fixed height and width."""

import torch

from lamina import config
from lamina.layers.layer import Layer
from lamina.ops import image_kernels
from lamina.registry.export import keras_export


@keras_export("layers.Resizing")
class Resizing(Layer):
    """Resizes images (batched or not) to `(height, width)` with Keras's interpolation numerics.

    Args:
        height, width: output size.
        interpolation: "bilinear" (default), "nearest", "bicubic", "lanczos3" or "lanczos5".
        crop_to_aspect_ratio: first take the largest centred crop with the output's aspect
            ratio, so the image is not distorted.
        pad_to_aspect_ratio: instead pad the image evenly with `fill_value` to that ratio.
        fill_mode: only "constant" (padding uses `fill_value`).
        antialias: widen the kernel when downsampling (as `jax.image.resize`).
        data_format: "channels_last" (default from the config) or "channels_first".

    Integer images stay integers (rounded and clipped), as in Keras; the others keep their
    float dtype.
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        image_kernels.check_choice(interpolation, image_kernels.RESIZE_INTERPOLATIONS, "interpolation",
                               "Resizing")
        if fill_mode != "constant":
            raise ValueError(
                f"Resizing: only fill_mode='constant' is supported. Received: fill_mode="
                f"{fill_mode!r}"
            )
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be "
                "True."
            )
        self.height = int(height)
        self.width = int(width)
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)
        self.data_format = config.standardize_data_format(data_format)
        self.autocast = False  # integer images keep their dtype
        self.built = True

    def call(self, inputs):
        image_kernels.spatial_axes(inputs.ndim, self.data_format)
        images, restore = image_kernels.to_batched_channels_last(inputs, self.data_format)
        if self.crop_to_aspect_ratio:
            top, left, crop_h, crop_w = image_kernels.aspect_crop_box(
                images.shape[1], images.shape[2], self.height, self.width)
            images = images[:, top:top + crop_h, left:left + crop_w]
        elif self.pad_to_aspect_ratio:
            images = image_kernels.pad_to_aspect(images, self.height, self.width, self.fill_value)
        if self.interpolation == "nearest":
            return restore(image_kernels.resize(images, self.height, self.width, "nearest"))
        work = images if images.is_floating_point() else images.to(torch.float32)
        resized = image_kernels.resize(work, self.height, self.width, self.interpolation,
                                   self.antialias)
        if not images.is_floating_point():
            resized = image_kernels.saturate_cast(resized, images.dtype)
        return restore(resized)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        height_axis, width_axis = image_kernels.spatial_axes(len(shape), self.data_format)
        shape[height_axis], shape[width_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias,
                "data_format": self.data_format}
