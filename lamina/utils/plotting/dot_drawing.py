"""Turn a ModelGraph into a `pydot.Dot` (Graphviz), with Keras's HTML-table boxes."""

import html


def import_pydot():
    """The pydot module (or one of its older forks), or None."""
    for name in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return __import__(name)
        except ImportError:
            continue
    return None


def graphviz_available():
    """True when pydot is installed and can run Graphviz's `dot` program."""
    pydot = import_pydot()
    if pydot is None:
        return False
    try:
        pydot.Dot.create(pydot.Dot())
    except Exception:  # noqa: BLE001 - OSError, or pydot's own error type (it varies by version)
        return False
    return True


def graph_to_dot(graph, model_name, rankdir="TB", dpi=200, splines="ortho", subgraph=False):
    pydot = import_pydot()
    if pydot is None:
        raise ImportError(
            "model_to_dot needs pydot: install it with `pip install pydot` (and Graphviz, "
            "https://graphviz.org/download/, to render the result)."
        )
    if subgraph:
        dot = pydot.Cluster(graph_name=model_name, style="dashed", label=model_name,
                            labeljust="l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    clusters = {(): dot}
    for box in graph.boxes:
        parent = _cluster(pydot, clusters, box.cluster)
        node = pydot.Node(box.key, label=_html_label(box))
        node.set("fontname", "Helvetica")
        node.set("border", "0")
        node.set("margin", "0")
        parent.add_node(node)
    for source, destination in graph.edges:
        edge = pydot.Edge(source, destination)
        edge.set("penwidth", "2")
        dot.add_edge(edge)
    return dot


def _cluster(pydot, clusters, path):
    if path not in clusters:
        parent = _cluster(pydot, clusters, path[:-1])
        cluster = pydot.Cluster(graph_name="_".join(path), style="dashed", label=path[-1],
                                labeljust="l")
        parent.add_subgraph(cluster)
        clusters[path] = cluster
    return clusters[path]


def _html_label(box):
    rows = [f'<tr><td bgcolor="black"><font point-size="16" color="white"><b>'
            f"{html.escape(box.title)}</b></font></td></tr>"]
    for line in box.lines:
        colour = {"Trainable": "forestgreen", "Non-trainable": "firebrick"}.get(line, "white")
        text_colour = "white" if colour != "white" else "black"
        rows.append(f'<tr><td bgcolor="{colour}"><font point-size="14" color="{text_colour}">'
                    f"{html.escape(line)}</font></td></tr>")
    return ('<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
            + "".join(rows) + "</table>>")
