"""CenterCrop: the central `height x width` window of each image."""

import torch

from lamina import config
from lamina.layers.layer import Layer
from lamina.layers.preprocessing.random_image_layer import (augment_dict,
                                                            check_bounding_box_format,
                                                            clip_and_convert)
from lamina.ops import image_kernels
from lamina.registry.export import keras_export
from lamina.utils.bounding_boxes import converters as box_ops


@keras_export("layers.CenterCrop")
class CenterCrop(Layer):
    """Crops the centre `(height, width)` of images (batched or not).

    An image smaller than the target along either axis is instead cropped to the target's
    aspect ratio and resized (bilinear), as Keras does. Outputs are in the layer's float dtype.

    Dict inputs (`{"images": ..., "bounding_boxes": ..., "segmentation_masks": ...}`) are
    cropped together, in training and inference alike: boxes (in `bounding_box_format`) are
    clipped to the window and moved into it (scaled when it is resized), and the labels of
    boxes left without area become -1, as in Keras; masks are cropped as the images are
    (resized with nearest sampling, where Keras uses bilinear).
    """

    _boxes_mode = "transform"
    _masks_mode = "transform"

    def __init__(self, height, width, data_format=None, **kwargs):
        # Taken through **kwargs, as in Keras (its config names it only when set).
        bounding_box_format = kwargs.pop("bounding_box_format", None)
        super().__init__(**kwargs)
        self.height = int(height)
        self.width = int(width)
        self.data_format = config.standardize_data_format(data_format)
        self.bounding_box_format = check_bounding_box_format(bounding_box_format, "CenterCrop")
        self.built = True

    def call(self, inputs):
        if isinstance(inputs, dict):
            return augment_dict(self, inputs, True)
        return self._crop(inputs, "bilinear")

    def _crop(self, inputs, interpolation):
        height_axis, width_axis = image_kernels.spatial_axes(inputs.ndim, self.data_format)
        inputs = image_kernels.as_float(inputs, self._torch_dtype)
        in_height, in_width = inputs.shape[height_axis], inputs.shape[width_axis]
        if in_height >= self.height and in_width >= self.width:
            top = (in_height - self.height) // 2
            left = (in_width - self.width) // 2
            return inputs.narrow(height_axis, top, self.height).narrow(width_axis, left,
                                                                       self.width)
        images, restore = image_kernels.to_batched_channels_last(inputs, self.data_format)
        top, left, crop_h, crop_w = image_kernels.aspect_crop_box(in_height, in_width, self.height,
                                                              self.width)
        images = images[:, top:top + crop_h, left:left + crop_w]
        return restore(image_kernels.resize(images, self.height, self.width, interpolation))

    # Keras's transform methods (the dict path goes through them).
    def get_random_transformation(self, data, training=True, seed=None):
        images = data["images"] if isinstance(data, dict) else data
        return {"input_shape": tuple(torch.as_tensor(images).shape)}

    def transform_images(self, images, transformation=None, training=True):
        return self._crop(torch.as_tensor(images), "bilinear")

    def transform_labels(self, labels, transformation=None, training=True):
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation=None,
                                     training=True):
        return self._crop(torch.as_tensor(segmentation_masks), "nearest")

    def _images_and_labels(self, images, labels, transformation, training):
        return self.transform_images(images, transformation), labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        shape = transformation["input_shape"]
        in_height, in_width = ((int(shape[-2]), int(shape[-1])) if self.data_format ==
                               "channels_first" else (int(shape[-3]), int(shape[-2])))
        boxes = box_ops.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                       "xyxy", in_height, in_width)
        if in_height >= self.height and in_width >= self.width:
            top, left = (in_height - self.height) // 2, (in_width - self.width) // 2
            crop_h, crop_w = self.height, self.width
        else:
            top, left, crop_h, crop_w = image_kernels.aspect_crop_box(
                in_height, in_width, self.height, self.width)
        # Clip to the window, then move into its frame (Keras's order: the same thing).
        boxes = box_ops.crop(boxes, top, left, crop_h, crop_w)
        if (crop_h, crop_w) != (self.height, self.width):
            scale = torch.tensor([self.width / crop_w, self.height / crop_h] * 2,
                                 dtype=boxes.dtype, device=boxes.device)
            boxes = boxes * scale
        return clip_and_convert(bounding_boxes, boxes, self.height, self.width,
                                self.bounding_box_format)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        height_axis, width_axis = image_kernels.spatial_axes(len(shape), self.data_format)
        shape[height_axis], shape[width_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        config_ = {**super().get_config(), "height": self.height, "width": self.width,
                   "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config_["bounding_box_format"] = self.bounding_box_format
        return config_
