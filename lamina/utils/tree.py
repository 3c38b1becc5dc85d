"""Nested structures of tensors (lists, tuples, dicts) — flatten them, map over them, rebuild them.

Layers take and return such structures (`Concatenate()([a, b])`, dict inputs of functional
models); these three functions are all the graph code needs.
"""


def flatten(structure):
    """Leaves in a deterministic order: lists/tuples in order, dicts in insertion order."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for value in structure.values() for leaf in flatten(value)]
    return [structure]


def map_structure(fn, structure):
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    return fn(structure)


def pack_sequence_as(structure, leaves):
    """Inverse of `flatten`: put `leaves` back into the shape of `structure`."""
    iterator = iter(leaves)
    result = map_structure(lambda _: next(iterator), structure)
    return result


def is_nested(structure):
    return isinstance(structure, (list, tuple, dict))
