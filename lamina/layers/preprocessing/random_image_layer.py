"""Base class of the random image augmentation layers (RandomFlip, RandomRotation, ...).

Training semantics follow Keras 3: the layers augment when `training` is true, which is the
case inside `fit()` and also for a plain standalone call `layer(images)` (Keras's `call`
defaults to `training=True`); inside a model called for inference (`model(x)`, `predict`,
`evaluate`) and with `training=False` they return the images unchanged (cast to float).

Randomness: one `lamina.random.SeedGenerator(seed)` per layer, drawing on the images' device,
so a given seed reproduces the same sequence of augmentations.
"""

import contextlib

import torch

from lamina import config
from lamina.layers.layer import Layer
from lamina.ops import image_kernels
from lamina.random.seed_generator import SeedGenerator
from lamina.utils.bounding_boxes import converters as bounding_boxes
from lamina.utils.bounding_boxes.validation import densify_bounding_boxes


class RandomImageLayer(Layer):
    # Keras's geometric layers return float images even when they do nothing; its colour
    # layers (RandomBrightness, RandomContrast) return inactive inputs untouched.
    _cast_when_inactive = True
    # What a dict input's "bounding_boxes" / "segmentation_masks" go through, per Keras:
    # "pass" (returned as they are: the colour layers), "transform" (the layer's
    # transform_bounding_boxes / transform_segmentation_masks) or None (NotImplementedError:
    # Keras has no transform for them either).
    _boxes_mode = "pass"
    _masks_mode = "pass"
    # True for the layers that split a call into get_random_transformation + transform_*
    # (Keras's structure); the others draw inside `augment`.
    _uses_transformations = False

    def __init__(self, seed=None, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.training = True  # standalone calls augment, as in Keras (see module docstring)
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self.data_format = config.standardize_data_format(data_format)
        self.bounding_box_format = check_bounding_box_format(bounding_box_format,
                                                             type(self).__name__)
        self.built = True

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return augment_dict(self, inputs, training)
        transformation = self.get_random_transformation(inputs, training=training)
        return self.transform_images(inputs, transformation, training=training)

    # ---------------------------------------------------------- Keras's transform methods
    def get_random_transformation(self, data, training=True, seed=None):
        """The random draws of one call, as Keras's dict (None when nothing is drawn).

        `data` is an image batch (or one image) or a dict with "images". `seed` (an int)
        draws from a fresh generator instead of the layer's own.
        """
        if not training or not self._uses_transformations:
            return None
        images = torch.as_tensor(data["images"] if isinstance(data, dict) else data)
        image_kernels.spatial_axes(images.ndim, self.data_format)
        floats = image_kernels.as_float(images, self._torch_dtype)
        batched, _ = image_kernels.to_batched_channels_last(floats, self.data_format)
        with self._drawing_from(seed):
            return self._random_transformation(batched, tuple(images.shape))

    @contextlib.contextmanager
    def _drawing_from(self, seed):
        """Draw from a fresh generator seeded with `seed` (an int) instead of the layer's."""
        if seed is None:
            yield
            return
        saved, self.generator = self.generator, SeedGenerator(seed)
        try:
            yield
        finally:
            self.generator = saved

    def transform_images(self, images, transformation, training=True):
        """Images (in the layer's data format, batched or not) under `transformation`."""
        images = torch.as_tensor(images)
        image_kernels.spatial_axes(images.ndim, self.data_format)
        if not training and not self._cast_when_inactive:
            return images
        images = image_kernels.as_float(images, self._torch_dtype)
        if not training:
            return images
        batched, restore = image_kernels.to_batched_channels_last(images, self.data_format)
        if not self._uses_transformations:
            return restore(self.augment(batched))
        if transformation is None:
            return images
        return restore(self._transform_batch(batched, transformation))

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """`{"boxes": (batch, n, 4), "labels": (batch, n)}` in `bounding_box_format`, moved as
        the images are; the colour layers return them unchanged."""
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        """Masks (batch, height, width, k) (layer data format) moved as the images are, with
        nearest-neighbour sampling; the colour layers return them unchanged."""
        if self._masks_mode != "transform" or not training or transformation is None:
            return segmentation_masks
        masks = torch.as_tensor(segmentation_masks)
        batched, restore = image_kernels.to_batched_channels_last(masks, self.data_format)
        floats = image_kernels.as_float(batched, self._torch_dtype)
        return restore(self._transform_batch(floats, transformation, "nearest"))

    def _images_and_labels(self, images, labels, transformation, training):
        images = self.transform_images(images, transformation, training=training)
        if labels is not None:
            labels = self.transform_labels(labels, transformation, training=training)
        return images, labels

    # ------------------------------------------------------------------ subclass hooks
    def augment(self, images):
        """Transform (batch, height, width, channels) float images with fresh draws."""
        if not self._uses_transformations:
            raise NotImplementedError
        transformation = self._random_transformation(images, tuple(images.shape))
        if transformation is None:
            return images
        return self._transform_batch(images, transformation)

    def _random_transformation(self, images, input_shape):
        """Keras's transformation dict for (batch, h, w, c) float `images` whose original
        shape (layer data format, batched or not) is `input_shape`."""
        raise NotImplementedError

    def _transform_batch(self, images, transformation, interpolation=None):
        """(batch, h, w, c) floats under `transformation`; `interpolation` overrides the
        layer's (masks use "nearest")."""
        raise NotImplementedError

    def _image_size(self, input_shape):
        """(height, width) of an original input shape in the layer's data format."""
        if self.data_format == "channels_first":
            return int(input_shape[-2]), int(input_shape[-1])
        return int(input_shape[-3]), int(input_shape[-2])

    def uniform(self, shape, low, high, like):
        """Samples from U[low, high) on `like`'s device, from this layer's seed generator."""
        generator = self.generator.generator(like.device)
        samples = torch.rand(shape, generator=generator, device=like.device, dtype=like.dtype)
        return low + (high - low) * samples

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) if not isinstance(input_shape, dict) else input_shape

    def get_config(self):
        config_ = {**super().get_config(), "seed": self.seed, "data_format": self.data_format}
        if self.bounding_box_format is not None:  # Keras writes it only when set
            config_["bounding_box_format"] = self.bounding_box_format
        return config_


def check_bounding_box_format(bounding_box_format, layer_name):
    if bounding_box_format is None:
        return None
    if not isinstance(bounding_box_format, str) or (
            bounding_box_format.lower() not in bounding_boxes.SUPPORTED_FORMATS):
        raise ValueError(
            f"{layer_name}: invalid `bounding_box_format`. Expected one of "
            f"{bounding_boxes.SUPPORTED_FORMATS}. Received: "
            f"bounding_box_format={bounding_box_format!r}"
        )
    return bounding_box_format


def augment_dict(layer, data, training):
    """Keras's dict call: one transformation moves "images", "labels", "bounding_boxes" and
    "segmentation_masks" together; other entries pass through."""
    name = type(layer).__name__
    if "images" not in data:
        raise ValueError(
            f"{name}: a dict input needs an 'images' entry (optionally with 'labels', "
            f"'bounding_boxes' and 'segmentation_masks'). Received keys: {sorted(data)}"
        )
    images = torch.as_tensor(data["images"])
    image_kernels.spatial_axes(images.ndim, layer.data_format)
    batched = images.ndim == 4
    for key, mode in (("bounding_boxes", layer._boxes_mode),
                      ("segmentation_masks", layer._masks_mode)):
        if key in data and mode is None:
            raise NotImplementedError(
                f"{name} does not support '{key}' in its inputs; pass 'images' (optionally "
                "with 'labels')."
            )
    boxes = None
    if "bounding_boxes" in data:
        if not layer.bounding_box_format:
            raise ValueError(
                f"{name}: the input has a 'bounding_boxes' entry but the layer has no "
                f"`bounding_box_format`. Pass one, e.g. {name}(..., "
                "bounding_box_format='xyxy')."
            )
        boxes = densify_bounding_boxes(data["bounding_boxes"],
                                                      is_batched=batched,
                                                      device=images.device)
    outputs = dict(data)
    transformation = layer.get_random_transformation(data, training=training)
    outputs["images"], labels = layer._images_and_labels(images, data.get("labels"),
                                                          transformation, training)
    if "labels" in data:
        outputs["labels"] = labels
    if boxes is not None:
        if not batched:
            boxes = {k: v.unsqueeze(0) for k, v in boxes.items()}
        boxes = layer.transform_bounding_boxes(boxes, transformation, training=training)
        if not batched:
            boxes = {k: v.squeeze(0) for k, v in boxes.items()}
        outputs["bounding_boxes"] = boxes
    if "segmentation_masks" in data:
        masks = data["segmentation_masks"]
        if layer._masks_mode == "transform":
            masks = torch.as_tensor(masks)
            masks = masks if batched else masks.unsqueeze(0)
            masks = layer.transform_segmentation_masks(masks, transformation,
                                                       training=training)
            masks = masks if batched else masks.squeeze(0)
        outputs["segmentation_masks"] = masks
    return outputs


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

    _boxes_mode = "transform"
    _masks_mode = "transform"
    _uses_transformations = True

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

    def _transform_batch(self, images, transformation, interpolation=None):
        transforms = self.affine_transforms(transformation, images)
        return image_kernels.affine_transform(images, transforms,
                                              interpolation or self.interpolation,
                                              self.fill_mode, self.fill_value)

    def affine_transforms(self, transformation, images):
        """(batch, 8) transforms in the Keras/TensorFlow convention; subclasses define it."""
        raise NotImplementedError

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


def as_param(value, like, shape=None):
    """A transformation entry (numpy, tensor or number) as a tensor like `like`."""
    value = torch.as_tensor(value, device=like.device)
    value = value.to(like.dtype) if value.is_floating_point() or like.is_floating_point() \
        else value
    return value if shape is None else value.reshape(shape)



def clip_and_convert(box_dict, boxes, height, width, bounding_box_format):
    """Keras's last step: clip "xyxy" `boxes` to the image (labels of boxes left without
    area become -1) and convert them back to `bounding_box_format`."""
    clipped = bounding_boxes.clip_to_image_size({**box_dict, "boxes": boxes}, height, width,
                                                "xyxy")
    clipped["boxes"] = bounding_boxes.convert_format(clipped["boxes"], "xyxy",
                                                     bounding_box_format, height, width)
    return clipped
