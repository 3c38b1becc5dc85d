"""Shared input handling for the drawing and plotting functions: everything becomes a numpy
array on the host (torch tensors on any device included), laid out channels-last."""

import numpy as np
import torch

from lamina import config


def to_numpy(x):
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def batched_images(images, function_name):
    images = to_numpy(images)
    if images.ndim != 4:
        raise ValueError(
            f"{function_name}() needs a batch of images, a 4D array or tensor "
            f"(batch, height, width, channels). Received: images.shape={images.shape}. "
            "Add a batch axis (images[None]) for a single image."
        )
    return images


def channels_last(images, data_format):
    """`images` (4D) in channels-last layout, and whether it had to be transposed."""
    if config.standardize_data_format(data_format) == "channels_first":
        return np.transpose(images, (0, 2, 3, 1)), True
    return images, False
