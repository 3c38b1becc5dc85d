"""`plot_segmentation_mask_gallery`: each image beside its true and/or predicted masks."""

import numpy as np

from lamina.registry.object_registry import keras_export
from lamina.visualization import _arrays
from lamina.visualization.draw_segmentation_masks import draw_segmentation_masks
from lamina.visualization.plot_image_gallery import plot_image_gallery, to_pixel_range


@keras_export("visualization.plot_segmentation_mask_gallery", package=False)
def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None,
                                   y_pred=None, color_mapping=None, blend=True, alpha=0.8,
                                   ignore_index=-1, data_format=None, **kwargs):
    """Show each image in a row, followed by the image with its true mask and/or with its
    predicted mask drawn over it (`draw_segmentation_masks`).

    Args:
        images: A batch of images `(batch, height, width, channels)` (or channels first).
        num_classes: How many classes get a color (class ids 0 to `num_classes - 1`).
        value_range: The images' value range, e.g. `(0, 255)` or `(0, 1)`.
        y_true: Optional true masks, integer class ids `(batch, height, width)` or
            `(batch, height, width, 1)`.
        y_pred: Optional predicted masks, the same shape.
        color_mapping: Optional dict from class id to RGB color.
        blend: Blend the colors with the image. Defaults to `True`.
        alpha: Opacity of the colors. Defaults to 0.8.
        ignore_index: The class id that is never painted. Defaults to -1.
        data_format: `"channels_last"` or `"channels_first"` (images and masks); defaults
            to `lamina.config.image_data_format()`.
        **kwargs: Passed to `plot_image_gallery` (`path`, `show`, `scale`, ...).
    """
    images = _arrays.batched_images(images, "plot_segmentation_mask_gallery")
    images, _ = _arrays.channels_last(images, data_format)
    pixels = to_pixel_range(images, value_range)
    columns = [pixels]
    for masks in (y_true, y_pred):
        if masks is None:
            continue
        masks = _arrays.to_numpy(masks)
        if masks.ndim == 4:
            masks, _ = _arrays.channels_last(masks, data_format)
        columns.append(draw_segmentation_masks(
            pixels, masks.astype("int32"), num_classes=num_classes,
            color_mapping=color_mapping, alpha=alpha, blend=blend, ignore_index=ignore_index,
            data_format="channels_last").astype("float32"))
    # Row i holds image i, then its drawn masks: interleave the columns.
    gallery = np.stack(columns, axis=1).reshape(-1, *pixels.shape[1:])
    return plot_image_gallery(gallery, value_range=(0, 255), rows=len(images),
                              cols=len(columns), data_format="channels_last", **kwargs)
