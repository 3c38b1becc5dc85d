"""`lamina.preprocessing.sequence`: `pad_sequences` under its Keras 2 address."""

from lamina.utils.sequence_utils import pad_sequences as pad_sequences
