__version__ = "0.1.0"


def version():
    return __version__
