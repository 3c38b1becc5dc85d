"""RandomCrop: a random `height x width` window of the images."""

import torch

from lamina.layers.preprocessing.augmentation_base import AugmentationLayer
from lamina.ops import image_kernels
from lamina.random.seed_generator import make_default_seed
from lamina.registry.export import keras_export


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
    """

    _masks_pass_through = False

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        self.height = int(height)
        self.width = int(width)
        self.seed = seed if seed is not None else make_default_seed()

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return super().call(inputs, training=training)
        image_kernels.spatial_axes(inputs.ndim, self.data_format)
        images = image_kernels.as_float(inputs, self._torch_dtype)
        batched, restore = image_kernels.to_batched_channels_last(images, self.data_format)
        return restore(self._crop(batched, training))

    def augment(self, images):
        return self._crop(images, True)

    def _crop(self, images, training):
        in_height, in_width = images.shape[1], images.shape[2]
        if training and in_height > self.height and in_width > self.width:
            top = int(self.uniform((), 0.0, float(in_height - self.height + 1), images))
            left = int(self.uniform((), 0.0, float(in_width - self.width + 1), images))
        elif not training and in_height >= self.height and in_width >= self.width:
            top, left = (in_height - self.height) // 2, (in_width - self.width) // 2
        else:
            top, left, _, _ = image_kernels.aspect_crop_box(in_height, in_width, self.height,
                                                        self.width)
        images = images[:, top:top + self.height, left:left + self.width]
        if images.shape[1] != self.height or images.shape[2] != self.width:
            images = image_kernels.resize(images, self.height, self.width, "bilinear")
        return images

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        height_axis, width_axis = image_kernels.spatial_axes(len(shape), self.data_format)
        shape[height_axis], shape[width_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
