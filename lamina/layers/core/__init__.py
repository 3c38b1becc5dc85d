"""Keras 2 module path `keras.layers.core`: the core layers, importable the old way."""

from lamina.layers.activations.activation import Activation as Activation
from lamina.layers.core.dense import Dense as Dense
from lamina.layers.core.embedding import Embedding as Embedding
from lamina.layers.core.input_layer import Input as Input
from lamina.layers.core.input_layer import InputLayer as InputLayer
from lamina.layers.core.lambda_layer import Lambda as Lambda
from lamina.layers.regularization.dropout import Dropout as Dropout
from lamina.layers.reshaping.flatten import Flatten as Flatten
from lamina.layers.reshaping.reshape import Reshape as Reshape
