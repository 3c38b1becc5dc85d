"""`lamina.tree`: Keras's `keras.tree` on nested Python structures.

Nodes are lists, tuples, namedtuples and dicts (`OrderedDict` and `defaultdict` included);
everything else, `None` included, is a leaf. Plain dicts are visited in sorted-key order (as
Keras's optree backend does) and rebuilt with the key order of the structure they come from;
`OrderedDict`s keep their own order. This is separate from `lamina.utils.tree`, the small
helper the graph code uses (which walks dicts in insertion order).
"""

import collections

__all__ = [
    "MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path",
    "is_nested", "lists_to_tuples", "map_shape_structure", "map_structure",
    "map_structure_up_to", "pack_sequence_as", "traverse",
]


class MAP_TO_NONE:
    """Return this class from a `traverse` function to put `None` in the result."""


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def is_nested(structure):
    """Whether `structure` is a list, tuple or dict (a node rather than a leaf)."""
    return isinstance(structure, (list, tuple, dict))


def _sorted_keys(d):
    if isinstance(d, collections.OrderedDict):
        return list(d.keys())
    try:
        return sorted(d.keys())
    except TypeError:  # keys of mixed types: keep the dict's own order
        return list(d.keys())


def _children(structure):
    """(keys, values) of a node, in flattening order."""
    if isinstance(structure, dict):
        keys = _sorted_keys(structure)
        return keys, [structure[k] for k in keys]
    return list(range(len(structure))), list(structure)


def _rebuild(node, values):
    """A node of the same type as `node` holding `values` (in flattening order)."""
    if isinstance(node, dict):
        by_key = dict(zip(_sorted_keys(node), values))
        items = [(k, by_key[k]) for k in node.keys()]
        if isinstance(node, collections.defaultdict):
            return type(node)(node.default_factory, items)
        return type(node)(items)
    if _is_namedtuple(node):
        return type(node)(*values)
    if isinstance(node, tuple):
        return tuple(values) if type(node) is tuple else type(node)(values)
    return list(values) if type(node) is list else type(node)(values)


def _node_kind(x):
    return dict if isinstance(x, dict) else type(x)


def flatten(structure):
    """The leaves of `structure` in order (dicts by sorted key); a leaf gives `[leaf]`."""
    if not is_nested(structure):
        return [structure]
    return [leaf for child in _children(structure)[1] for leaf in flatten(child)]


def flatten_with_path(structure):
    """`(path, leaf)` pairs; a path is the tuple of indices and keys leading to the leaf."""
    if not is_nested(structure):
        return [((), structure)]
    result = []
    for key, child in zip(*_children(structure)):
        result.extend(((key,) + path, leaf) for path, leaf in flatten_with_path(child))
    return result


def pack_sequence_as(structure, flat_sequence):
    """Put the leaves of `flat_sequence` back into the shape of `structure`."""
    flat_sequence = list(flat_sequence)
    expected = len(flatten(structure))
    if len(flat_sequence) != expected:
        raise ValueError(
            f"pack_sequence_as: the structure has {expected} leaves but flat_sequence has "
            f"{len(flat_sequence)} items."
        )
    iterator = iter(flat_sequence)

    def pack(node):
        if not is_nested(node):
            return next(iterator)
        return _rebuild(node, [pack(child) for child in _children(node)[1]])

    return pack(structure)


def _check_same_node(a, b):
    if _node_kind(a) is not _node_kind(b):
        raise ValueError(
            f"Structures don't have the same nested structure: expected an instance of "
            f"{type(a).__name__}, got {b!r}."
        )
    if isinstance(a, dict):
        if set(a.keys()) != set(b.keys()):
            raise ValueError(
                f"Structures don't have the same nested structure: dict keys "
                f"{sorted(map(str, a.keys()))} and {sorted(map(str, b.keys()))} differ."
            )
    elif len(a) != len(b):
        raise ValueError(
            f"Structures don't have the same nested structure: {type(a).__name__} lengths "
            f"{len(a)} and {len(b)} differ."
        )


def _children_like(reference, node):
    """Children of `node` in the order of `reference`'s keys (dicts of either key order)."""
    if isinstance(reference, dict):
        return [node[k] for k in _children(reference)[0]]
    return list(node)


def map_structure(func, *structures, none_is_leaf=True):
    """`func` applied to the leaves of `structures` (all of the same structure)."""
    if not structures:
        raise ValueError("map_structure needs at least one structure.")

    def apply(*nodes):
        first = nodes[0]
        if first is None and not none_is_leaf:
            return None
        if not is_nested(first):
            if any(is_nested(n) for n in nodes[1:]):
                raise ValueError("Structures don't have the same nested structure.")
            return func(*nodes)
        for other in nodes[1:]:
            _check_same_node(first, other)
        columns = [_children_like(first, n) for n in nodes]
        return _rebuild(first, [apply(*items) for items in zip(*columns)])

    return apply(*structures)


def map_structure_up_to(shallow_structure, func, *structures):
    """Like `map_structure`, but only as deep as `shallow_structure`: `func` gets subtrees."""
    if not structures:
        raise ValueError("map_structure_up_to needs at least one structure.")

    def apply(shallow, *nodes):
        if not is_nested(shallow):
            return func(*nodes)
        for node in nodes:
            _check_same_node(shallow, node)
        columns = [_children_like(shallow, n) for n in nodes]
        values = [apply(child, *items)
                  for child, items in zip(_children(shallow)[1], zip(*columns))]
        return _rebuild(shallow, values)

    return apply(shallow_structure, *structures)


def assert_same_structure(a, b, check_types=None):
    """Raise `ValueError` unless `a` and `b` nest the same way (same node types and keys)."""
    del check_types  # accepted for compatibility, as Keras does; node types are always checked
    map_structure(lambda *_: None, a, b)


def _paths(structure):
    return {path for path, _ in flatten_with_path(structure)}


def assert_same_paths(a, b):
    """Raise `ValueError` unless `a` and `b` have the same set of leaf paths."""
    a_paths, b_paths = _paths(a), _paths(b)
    if a_paths != b_paths:
        raise ValueError(
            "`a` and `b` don't have the same paths. "
            f"Only in `a`: {a_paths - b_paths}. Only in `b`: {b_paths - a_paths}."
        )


def traverse(func, structure, top_down=True):
    """Rebuild `structure` by calling `func` on every node and leaf.

    `func` returning `None` means "keep going" (top down: visit the children; bottom up: keep
    the rebuilt node); any other value replaces the node, `MAP_TO_NONE` replaces it by `None`.
    """

    def children_of(node):
        if not is_nested(node):
            return node
        return _rebuild(node, [visit(child) for child in _children(node)[1]])

    def visit(node):
        if top_down:
            result = func(node)
            if result is None:
                return children_of(node)
        else:
            node = children_of(node)
            result = func(node)
            if result is None:
                return node
        return None if result is MAP_TO_NONE else result

    return visit(structure)


def lists_to_tuples(structure):
    """`structure` with every list turned into a tuple."""
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure,
                    top_down=False)


def _is_shape_tuple(x):
    return isinstance(x, (list, tuple)) and all(
        isinstance(e, (int, type(None))) for e in x
    )


def map_shape_structure(func, structure):
    """`func` applied to each shape (a list/tuple of ints and `None`s) in `structure`."""
    if _is_shape_tuple(structure) or not is_nested(structure):
        return func(structure)
    return _rebuild(structure, [map_shape_structure(func, child)
                                for child in _children(structure)[1]])

