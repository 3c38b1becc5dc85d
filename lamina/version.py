
from lamina.registry.export import keras_export
__version__ = "0.1.0"


@keras_export("version")
def version():
    return __version__
