"""`lamina.preprocessing.image`: the image helpers under their Keras address
(`load_img`, `img_to_array`, `array_to_img`, `save_img`, `smart_resize`)."""

from lamina.registry.export import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__)
