"""The pooling layers; also the Keras 2 module path `keras.layers.pooling`."""

from lamina.layers.pooling.average_pooling import AveragePooling1D as AveragePooling1D
from lamina.layers.pooling.average_pooling import AveragePooling2D as AveragePooling2D
from lamina.layers.pooling.average_pooling import AveragePooling3D as AveragePooling3D
from lamina.layers.pooling.global_average_pooling import (
    GlobalAveragePooling1D as GlobalAveragePooling1D,
)
from lamina.layers.pooling.global_average_pooling import (
    GlobalAveragePooling2D as GlobalAveragePooling2D,
)
from lamina.layers.pooling.global_average_pooling import (
    GlobalAveragePooling3D as GlobalAveragePooling3D,
)
from lamina.layers.pooling.global_max_pooling import GlobalMaxPooling1D as GlobalMaxPooling1D
from lamina.layers.pooling.global_max_pooling import GlobalMaxPooling2D as GlobalMaxPooling2D
from lamina.layers.pooling.global_max_pooling import GlobalMaxPooling3D as GlobalMaxPooling3D
from lamina.layers.pooling.max_pooling import MaxPooling1D as MaxPooling1D
from lamina.layers.pooling.max_pooling import MaxPooling2D as MaxPooling2D
from lamina.layers.pooling.max_pooling import MaxPooling3D as MaxPooling3D

# Keras 3 aliases: the same class objects.
AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
