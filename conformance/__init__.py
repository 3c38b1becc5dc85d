"""Differential conformance harness: Keras 3 docstring examples and layers, on Keras and on
lamina. Run `python -m conformance`; see README.md here. Not part of the lamina package."""
