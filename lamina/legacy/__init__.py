"""`lamina.legacy`: Keras 2 compatibility entry points Keras 3 keeps (`legacy.saving`)."""

from lamina.legacy import saving as saving
