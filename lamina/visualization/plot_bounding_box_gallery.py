"""`plot_bounding_box_gallery`: an image grid with true and predicted boxes drawn on it."""

import numpy as np

from lamina.registry.object_registry import keras_export
from lamina.visualization import _arrays
from lamina.visualization.draw_bounding_boxes import draw_bounding_boxes
from lamina.visualization.plot_image_gallery import (plot_image_gallery, require_pyplot,
                                                     to_pixel_range)


@keras_export("visualization.plot_bounding_box_gallery", package=False)
def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None,
                              value_range=(0, 255), true_color=(0, 188, 212),
                              pred_color=(255, 235, 59), line_thickness=2, font_scale=1.0,
                              text_thickness=None, class_mapping=None,
                              ground_truth_mapping=None, prediction_mapping=None, legend=False,
                              legend_handles=None, rows=None, cols=None, data_format=None,
                              **kwargs):
    """Show a batch of images as a grid with their true and/or predicted boxes.

    Args:
        images: A batch of images `(batch, height, width, channels)` (or channels first).
        bounding_box_format: The boxes' format (`"xyxy"`, `"rel_xywh"`, ...).
        y_true: Optional true boxes, a dict as `draw_bounding_boxes` takes
            (`{"boxes": ..., "labels": ...}`).
        y_pred: Optional predicted boxes, the same kind of dict.
        value_range: The images' value range, e.g. `(0, 255)` or `(0, 1)`.
        true_color: RGB color of the true boxes. Defaults to `(0, 188, 212)`.
        pred_color: RGB color of the predicted boxes. Defaults to `(255, 235, 59)`.
        line_thickness: Box outline thickness. Defaults to 2.
        font_scale: Label font size. Defaults to 1.0.
        text_thickness: Label stroke thickness. Defaults to `line_thickness`.
        class_mapping: Dict from class id to name, for both kinds of boxes.
        ground_truth_mapping: Names for the true boxes (overrides `class_mapping`).
        prediction_mapping: Names for the predicted boxes (overrides `class_mapping`).
        legend: Add a "Ground Truth" / "Prediction" legend. Defaults to `False`.
        legend_handles: Your own legend handles instead (not with `legend=True`).
        rows, cols: The grid's shape (see `plot_image_gallery`).
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `lamina.config.image_data_format()`.
        **kwargs: Passed to `plot_image_gallery` (`path`, `show`, `scale`, `dpi`, ...).
    """
    require_pyplot("plot_bounding_box_gallery")
    from matplotlib import patches

    if legend and legend_handles:
        raise ValueError(
            "plot_bounding_box_gallery() takes `legend=True` (a standard legend) or "
            "`legend_handles` (your own), not both."
        )
    images = _arrays.batched_images(images, "plot_bounding_box_gallery")
    images, _ = _arrays.channels_last(images, data_format)
    # Draw on [0, 255] pixels, whatever the value range, so colors mean the same everywhere.
    plotted = to_pixel_range(images, value_range)
    common = dict(bounding_box_format=bounding_box_format, line_thickness=line_thickness,
                  text_thickness=text_thickness, font_scale=font_scale,
                  data_format="channels_last")
    if y_true is not None:
        plotted = draw_bounding_boxes(plotted, y_true, color=true_color,
                                      class_mapping=ground_truth_mapping or class_mapping,
                                      **common)
    if y_pred is not None:
        plotted = draw_bounding_boxes(plotted, y_pred, color=pred_color,
                                      class_mapping=prediction_mapping or class_mapping,
                                      **common)
    if legend:
        legend_handles = [
            patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction"),
        ]
    return plot_image_gallery(plotted, value_range=(0, 255), legend_handles=legend_handles,
                              rows=rows, cols=cols, data_format="channels_last", **kwargs)
