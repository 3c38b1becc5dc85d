"""The public namespaces against Keras 3's public names (recorded by
tests/fixtures/keras_api/make_fixture.py from Keras itself) and against lamina's registry of
deserializable objects (issue 9, item 12)."""

import importlib
import inspect
import json
import pathlib
import warnings

import pytest

from lamina.registry import api_gen, object_registry

KERAS_NAMES = json.loads(
    (pathlib.Path(__file__).parent / "fixtures" / "keras_api" / "keras_public_names.json").read_text())

# Keras 3.15 public names lamina does not have yet (issue 13 builds them; the JAX/Flax/TF
# wrappers have no torch meaning). A name built later must be removed from here: the test
# says so, so the list stays true.
NOT_YET = {
}

# Keras names that only mean something on JAX, Flax, TensorFlow or Orbax: never in lamina.
NO_TORCH_MEANING = {
    "callbacks": {"OrbaxCheckpoint"},
    "layers": {"FlaxLayer", "JaxLayer", "TFSMLayer"},
}

# Whole Keras namespaces lamina does not have yet (issue 13).
NAMESPACES_NOT_YET = set()

NAMESPACES = sorted(k for k in KERAS_NAMES if k != "keras_version")


def _lamina_namespace(name):
    module = importlib.import_module("lamina")
    for part in name.split("."):
        module = getattr(module, part)
    return module


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_keras_public_name_exists_unless_listed_as_not_yet(namespace):
    try:
        module = _lamina_namespace(namespace)
    except AttributeError:
        assert namespace in NAMESPACES_NOT_YET, f"lamina has no namespace lamina.{namespace}"
        return
    assert namespace not in NAMESPACES_NOT_YET, (
        f"lamina.{namespace} exists now: remove it from NAMESPACES_NOT_YET in this test")
    with warnings.catch_warnings():  # Keras 2 addresses (optimizers.legacy) warn when used
        warnings.simplefilter("ignore", DeprecationWarning)
        missing = {name for name in KERAS_NAMES[namespace] if not hasattr(module, name)}
    expected = NOT_YET.get(namespace, set()) | NO_TORCH_MEANING.get(namespace, set())
    assert missing <= expected, f"lamina.{namespace} lost Keras names: {sorted(missing - expected)}"
    built = expected - missing
    assert not built, (f"lamina.{namespace} now has {sorted(built)}: remove them from NOT_YET "
                       "in this test")


FAMILIES = {"layers": "Layer", "losses": "Loss", "metrics": "Metric", "optimizers": "Optimizer",
            "callbacks": "Callback", "initializers": "Initializer",
            "regularizers": "Regularizer", "constraints": "Constraint"}


@pytest.mark.parametrize("package", sorted(FAMILIES))
def test_public_classes_and_the_registry_agree(package):
    """Every public class of a family can be deserialized by its name, and every registered
    class is public under that name (aliases in the registry are extra spellings `get` takes)."""
    module = importlib.import_module(f"lamina.{package}")
    base = getattr(module, FAMILIES[package])
    public = {name: getattr(module, name) for name in dir(module) if not name.startswith("_")}
    classes = {name: obj for name, obj in public.items()
               if inspect.isclass(obj) and issubclass(obj, base) and obj is not base}
    unregistered = [name for name, cls in classes.items()
                    if object_registry.get_registered_object(cls.__name__, package=package) is not cls]
    assert not unregistered, f"public but not deserializable: {unregistered}"
    registered_classes = {name for name in object_registry.builtin_names(package)
                          if inspect.isclass(object_registry.get_registered_object(
                              name, package=package)) and name == object_registry.get_registered_object(
                              name, package=package).__name__}
    hidden = sorted(name for name in registered_classes if name not in public)
    assert not hidden, f"registered but not in lamina.{package}: {hidden}"


def test_the_table_of_lazy_names_is_generated_from_the_declarations():
    """One declaration per public object: `public_api.py` is derived from `keras_export`."""
    assert api_gen.render_table(api_gen.scan_declarations()) == api_gen.TABLE.read_text(), (
        "lamina/registry/public_api.py is stale: run `python -m lamina.registry.api_gen`")


DECLARED = sorted((namespace, name) for namespace, names in api_gen.scan_declarations().items()
                  for name in names)


@pytest.mark.parametrize("namespace, name", DECLARED)
def test_every_declared_path_resolves_to_the_declared_object(namespace, name):
    """Eager namespaces import their modules by hand: a declaration they miss fails here."""
    obj = getattr(importlib.import_module(namespace), name)
    assert object_registry.EXPORTED[f"{namespace}.{name}"] is obj
