"""`lamina.preprocessing`: Keras's preprocessing namespace — the dataset builders
(`image_dataset_from_directory`, `text_dataset_from_directory`, `timeseries_dataset_from_array`)
and the `image`, `sequence` and (Keras 2) `text` submodules."""

from lamina.registry.export import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, submodules={"image", "sequence", "text"})
