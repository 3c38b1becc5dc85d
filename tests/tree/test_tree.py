"""lamina.tree: Keras's tree semantics (sorted dict keys, None as a leaf, namedtuples nested)."""

import collections

import pytest

import lamina
from lamina import tree

Point = collections.namedtuple("Point", ["x", "y"])


def test_flatten_sorts_dict_keys_and_keeps_none_as_a_leaf():
    assert tree.flatten({"b": 1, "a": [2, None, (3,)]}) == [2, None, 3, 1]
    assert tree.flatten(None) == [None]
    assert tree.flatten(7) == [7]
    assert tree.flatten({100: "world!", 6: "Hello"}) == ["Hello", "world!"]
    assert tree.flatten(Point(1, [2, 3])) == [1, 2, 3]
    assert tree.flatten(collections.OrderedDict([("b", 1), ("a", 2)])) == [1, 2]
    assert tree.flatten([[], (), {}]) == []


def test_is_nested():
    assert not tree.is_nested(42) and not tree.is_nested(None) and not tree.is_nested("ab")
    assert tree.is_nested({"foo": 42}) and tree.is_nested(()) and tree.is_nested(Point(1, 2))


def test_pack_sequence_as_inverts_flatten_and_keeps_dict_order():
    structure = {"key3": {"c": ("alpha", "beta"), "a": "gamma"}, "key1": {"e": 1, "d": 2}}
    packed = tree.pack_sequence_as(structure, ["val2", "val1", 3.0, 1.0, 2.0])
    assert packed == {"key3": {"c": (1.0, 2.0), "a": 3.0}, "key1": {"e": "val1", "d": "val2"}}
    assert list(packed) == ["key3", "key1"]
    p = tree.pack_sequence_as(Point(0, [0, 0]), [1, 2, 3])
    assert isinstance(p, Point) and p == Point(1, [2, 3])
    with pytest.raises(ValueError):
        tree.pack_sequence_as([1, 2], [1])


def test_flatten_with_path():
    assert tree.flatten_with_path({"b": 1, "a": [2, {"z": 3}]}) == [
        (("a", 0), 2), (("a", 1, "z"), 3), (("b",), 1)]
    assert tree.flatten_with_path(5) == [((), 5)]


def test_map_structure_and_structure_checks():
    assert tree.map_structure(lambda v: v ** 2, [[1], [2], [3]]) == [[1], [4], [9]]
    assert tree.map_structure(lambda x, y: x * y, [1, (2,)], [3, (4,)]) == [3, (8,)]
    assert tree.map_structure(lambda v: v * 2, Point(1, 2)) == Point(2, 4)
    assert tree.map_structure(lambda a, b: a + b, {"a": 1, "b": 2}, {"b": 3, "a": 4}) == {
        "a": 5, "b": 5}
    assert tree.map_structure(lambda v: 0, [1, None], none_is_leaf=False) == [0, None]
    for a, b in [([0, 1], (2, 3)), ([0, 1], [2, [3]]), (Point(0, 1), (0, 1)),
                 ({"a": 1}, {"b": 1}), ([0, 1], [2, 3, 4])]:
        with pytest.raises(ValueError):
            tree.assert_same_structure(a, b)
        with pytest.raises(ValueError):
            tree.map_structure(lambda *x: x, a, b)
    tree.assert_same_structure([(0, 1)], [(2, 3)])
    tree.assert_same_paths([0, 1], (2, 3))
    with pytest.raises(ValueError):
        tree.assert_same_paths({"a": 1}, {"b": 1})


def test_map_structure_up_to_gives_subtrees():
    assert tree.map_structure_up_to([None, None], len, [[1, 1], [2, 2, 2]]) == [2, 3]
    assert tree.map_structure_up_to({"a": 0}, lambda x, y: x + y, {"a": [1]}, {"a": [2]}) == {
        "a": [1, 2]}


def test_traverse_lists_to_tuples_map_shape_structure():
    visited = []
    tree.traverse(visited.append, [(1, 2), [3], {"a": 4}], top_down=True)
    assert visited == [[(1, 2), [3], {"a": 4}], (1, 2), 1, 2, [3], 3, {"a": 4}, 4]
    visited = []
    tree.traverse(visited.append, [(1, 2), [3], {"a": 4}], top_down=False)
    assert visited == [1, 2, (1, 2), 3, [3], 4, {"a": 4}, [(1, 2), [3], {"a": 4}]]
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if x == 2 else None, [1, 2]) == [1, None]
    assert tree.traverse(lambda x: "T" if isinstance(x, tuple) else None, [1, (2,)]) == [1, "T"]
    assert tree.lists_to_tuples([1, [2, {"a": [3]}]]) == (1, (2, {"a": (3,)}))
    shapes = tree.map_shape_structure(lambda s: len(s), {"a": (1, None), "b": [(2, 3), [4]]})
    assert shapes == {"a": 2, "b": [2, 1]}


def test_available_as_lamina_tree():
    assert lamina.tree is tree
    assert "tree" in dir(lamina)
