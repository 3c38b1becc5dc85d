"""Attention layers: MultiHeadAttention, Attention (dot-product) and AdditiveAttention."""

from lamina.layers.attention.additive_attention import AdditiveAttention as AdditiveAttention
from lamina.layers.attention.attention import Attention as Attention
from lamina.layers.attention.multi_head_attention import MultiHeadAttention as MultiHeadAttention
