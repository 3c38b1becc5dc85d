"""Writes `lamina/registry/public_api.py` from the `keras_export` declarations in the source.

Run `python -m lamina.registry.api_gen` after adding, renaming or moving a public object; the
test suite fails while the table is stale. The source is read, not imported, so the table can be
written even when an import is broken.
"""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1]
TABLE = PACKAGE / "registry" / "public_api.py"


def scan_declarations(package=PACKAGE):
    """{namespace: {name: defining module}} read from the `keras_export` calls in the source."""
    table = {}
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        for export_paths in _declarations(ast.parse(path.read_text(), filename=str(path))):
            for public in export_paths:
                namespace, _, name = f"lamina.{public}".rpartition(".")
                table.setdefault(namespace, {})[name] = module
    return {namespace: dict(sorted(names.items())) for namespace, names in sorted(table.items())}


def _declarations(tree):
    """The path tuples of every `keras_export(...)` call at module level (decorators included)."""
    for node in tree.body:
        candidates = list(getattr(node, "decorator_list", []))
        if isinstance(node, (ast.Expr, ast.Assign)):
            value = node.value
            if isinstance(value, ast.Call):  # `X = keras_export("p")(Y)` or `keras_export("p")(Y)`
                candidates.append(value.func)
        for call in candidates:
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                    and call.func.id == "keras_export"):
                yield tuple(arg.value for arg in call.args if isinstance(arg, ast.Constant))


def render_table(table):
    lines = ['"""Where each lazily resolved public name is defined. GENERATED from the',
             "`keras_export` declarations by `python -m lamina.registry.api_gen`: do not edit.",
             '"""', "", "LAZY = {"]
    for namespace, names in table.items():
        lines.append(f'    "{namespace}": {{')
        lines.extend(f'        "{name}": "{module}",' for name, module in names.items())
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TABLE.write_text(render_table(scan_declarations()))
    print(f"wrote {TABLE}")
