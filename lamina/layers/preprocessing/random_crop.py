"""RandomCrop: a random `height x width` window of the images."""

import torch

from lamina.layers.preprocessing.augmentation_base import AugmentationLayer
from lamina.ops import image_kernels
from lamina.random.seed_generator import make_default_seed
from lamina.layers.preprocessing.random_image_layer import clip_and_convert
from lamina.registry.export import keras_export
from lamina.utils.bounding_boxes import converters as box_ops


@keras_export("layers.RandomCrop")
class RandomCrop(AugmentationLayer):
    """Crops images to `(height, width)`.

    In training, when the images are larger than the target along both axes, one random
    window (the same for the whole batch) is taken. Images not larger than the target are
    handled as Keras does: a window placed by the largest crop with the target's aspect
    ratio, resized (bilinear) to the target when its size differs. In inference, images at
    least as large as the target are centre-cropped (Keras 3.15 returns them uncropped,
    contradicting its own output shape); lamina keeps the output shape `(height, width)`.

    Args:
        height, width: the output size.
        seed: int for reproducible crops (a random one is chosen and saved when None).
        bounding_box_format: the format of the boxes of dict inputs (e.g. "xyxy"). Boxes are
            moved into the window, clipped to it and scaled as it is resized (labels of boxes
            left without area become -1); "segmentation_masks" are cropped with the images
            (resized with nearest sampling).
    """

    _boxes_mode = "transform"
    _masks_mode = "transform"
    _uses_transformations = True

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        self.height = int(height)
        self.width = int(width)
        self.seed = seed if seed is not None else make_default_seed()

    def get_random_transformation(self, data, training=True, seed=None):
        """`(top, left, input_height, input_width)`: where the window starts in the input.

        Keras's transformation is `(top, left)`; both forms are accepted by the transform_*
        methods (the short one means the window fits in the input)."""
        images = torch.as_tensor(data["images"] if isinstance(data, dict) else data)
        height_axis, width_axis = image_kernels.spatial_axes(images.ndim, self.data_format)
        like = image_kernels.as_float(images.reshape(-1)[:0], self._torch_dtype)
        with self._drawing_from(seed):
            return self._window(images.shape[height_axis], images.shape[width_axis], training,
                                like)

    def _window(self, in_height, in_width, training, like):
        if training and in_height > self.height and in_width > self.width:
            top = int(self.uniform((), 0.0, float(in_height - self.height + 1), like))
            left = int(self.uniform((), 0.0, float(in_width - self.width + 1), like))
        elif not training and in_height >= self.height and in_width >= self.width:
            top, left = (in_height - self.height) // 2, (in_width - self.width) // 2
        else:
            top, left, _, _ = image_kernels.aspect_crop_box(in_height, in_width, self.height,
                                                            self.width)
        return top, left, in_height, in_width

    def _random_transformation(self, images, input_shape):
        return self._window(images.shape[1], images.shape[2], True, images)

    def transform_images(self, images, transformation, training=True):
        images = torch.as_tensor(images)
        image_kernels.spatial_axes(images.ndim, self.data_format)
        images = image_kernels.as_float(images, self._torch_dtype)
        batched, restore = image_kernels.to_batched_channels_last(images, self.data_format)
        return restore(self._transform_batch(batched, transformation))

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        masks = image_kernels.as_float(torch.as_tensor(segmentation_masks), self._torch_dtype)
        batched, restore = image_kernels.to_batched_channels_last(masks, self.data_format)
        return restore(self._transform_batch(batched, transformation, "nearest"))

    def _transform_batch(self, images, transformation, interpolation=None):
        top, left = int(transformation[0]), int(transformation[1])
        images = images[:, top:top + self.height, left:left + self.width]
        if images.shape[1] != self.height or images.shape[2] != self.width:
            # Keras resizes masks bilinearly here too; lamina keeps their values (nearest).
            images = image_kernels.resize(images, self.height, self.width,
                                          interpolation or "bilinear")
        return images

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Boxes in the window's frame, clipped to it and scaled as the window is resized.

        Keras 3.15 differs: it subtracts the top offset from x and the left one from y,
        clips only at 0, ignores the resize, keeps the labels of boxes that leave the window
        and does all this only in training (lamina crops in inference too, see above)."""
        top, left = int(transformation[0]), int(transformation[1])
        if len(transformation) > 2:
            in_height, in_width = int(transformation[2]), int(transformation[3])
        else:
            in_height, in_width = top + self.height, left + self.width
        boxes = box_ops.convert_format(bounding_boxes["boxes"], self.bounding_box_format,
                                       "xyxy", in_height, in_width)
        window_height = min(self.height, in_height - top)
        window_width = min(self.width, in_width - left)
        boxes = box_ops.crop(boxes, top, left, window_height, window_width)
        scale = torch.tensor([self.width / window_width, self.height / window_height] * 2,
                             dtype=boxes.dtype, device=boxes.device)
        return clip_and_convert(bounding_boxes, boxes * scale, self.height, self.width,
                                self.bounding_box_format)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        height_axis, width_axis = image_kernels.spatial_axes(len(shape), self.data_format)
        shape[height_axis], shape[width_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
