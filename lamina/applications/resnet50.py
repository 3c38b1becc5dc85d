"""`lamina.applications.resnet50`: Keras's module name for ResNet50 and its preprocessing."""

from lamina.applications.resnet import ResNet50 as ResNet50
from lamina.applications.resnet import decode_predictions as decode_predictions
from lamina.applications.resnet import preprocess_input as preprocess_input
