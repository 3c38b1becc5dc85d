"""`lamina.preprocessing.image`: the image helpers under their Keras address
(`load_img`, `img_to_array`, `array_to_img`, `save_img`, `smart_resize`), and Keras 2's
`ImageDataGenerator` with its iterators and transforms (lamina/preprocessing/image_*.py), which
Keras 2 tutorials import from here."""

import importlib

from lamina.registry.export import lazy_namespace

_registered_getattr, _registered_dir = lazy_namespace(__name__)

# Keras 2 names that Keras 3 no longer exports: resolved from their own modules on first use.
_KERAS2_NAMES = {
    "ImageDataGenerator": "image_data_generator", "Iterator": "image_iterators",
    "NumpyArrayIterator": "image_iterators", "DirectoryIterator": "image_iterators",
    "DataFrameIterator": "image_iterators",
    "apply_affine_transform": "image_transforms", "apply_brightness_shift": "image_transforms",
    "apply_channel_shift": "image_transforms",
}


def __getattr__(name):
    if name in _KERAS2_NAMES:
        module = importlib.import_module(f"lamina.preprocessing.{_KERAS2_NAMES[name]}")
        return getattr(module, name)
    return _registered_getattr(name)


def __dir__():
    return sorted(set(_registered_dir()) | set(_KERAS2_NAMES))
