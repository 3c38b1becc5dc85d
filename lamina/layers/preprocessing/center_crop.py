"""CenterCrop: the central `height x width` window of each image."""

from lamina import config
from lamina.layers.layer import Layer
from lamina.ops import image_kernels
from lamina.registry.export import keras_export


@keras_export("layers.CenterCrop")
class CenterCrop(Layer):
    """Crops the centre `(height, width)` of images (batched or not).

    An image smaller than the target along either axis is instead cropped to the target's
    aspect ratio and resized (bilinear), as Keras does. Outputs are in the layer's float dtype.
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height = int(height)
        self.width = int(width)
        self.data_format = config.standardize_data_format(data_format)
        self.built = True

    def call(self, inputs):
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
        return restore(image_kernels.resize(images, self.height, self.width, "bilinear"))

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        height_axis, width_axis = image_kernels.spatial_axes(len(shape), self.data_format)
        shape[height_axis], shape[width_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "data_format": self.data_format}
