"""What may import what (ARCHITECTURE.md, "Layering"): checked on the source, so a module-level
import that breaks the layering fails here rather than slowing `import lamina` down."""

import ast
import pathlib
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "lamina"

# File formats and the training loop sit on top: layers must not pull them in when imported.
TOP_OF_THE_HOUSE = ("h5py", "zipfile", "lamina.trainers", "lamina.callbacks",
                    "lamina.saving.keras_archive", "lamina.saving.saving_api",
                    "lamina.saving.legacy_h5", "lamina.saving.weights_store", "lamina.models")


def _module_level_imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:  # module level only: imports inside functions are lazy by design
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_layers_do_not_import_file_formats_or_the_trainer_at_module_level():
    offenders = []
    for path in sorted((PACKAGE / "layers").rglob("*.py")):
        for name in _module_level_imports(path):
            if any(name == top or name.startswith(top + ".") for top in TOP_OF_THE_HOUSE):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}: {name}")
    assert not offenders, "\n".join(offenders)


# The bottom of the house: the registry/config serialization and the symbolic core. They may
# import each other, `config` and the small pure helpers below, never layers, ops, models, saving.
BOTTOM_PACKAGES = ("registry", "symbolic")
BOTTOM_MAY_IMPORT = ("lamina.registry", "lamina.symbolic", "lamina.config", "lamina.utils.strings",
                     "lamina.utils.tree", "lamina.utils.naming")  # (leaves: no lamina imports)


def _lamina_imports(path):
    for name in _module_level_imports(path):
        if name == "lamina" or name.startswith("lamina."):
            yield name


def test_the_registry_and_the_symbolic_core_sit_at_the_bottom():
    offenders = []
    for package in BOTTOM_PACKAGES:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            for name in _lamina_imports(path):
                if name in ("lamina", "lamina.utils"):
                    continue  # `from lamina import config`: the names imported are checked too
                if not any(name == ok or name.startswith(ok + ".") for ok in BOTTOM_MAY_IMPORT):
                    offenders.append(f"{path.relative_to(PACKAGE.parent)}: {name}")
    assert not offenders, "\n".join(offenders)


def test_ops_do_not_import_layers_models_or_saving():
    """`layers` is built on `ops`; the reverse edge would be the old import cycle."""
    above = ("lamina.layers", "lamina.models", "lamina.saving", "lamina.trainers")
    offenders = [f"{path.relative_to(PACKAGE.parent)}: {name}"
                 for path in sorted((PACKAGE / "ops").rglob("*.py"))
                 for name in _lamina_imports(path)
                 if any(name == top or name.startswith(top + ".") for top in above)]
    assert not offenders, "\n".join(offenders)


def test_nothing_inside_the_package_imports_its_public_face():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.Import) and any(a.name == "lamina" for a in node.names):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}: import lamina")
    assert not offenders, "\n".join(offenders)


def test_building_a_layer_loads_no_file_format_or_trainer():
    code = (
        "import sys\n"
        "import lamina\n"
        "from lamina import layers\n"
        "y = layers.Dense(2)(lamina.Input((3,)))\n"
        "layers.LSTM(2)(lamina.Input((4, 3)))\n"
        "print([m for m in sys.modules if m.split('.')[0] == 'h5py' or m.startswith(("
        "'lamina.trainers', 'lamina.callbacks', 'lamina.saving.keras_archive', "
        "'lamina.saving.legacy_h5', 'lamina.saving.weights_store'))])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]", result.stdout
