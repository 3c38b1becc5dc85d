"""Preprocessing layers: data transforms that run inside a model and are saved with it.

Numeric and image layers run on the input's device; the string layers (Hashing, StringLookup,
TextVectorization) work on the host, since torch tensors cannot hold strings.
"""
