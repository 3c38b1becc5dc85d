"""`lamina.name_scope`: a name put before the paths of the variables created inside it, as
Keras's `keras.name_scope` does (`outer/v`, `outer/dense/kernel`).

It shares one stack with the layers being built or called (lamina.layers.layer keeps it), so a
name scope opened inside a layer's `build()` nests under the layer, and a layer built inside a
name scope nests under it."""

from lamina.layers import layer as _layer
from lamina.registry.export import keras_export


@keras_export("name_scope")
class name_scope:  # noqa: N801 - a `with` statement, named as in Keras
    """`with lamina.name_scope("block"):` — variables created inside get paths `block/...`.

    Args:
        name: a string without "/".
        caller: the object opening the scope (a layer). With `deduplicate`, opening a scope of
            the same name and caller as the innermost one adds nothing.
        deduplicate: see `caller`.
        override_parent: a path ("a/b") that replaces the enclosing scopes' names inside this
            scope, instead of nesting under them.
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "lamina.name_scope(name): `name` must be a string without '/' (open one scope "
                f"per level to nest, e.g. name_scope('a') inside name_scope('b')). Received: "
                f"name={name!r}.")
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._pushed = False

    def __enter__(self):
        stack = _layer._scope_stack()
        if self.deduplicate and stack and self.caller is not None:
            top = stack[-1]
            top_caller = top if isinstance(top, _layer.Layer) else top.caller
            if top_caller is self.caller and top.name == self.name:
                return self
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc):
        if self._pushed:
            _layer._scope_stack().pop()
            self._pushed = False
        return False


def current_path():
    """The path that variables created here are put under ("" outside every scope)."""
    return _layer.current_path()
