"""Shared by the attention-layer tests: the Keras case definitions and lamina's namespace."""

import importlib.util
import json
import pathlib
import types

import numpy as np
import torch

import lamina
from lamina.layers import attention

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def _load_cases():
    spec = importlib.util.spec_from_file_location("attention_cases", FIXTURES / "cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cases = _load_cases()

LAYERS = types.SimpleNamespace(
    MultiHeadAttention=attention.MultiHeadAttention, Attention=attention.Attention,
    AdditiveAttention=attention.AdditiveAttention, Embedding=lamina.layers.Embedding,
    Input=lamina.Input, Model=lamina.Model,
)

API = cases.Api(LAYERS, tensor=torch.as_tensor, numpy=lambda t: t.detach().cpu().numpy())


def keras_reference():
    data = np.load(FIXTURES / "keras_attention.npz")
    values, index = data["values"], json.loads(str(data["index"]))
    result = {}
    for name, entry in index.items():
        outputs = [values[offset:offset + int(np.prod(shape))].reshape(shape)
                   for offset, shape in entry["outputs"]]
        result[name] = ([tuple(s) for s in entry["weight_shapes"]], outputs)
    return result
