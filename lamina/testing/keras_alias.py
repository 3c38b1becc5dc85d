"""Make `import keras` give lamina: run unchanged Keras programs (and Keras's own docstring
examples, see conformance/) on lamina.

    from lamina.testing import keras_alias
    keras_alias.install()
    import keras                      # keras is lamina
    from keras import layers          # layers is lamina.layers
    import keras.ops as ops           # lamina.ops

`keras.X.Y` is the module `lamina.X.Y` itself (not a copy or a wrapper), so
`keras.layers is lamina.layers`. A module lamina does not have fails with a
ModuleNotFoundError that names the Keras module. `keras.src...` (Keras's private tree) is not
mapped: programs written against the public API do not need it.
"""

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import sys

_KERAS = "keras"
_LAMINA = "lamina"


def _lamina_name(keras_name):
    return _LAMINA + keras_name[len(_KERAS):]


def _is_keras_name(name):
    return name == _KERAS or name.startswith(_KERAS + ".")


class _KerasAliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers imports of `keras` and `keras.*` with the already-imported lamina module."""

    def find_spec(self, fullname, path=None, target=None):
        if not _is_keras_name(fullname):
            return None
        target_name = _lamina_name(fullname)
        try:
            module = importlib.import_module(target_name)
        except ModuleNotFoundError as error:
            # Only the missing lamina module itself becomes "lamina lacks keras.X"; a missing
            # dependency inside an existing lamina module is a different failure, left as it is.
            if error.name != target_name:
                raise
            raise ModuleNotFoundError(
                f"lamina has no module for '{fullname}' (looked for '{target_name}'; "
                f"`keras` is aliased to lamina by lamina.testing.keras_alias)",
                name=fullname) from None
        # The original spec travels as loader_state so exec_module can put it back (see there).
        return importlib.machinery.ModuleSpec(fullname, self, origin=target_name,
                                              is_package=hasattr(module, "__path__"),
                                              loader_state=(module, module.__spec__))

    def create_module(self, spec):
        return spec.loader_state[0]

    def exec_module(self, module):
        # The import system has just set module.__spec__ to the `keras...` spec: restore lamina's,
        # so the module stays exactly what `import lamina...` gives (reload, pickling and
        # relative imports all read __spec__).
        module.__spec__ = module.__spec__.loader_state[1]


_FINDER = _KerasAliasFinder()


def _keras_modules():
    return [name for name in sys.modules if _is_keras_name(name)]


def is_installed():
    return _FINDER in sys.meta_path


def install():
    """From now on `import keras...` imports lamina. Idempotent. Refuses when the real Keras is
    already imported: objects from both would mix silently."""
    if is_installed():
        return
    real = [name for name in _keras_modules()
            if not getattr(sys.modules[name], "__name__", "").startswith(_LAMINA)]
    if real:
        raise RuntimeError(
            "keras is already imported (the real package); install the lamina alias before "
            "the first `import keras`, or use keras_alias.aliased()")
    sys.meta_path.insert(0, _FINDER)


def uninstall():
    """Remove the finder and forget the `keras*` names it created (lamina stays imported)."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in _keras_modules():
        if getattr(sys.modules[name], "__name__", "").startswith(_LAMINA):
            del sys.modules[name]


@contextlib.contextmanager
def aliased():
    """`import keras` is lamina inside the block; a real Keras imported before is set aside for
    the block and restored after it."""
    was_installed = is_installed()
    saved = {name: sys.modules.pop(name) for name in _keras_modules()
             if not getattr(sys.modules[name], "__name__", "").startswith(_LAMINA)}
    install()
    try:
        yield
    finally:
        if not was_installed:
            uninstall()
        sys.modules.update(saved)
