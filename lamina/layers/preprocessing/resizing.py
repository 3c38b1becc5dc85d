"""Resizing: resize images to a fixed height and width."""

import numpy as np
import torch

from lamina import config
from lamina.layers.layer import Layer
from lamina.layers.preprocessing.random_image_layer import (augment_dict,
                                                            check_bounding_box_format)
from lamina.ops import image_kernels
from lamina.utils.bounding_boxes import converters as box_ops
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

    Dict inputs (`{"images": ..., "bounding_boxes": ..., "segmentation_masks": ...}`) are
    resized together: boxes (in `bounding_box_format`) are scaled, shifted by the crop or
    padding and clipped to the output as in Keras (labels of boxes left without area become
    -1); masks are resized with nearest sampling.

    Integer images stay integers (rounded and clipped), as in Keras; the others keep their
    float dtype.
    """

    _boxes_mode = "transform"
    _masks_mode = "transform"

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        # Taken through **kwargs, as in Keras (its config names it only when set).
        bounding_box_format = kwargs.pop("bounding_box_format", None)
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
        self.bounding_box_format = check_bounding_box_format(bounding_box_format, "Resizing")
        self.autocast = False  # integer images keep their dtype
        self.built = True

    def call(self, inputs):
        if isinstance(inputs, dict):
            return augment_dict(self, inputs, True)
        return self._resize(inputs, self.interpolation)

    def _resize(self, inputs, interpolation):
        image_kernels.spatial_axes(inputs.ndim, self.data_format)
        images, restore = image_kernels.to_batched_channels_last(inputs, self.data_format)
        if self.crop_to_aspect_ratio:
            top, left, crop_h, crop_w = image_kernels.aspect_crop_box(
                images.shape[1], images.shape[2], self.height, self.width)
            images = images[:, top:top + crop_h, left:left + crop_w]
        elif self.pad_to_aspect_ratio:
            images = image_kernels.pad_to_aspect(images, self.height, self.width, self.fill_value)
        if interpolation == "nearest":
            return restore(image_kernels.resize(images, self.height, self.width, "nearest"))
        work = images if images.is_floating_point() else images.to(torch.float32)
        resized = image_kernels.resize(work, self.height, self.width, interpolation,
                                   self.antialias)
        if not images.is_floating_point():
            resized = image_kernels.saturate_cast(resized, images.dtype)
        return restore(resized)

    # Keras's transform methods (the dict path goes through them).
    def get_random_transformation(self, data, training=True, seed=None):
        """`(input_height, input_width)`, as Keras's."""
        images = torch.as_tensor(data["images"] if isinstance(data, dict) else data)
        height_axis, width_axis = image_kernels.spatial_axes(images.ndim, self.data_format)
        return images.shape[height_axis], images.shape[width_axis]

    def transform_images(self, images, transformation=None, training=True):
        return self._resize(torch.as_tensor(images), self.interpolation)

    def transform_labels(self, labels, transformation=None, training=True):
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation=None,
                                     training=True):
        return self._resize(torch.as_tensor(segmentation_masks), "nearest")

    def _images_and_labels(self, images, labels, transformation, training):
        return self.transform_images(images, transformation), labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes scaled (and shifted by the crop or padding) as the images are, clipped to
        the output; all-0 and all--1 boxes (padding) come out as zeros, with label -1."""
        in_height, in_width = int(transformation[0]), int(transformation[1])
        raw = torch.as_tensor(bounding_boxes["boxes"])
        padding = ((raw == -1).all(-1) | (raw == 0).all(-1)).unsqueeze(-1)
        boxes = box_ops.convert_format(raw, self.bounding_box_format, "xyxy", in_height,
                                       in_width)
        x_scale, y_scale, x_shift, y_shift = self._box_mapping(in_height, in_width)
        scale = torch.tensor([x_scale, y_scale] * 2, dtype=boxes.dtype, device=boxes.device)
        shift = torch.tensor([x_shift, y_shift] * 2, dtype=boxes.dtype, device=boxes.device)
        clipped = box_ops.clip_to_image_size({**bounding_boxes, "boxes": boxes * scale + shift},
                                             self.height, self.width, "xyxy")
        clipped["boxes"] = torch.where(padding.to(clipped["boxes"].device),
                                       torch.zeros_like(clipped["boxes"]), clipped["boxes"])
        clipped["boxes"] = box_ops.convert_format(clipped["boxes"], "xyxy",
                                                  self.bounding_box_format, self.height,
                                                  self.width)
        return clipped

    def _box_mapping(self, in_height, in_width):
        """(x scale, y scale, x shift, y shift) taking input pixels to output pixels, with
        Keras's float32 arithmetic and floor-halved offsets."""
        f32 = np.float32
        if self.pad_to_aspect_ratio:
            ratio = min(f32(self.height / in_height), f32(self.width / in_width))
            y_offset = (f32(self.height) - f32(in_height) * ratio) // 2
            x_offset = (f32(self.width) - f32(in_width) * ratio) // 2
            return ratio, ratio, x_offset, y_offset
        if self.crop_to_aspect_ratio:
            source = f32(in_width) / f32(in_height)
            target = self.width / self.height
            new_width = self.height * source if source > target else f32(self.width)
            new_height = f32(self.height) if source > target else self.width / source
            return (new_width / f32(in_width), new_height / f32(in_height),
                    -((new_width - self.width) // 2), -((new_height - self.height) // 2))
        return f32(self.width / in_width), f32(self.height / in_height), 0.0, 0.0

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
                "data_format": self.data_format,
                **({} if self.bounding_box_format is None else  # Keras writes it when set
                   {"bounding_box_format": self.bounding_box_format})}
