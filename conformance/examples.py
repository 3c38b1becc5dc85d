"""Find Keras's documented examples: walk the installed Keras's public namespaces and cut each
public object's docstring into runnable blocks.

An *example* is one block of a docstring: a run of `>>>` statements (doctest) or one
```python fenced block. The blocks of one docstring run in order in one namespace, as doctest
runs a docstring, because later blocks use names the earlier ones defined.

Only the installed package is read, at run time; nothing from it is stored in the project.
"""

import ast
import doctest
import inspect
import re
import textwrap
import types

# Not walked: they download (datasets, pretrained applications) or are Keras's private tree.
SKIPPED = {"keras.src", "keras.datasets", "keras.applications"}

_FENCE_OPEN = re.compile(r"^\s*```\s*(python|py)\s*$")
_FENCE_CLOSE = re.compile(r"^\s*```\s*$")


def namespaces(keras):
    """{namespace name: module} for every public keras.* module reachable from `keras`."""
    found = {"keras": keras}

    def walk(module):
        for name in sorted(dir(module)):
            if name.startswith("_"):  # keras._tf_keras and the like: not the public API
                continue
            value = getattr(module, name, None)
            if (isinstance(value, types.ModuleType) and value.__name__.startswith("keras.")
                    and value.__name__ not in found
                    and not any(value.__name__ == s or value.__name__.startswith(s + ".")
                                for s in SKIPPED)):
                found[value.__name__] = value
                walk(value)

    walk(keras)
    return found


def short(namespace):
    """'keras.ops.nn' -> 'ops.nn' (the report's spelling); 'keras' stays."""
    return namespace[len("keras."):] if namespace.startswith("keras.") else namespace


def public_objects(keras):
    """[(namespace, qualified name, docstring, bare name)], each object once. The bare name is
    what the docstring may use unqualified: the object's own name, or a method's class.

    An object exported by several namespaces (keras.ops.relu is keras.ops.nn.relu) belongs to the
    deepest one, so keras.ops keeps only what no sub-namespace has, and top-level `keras` only
    what no submodule has. Classes bring their own public methods ("Model.fit")."""
    spaces = namespaces(keras)
    order = sorted(spaces, key=lambda n: (-n.count("."), n))
    seen, objects = set(), []
    for space in order:
        module = spaces[space]
        for name in sorted(dir(module)):
            if name.startswith("_"):
                continue
            value = getattr(module, name, None)
            if value is None or isinstance(value, types.ModuleType) or id(value) in seen:
                continue
            seen.add(id(value))
            objects.append((short(space), f"{space}.{name}", inspect.getdoc(value) or "", name))
            if inspect.isclass(value):
                for attr, member in vars(value).items():
                    function = member.fget if isinstance(member, property) else getattr(
                        member, "__func__", member)
                    if attr.startswith("_") or id(function) in seen or not callable(function):
                        continue
                    seen.add(id(function))
                    doc = inspect.getdoc(function) or ""
                    if doc:
                        objects.append((short(space), f"{space}.{name}.{attr}", doc, name))
    return objects


def _statements_of_script(source):
    """A fenced block as top-level statements (so expression values can be compared); a block
    that does not parse stays whole and fails on both sides with the SyntaxError."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [{"source": source, "expect_raise": False}]
    lines = source.splitlines()
    statements = []
    for node in tree.body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        statements.append({"source": "\n".join(lines[first - 1:node.end_lineno]),
                           "expect_raise": False})
    return statements


def _doctest_blocks(text):
    """Runs of `>>>` examples; prose between two examples ends a block."""
    blocks, current = [], []
    for piece in doctest.DocTestParser().parse(text):
        if isinstance(piece, doctest.Example):
            # exc_msg is set when the documented output is a traceback: raising is the point.
            current.append({"source": piece.source.rstrip("\n"),
                            "expect_raise": piece.exc_msg is not None, "want": piece.want})
        elif piece.strip() and current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def blocks_of(doc):
    """[(kind, statements)] in docstring order; kind is "doctest" or "script"."""
    lines, blocks, prose, i = doc.splitlines(), [], [], 0

    def flush_prose():
        if prose:
            try:
                blocks.extend(("doctest", b) for b in _doctest_blocks("\n".join(prose)))
            except ValueError:  # malformed doctest (bad indentation): nothing we can run
                pass
            prose.clear()

    while i < len(lines):
        if _FENCE_OPEN.match(lines[i]):
            end = i + 1
            while end < len(lines) and not _FENCE_CLOSE.match(lines[end]):
                end += 1
            flush_prose()
            body = textwrap.dedent("\n".join(lines[i + 1:end]))
            if ">>>" in body:
                try:
                    blocks.extend(("doctest", b) for b in _doctest_blocks(body))
                except ValueError:
                    pass
            elif body.strip():
                blocks.append(("script", _statements_of_script(body)))
            i = end + 1
        else:
            prose.append(lines[i])
            i += 1
    flush_prose()
    return blocks


def collect(keras, only=None):
    """[group]: one group per docstring with examples, each {"id", "namespace", "object",
    "bare", "path", "blocks": [{"id", "kind", "statements"}]}. A statement is {"source",
    "expect_raise", "want" (doctest's documented output, used only to annotate a mismatch)}.
    `only`: namespaces to keep (report spelling, "ops" keeps ops and ops.*)."""
    groups = []
    for space, qualname, doc, bare in public_objects(keras):
        if only and not any(space == o or space.startswith(o + ".") for o in only):
            continue
        found = blocks_of(doc)
        if not found:
            continue
        path = qualname if qualname.endswith("." + bare) else qualname.rsplit(".", 1)[0]
        groups.append({
            "id": qualname, "namespace": space, "object": qualname,
            # Doctest runs a docstring with its module's globals, so examples use the documented
            # object unqualified: the worker binds `bare` to the side's own `path`.
            "bare": bare, "path": path,
            "blocks": [{"id": f"{qualname}#{n}", "kind": kind, "statements": statements}
                       for n, (kind, statements) in enumerate(found)],
        })
    return groups
