"""`lamina.datasets`: Keras's small data sets (downloaded on first use) and a bundled one.

Each submodule has a `load_data()` with Keras's signature and results: `mnist`,
`fashion_mnist`, `cifar10`, `cifar100`, `imdb`, `reuters`, `boston_housing`,
`california_housing`; and `pima_indians_diabetes`, which ships with lamina. Downloads go
through `lamina.utils.get_file` into `~/.keras/datasets/` (shared with Keras; `$LAMINA_HOME`
or `$KERAS_HOME` move it). Submodules import on first use, so importing this package downloads
and loads nothing.
"""

from lamina.registry.export import lazy_namespace

__getattr__, __dir__ = lazy_namespace(__name__, submodules={
    "boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb",
    "mnist", "pima_indians_diabetes", "reuters",
})
del lazy_namespace  # keeps `dir(lamina.datasets)` to the data sets
