"""The gallery plots: grid shape, titles, what each cell shows, saving (matplotlib's Agg)."""

import numpy as np
import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from lamina import visualization  # noqa: E402


@pytest.fixture(autouse=True)
def no_open_figures():
    plt.close("all")
    yield
    plt.close("all")


def images(batch, height=6, width=5, channels=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (batch, height, width, channels))


def shown(axis):
    return axis.get_images()[0].get_array() if axis.get_images() else None


@pytest.mark.parametrize("batch, rows, cols, grid", [
    (4, None, None, (2, 2)), (5, None, None, (3, 2)), (1, None, None, (1, 1)),
    (6, 1, None, (1, 6)), (6, None, 4, (3, 4)), (9, 2, 3, (2, 3)),
])
def test_the_grid_has_one_cell_per_image(batch, rows, cols, grid):
    visualization.plot_image_gallery(images(batch), rows=rows, cols=cols, show=False)
    axes = plt.gcf().axes
    assert len(axes) == grid[0] * grid[1]
    assert axes[0].get_gridspec().get_geometry() == grid
    with_images = [axis for axis in axes if axis.get_images()]
    assert len(with_images) == min(batch, grid[0] * grid[1])
    assert all(not axis.axison for axis in axes)


def test_cells_show_the_images_in_order_rescaled_to_pixels():
    batch = images(3).astype("float32") / 255.0
    visualization.plot_image_gallery(torch.from_numpy(batch), value_range=(0, 1), show=False)
    for index, axis in enumerate(plt.gcf().axes[:3]):
        np.testing.assert_array_equal(shown(axis), (batch[index] * 255.0).astype("uint8"))


def test_channels_first_and_gray_images():
    gray = images(2, channels=1)
    visualization.plot_image_gallery(np.transpose(gray, (0, 3, 1, 2)), show=False,
                                     data_format="channels_first")
    np.testing.assert_array_equal(shown(plt.gcf().axes[1]), gray[1, ..., 0])


def test_titles_name_true_and_predicted_classes():
    visualization.plot_image_gallery(images(2), y_true=np.array([0, 1]), y_pred=[1, 7],
                                     label_map={0: "cat", 1: "dog"}, show=False)
    titles = [axis.get_title() for axis in plt.gcf().axes]
    assert titles == ["Label: cat  Pred: dog", "Label: dog  Pred: Unknown"]


def test_saving_to_a_path_writes_a_png_and_closes_the_figure(tmp_path):
    path = tmp_path / "gallery.png"
    visualization.plot_image_gallery(images(4), path=path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plt.get_fignums() == []


def test_gallery_arguments_that_conflict_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not both"):
        visualization.plot_image_gallery(images(2), path=tmp_path / "x.png", show=True)
    with pytest.raises(ValueError, match="label_map"):
        visualization.plot_image_gallery(images(2), y_true=[0, 1], show=False)
    with pytest.raises(ValueError, match="batch of images"):
        visualization.plot_image_gallery(images(1)[0], show=False)


def test_bounding_box_gallery_draws_true_and_predicted_boxes_in_their_colors():
    batch = np.zeros((4, 20, 20, 3))
    y_true = {"boxes": np.tile([[[2, 2, 9, 9]]], (4, 1, 1)), "labels": np.zeros((4, 1))}
    y_pred = {"boxes": np.tile([[[11, 11, 18, 18]]], (4, 1, 1)), "labels": np.zeros((4, 1))}
    visualization.plot_bounding_box_gallery(batch, "xyxy", y_true=y_true, y_pred=y_pred,
                                            value_range=(0, 1), legend=True, show=False)
    figure = plt.gcf()
    assert len(figure.axes) == 4 and len(figure.legends) == 1
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["Ground Truth",
                                                                     "Prediction"]
    cell = shown(figure.axes[0])
    np.testing.assert_array_equal(cell[2, 5], (0, 188, 212))  # top side of the true box
    np.testing.assert_array_equal(cell[18, 14], (255, 235, 59))  # bottom side of the prediction
    np.testing.assert_array_equal(cell[5, 5], (0, 0, 0))


def test_bounding_box_gallery_refuses_legend_and_handles_together():
    with pytest.raises(ValueError, match="not both"):
        visualization.plot_bounding_box_gallery(images(1), "xyxy", legend=True,
                                                legend_handles=["x"], show=False)


def test_segmentation_gallery_rows_are_image_true_mask_predicted_mask():
    batch = images(3, height=4, width=4)
    y_true = np.ones((3, 4, 4, 1), dtype="int32")
    y_pred = np.zeros((3, 4, 4), dtype="int32")
    colors = {0: (0, 0, 255), 1: (255, 0, 0)}
    visualization.plot_segmentation_mask_gallery(batch, num_classes=2, y_true=y_true,
                                                 y_pred=y_pred, color_mapping=colors,
                                                 blend=False, show=False)
    axes = plt.gcf().axes
    assert len(axes) == 9 and axes[0].get_gridspec().get_geometry() == (3, 3)
    np.testing.assert_array_equal(shown(axes[3]), batch[1])
    assert (shown(axes[4]) == (255, 0, 0)).all() and (shown(axes[5]) == (0, 0, 255)).all()


def test_segmentation_gallery_with_true_masks_only_has_two_columns():
    visualization.plot_segmentation_mask_gallery(images(2), num_classes=3,
                                                 y_true=np.zeros((2, 6, 5, 1), "int32"),
                                                 show=False)
    assert plt.gcf().axes[0].get_gridspec().get_geometry() == (2, 2)
