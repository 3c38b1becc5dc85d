"""RandomGaussianBlur: blur a random subset of images with a Gaussian kernel."""

import torch

from lamina.layers.preprocessing.augmentation_base import (AugmentationLayer, filter_same,
                                                           gaussian_kernel_1d, keras_factor)
from lamina.registry.export import keras_export


@keras_export("layers.RandomGaussianBlur")
class RandomGaussianBlur(AugmentationLayer):
    """Blurs images during training.

    Per call, the horizontal and vertical standard deviations are drawn from `sigma`'s range
    (plus 1e-6) and shared by the batch; per image a probability drawn from `factor`'s range
    decides whether it is blurred. The kernel is the outer product of two normalised 1-D
    Gaussians sampled at integer offsets from the centre, applied per channel with zero
    padding; results are clipped to `value_range`.

    Args:
        factor: a number f (probabilities from [0, f]) or a pair in [0, 1]. Default 1.0.
        kernel_size: an odd int, or a pair of odd ints (width, height). Default 3.
        sigma: a number s (sigmas from [0, s]) or a pair (low, high). Default 1.0.
        value_range: (min, max) of the pixel values (default (0, 255)).
        seed: int for reproducible draws.
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "RandomGaussianBlur")
        self.kernel_size = _kernel_size(kernel_size)
        self.sigma = keras_factor(sigma, (0, 1), "RandomGaussianBlur", "sigma")
        self.value_range = value_range

    def augment(self, images):
        batch = images.shape[0]
        probability = self.uniform((batch,), self.factor[0], self.factor[1], images)
        apply = self.uniform((batch,), 0.0, 1.0, images) < probability
        sigma = self.uniform((2,), self.sigma[0], self.sigma[1], images) + 1e-6
        kernel = blur_kernel(self.kernel_size, sigma, images.dtype, images.device)
        blurred = filter_same(images, kernel)
        images = torch.where(apply.view(batch, 1, 1, 1), blurred, images)
        return torch.clamp(images, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "kernel_size": list(self.kernel_size), "sigma": list(self.sigma),
                "value_range": list(self.value_range)}


def blur_kernel(kernel_size, sigma, dtype, device):
    """(height, width) kernel: kernel_size and sigma are (x, y) pairs, as in Keras."""
    kernel_x = gaussian_kernel_1d(kernel_size[0], sigma[0], dtype, device)
    kernel_y = gaussian_kernel_1d(kernel_size[1], sigma[1], dtype, device)
    return torch.outer(kernel_y, kernel_x)


def _kernel_size(size):
    message = f"kernel_size must be an odd number. Received: kernel_size={size}"
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise ValueError(
                "The `kernel_size` argument should be a number (or a list of two numbers). "
                f"Received: kernel_size={size}"
            )
        if size[0] % 2 == 0 or size[1] % 2 == 0:
            raise ValueError(message)
        return (int(size[0]), int(size[1]))
    if isinstance(size, (int, float)) and not isinstance(size, bool):
        if size % 2 == 0:
            raise ValueError(message)
        return (int(size), int(size))
    raise ValueError(message)
