"""Lists and dicts a layer fills after assigning them: `self.blocks = []`, then
`self.blocks.append(Dense(...))` in a loop (Keras's neural decision forest, most models that
build a variable number of sublayers).

Keras tracks such containers, so the layers put in them later are sublayers (their weights
train, save and load). A plain Python list would hide them from torch, so a layer stores an
empty list or dict it is given as a `TrackedList` / `TrackedDict`: still a list / dict (any
items allowed), which after every change registers the modules it holds with the owner, under
the attribute's name (`blocks.0.kernel` in `state_dict()`, as a ModuleList would name them).
Lists and dicts that hold layers at some depth (`[[conv, norm], ...]`, `{"a": {"b": dense}}`)
are kept the same way; a tuple holding them has them registered once.
"""

import weakref

import torch


class TrackedContainer:
    __slots__ = ()

    def _bind(self, owner, name):
        self._owner = weakref.ref(owner)
        self._name = name
        return self

    def _modules_held(self):
        raise NotImplementedError

    def _sync(self):
        owner = self._owner()
        if owner is None or owner.__dict__.get(self._name) is not self:
            return  # (the owner is gone, or the attribute now holds something else)
        modules = self._modules_held()
        if modules:
            owner._modules[self._name] = modules
        else:
            owner._modules.pop(self._name, None)

    def __reduce_ex__(self, protocol):  # copies and pickles are plain containers
        return (type(self).__mro__[2], (type(self).__mro__[2](self),))


def _mutating(method_name, base):
    method = getattr(base, method_name)

    def mutate(self, *args, **kwargs):
        result = method(self, *args, **kwargs)
        self._sync()
        return result

    mutate.__name__ = method_name
    return mutate


def modules_in(value):
    """A torch container mirroring the modules `value` holds at any depth (lists, tuples and
    dicts of layers, e.g. a U-Net's `[[conv, norm], [conv, norm]]`), or None if it holds none."""
    if isinstance(value, torch.nn.Module):
        return value
    if isinstance(value, (list, tuple)):
        held = [module for module in map(modules_in, value) if module is not None]
        return torch.nn.ModuleList(held) if held else None
    if isinstance(value, dict):
        held = {str(key): module for key, module in
                ((key, modules_in(item)) for key, item in value.items()) if module is not None}
        return torch.nn.ModuleDict(held) if held else None
    return None


class TrackedList(TrackedContainer, list):
    __slots__ = ("_owner", "_name")

    def _modules_held(self):
        return modules_in(list(self))

    for _method in ("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
                    "__setitem__", "__delitem__", "__iadd__", "__imul__"):
        locals()[_method] = _mutating(_method, list)
    del _method


class TrackedDict(TrackedContainer, dict):
    __slots__ = ("_owner", "_name")

    def _modules_held(self):
        return modules_in(dict(self))

    for _method in ("__setitem__", "__delitem__", "update", "pop", "popitem", "clear",
                    "setdefault", "__ior__"):
        locals()[_method] = _mutating(_method, dict)
    del _method


def track_container(owner, name, value):
    """`value` (a plain list or dict, empty or holding layers at some depth) as the owner
    keeps it: a tracked container, whose modules are registered now and after each change."""
    return (TrackedList if type(value) is list else TrackedDict)(value)._bind(owner, name)


def holds_modules(value):
    return modules_in(value) is not None
