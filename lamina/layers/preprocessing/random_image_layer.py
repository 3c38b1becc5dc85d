"""Base class of the random image augmentation layers (RandomFlip, RandomRotation, ...).

Training semantics follow Keras 3: the layers augment when `training` is true, which is the
case inside `fit()` and also for a plain standalone call `layer(images)` (Keras's `call`
defaults to `training=True`); inside a model called for inference (`model(x)`, `predict`,
`evaluate`) and with `training=False` they return the images unchanged (cast to float).

Randomness: one `lamina.random.SeedGenerator(seed)` per layer, drawing on the images' device,
so a given seed reproduces the same sequence of augmentations.
"""

import torch

from lamina import config
from lamina.layers.layer import Layer
from lamina.ops import image_kernels
from lamina.random.seed_generator import SeedGenerator


class RandomImageLayer(Layer):
    # Keras's geometric layers return float images even when they do nothing; its colour
    # layers (RandomBrightness, RandomContrast) return inactive inputs untouched.
    _cast_when_inactive = True

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.training = True  # standalone calls augment, as in Keras (see module docstring)
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self.data_format = config.standardize_data_format(data_format)
        self.built = True

    def call(self, inputs, training=True):
        image_kernels.spatial_axes(inputs.ndim, self.data_format)
        if not training and not self._cast_when_inactive:
            return inputs
        images = image_kernels.as_float(inputs, self._torch_dtype)
        if not training:
            return images
        batched, restore = image_kernels.to_batched_channels_last(images, self.data_format)
        return restore(self.augment(batched))

    def augment(self, images):
        """Transform (batch, height, width, channels) float images; subclasses define it."""
        raise NotImplementedError

    def uniform(self, shape, low, high, like):
        """Samples from U[low, high) on `like`'s device, from this layer's seed generator."""
        generator = self.generator.generator(like.device)
        samples = torch.rand(shape, generator=generator, device=like.device, dtype=like.dtype)
        return low + (high - low) * samples

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


def symmetric_range(factor, name, bounds, layer_name, allow_lower_bound=True):
    """`factor` as a (lower, upper) pair: a number f means (-f, f); a pair is sorted."""
    message = (
        f"{layer_name}: `{name}` should be a number (or a list of two numbers) in the range "
        f"[{bounds[0]}, {bounds[1]}]. Received: {name}={factor}"
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(isinstance(f, (int, float)) for f in factor):
            raise ValueError(message)
        values = sorted(float(f) for f in factor)
    elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
        values = [-abs(float(factor)), abs(float(factor))]
    else:
        raise ValueError(message)
    low_ok = values[0] >= bounds[0] if allow_lower_bound else values[0] > bounds[0]
    if not (low_ok and values[1] <= bounds[1]):
        raise ValueError(message)
    return tuple(values)


class GeometricRandomLayer(RandomImageLayer):
    """Shared arguments of the layers that warp images with an affine transform."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        name = type(self).__name__
        image_kernels.check_choice(fill_mode, image_kernels.FILL_MODES, "fill_mode", name)
        image_kernels.check_choice(interpolation, image_kernels.AFFINE_INTERPOLATIONS, "interpolation",
                               name)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value

    def augment(self, images):
        transforms = self.random_transforms(images)
        return image_kernels.affine_transform(images, transforms, self.interpolation, self.fill_mode,
                                          self.fill_value)

    def random_transforms(self, images):
        """(batch, 8) transforms in the Keras/TensorFlow convention; subclasses define it."""
        raise NotImplementedError

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}
