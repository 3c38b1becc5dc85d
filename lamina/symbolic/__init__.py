"""The symbolic core: `KerasTensor` (a shape, a dtype and where it came from), `Node` (one call of
a layer on symbolic inputs) and `dispatch` (how a `lamina.ops` function handles KerasTensors).

It sits below both `lamina.layers` and `lamina.ops`, which import it; it imports neither at
module level (an op applied to KerasTensors becomes an op layer through a call-time import).
"""
