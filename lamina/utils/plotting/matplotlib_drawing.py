"""Draw a ModelGraph with matplotlib (no Graphviz needed): boxes in layers, arrows, frames."""

import os

from lamina.utils.plotting.layout import layered_layout

# Text metrics in inches for DejaVu Sans (matplotlib's default font), generous on purpose.
_TITLE_POINTS, _LINE_POINTS = 10, 9
_TITLE_CHAR, _LINE_CHAR = 0.085, 0.07
_TITLE_HEIGHT, _LINE_HEIGHT, _PADDING = 0.3, 0.2, 0.25
_FRAME_MARGIN = 0.18
_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "eps", "ps", "tif", "tiff", "webp")
# Matplotlib refuses images larger than 2**16 pixels a side; stay well inside.
_MAX_PIXELS = 30000


def import_matplotlib(what):
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            f"{what} needs matplotlib to draw: install it with `pip install lamina[plot]` (or "
            "`pip install matplotlib`)."
        ) from error
    return matplotlib, Figure


def image_format(to_file):
    extension = os.path.splitext(os.fspath(to_file))[1].lower().lstrip(".") or "png"
    if extension not in _FORMATS:
        raise ValueError(
            f"Cannot write a plot to '{to_file}': the extension .{extension} is not an image "
            f"format. Use one of: {', '.join('.' + f for f in _FORMATS)}."
        )
    return "jpeg" if extension == "jpg" else extension


def draw_graph(graph, to_file, rankdir="TB", dpi=200):
    matplotlib, Figure = import_matplotlib("plot_model")
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

    sizes = {box.key: _box_size(box) for box in graph.boxes}
    groups = {box.key: box.cluster for box in graph.boxes}
    places = layered_layout(sizes, graph.edges, groups, direction=rankdir)
    frames = _frames(graph, places)
    left, right, bottom, top = _extent(places.values(), frames)
    width, height = right - left + 0.4, top - bottom + 0.4
    figure = Figure(figsize=(width, height))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(left - 0.2, right + 0.2)
    axes.set_ylim(bottom - 0.2, top + 0.2)
    axes.axis("off")
    for (x0, y0, x1, y1), label in frames:
        axes.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linestyle="--",
                                 edgecolor="#555555", linewidth=1))
        axes.text(x0 + 0.06, y1 - 0.04, label, ha="left", va="top", fontsize=_LINE_POINTS,
                  color="#555555", style="italic")
    for source, destination in graph.edges:
        start, end = places[source], places[destination]
        axes.add_patch(FancyArrowPatch(_border(start, end), _border(end, start),
                                       arrowstyle="-|>", mutation_scale=12, linewidth=1.2,
                                       color="#333333", shrinkA=0, shrinkB=0, zorder=1))
    for box in graph.boxes:
        _draw_box(axes, box, places[box.key], FancyBboxPatch)
    fmt = image_format(to_file)
    dpi = min(dpi, _MAX_PIXELS / max(width, height))
    with matplotlib.rc_context({"svg.fonttype": "none", "pdf.fonttype": 42}):
        figure.savefig(to_file, format=fmt, dpi=dpi)
    return figure


def _box_size(box):
    chars = max([len(box.title) * _TITLE_CHAR] + [len(line) * _LINE_CHAR for line in box.lines])
    return chars + 2 * _PADDING, _TITLE_HEIGHT + _LINE_HEIGHT * len(box.lines) + 0.12


def _draw_box(axes, box, place, FancyBboxPatch):
    x0, top = place.x - place.width / 2, place.y + place.height / 2
    axes.add_patch(FancyBboxPatch((x0, place.y - place.height / 2), place.width, place.height,
                                  boxstyle="round,pad=0,rounding_size=0.06", facecolor="#f4f6fa",
                                  edgecolor="#2b3a55", linewidth=1.2, zorder=2))
    axes.text(place.x, top - _TITLE_HEIGHT / 2 - 0.02, box.title, ha="center", va="center",
              fontsize=_TITLE_POINTS, fontweight="bold", color="#111111", zorder=3)
    if box.lines:
        separator = top - _TITLE_HEIGHT
        axes.plot([x0, x0 + place.width], [separator, separator], color="#2b3a55",
                  linewidth=0.6, zorder=3)
    for index, line in enumerate(box.lines):
        color = "#222222"
        if line in ("Trainable", "Non-trainable"):
            color = "#1b7f2a" if line == "Trainable" else "#b22222"
        axes.text(place.x, top - _TITLE_HEIGHT - _LINE_HEIGHT * (index + 0.5) - 0.04, line,
                  ha="center", va="center", fontsize=_LINE_POINTS, color=color, zorder=3)


def _border(place, toward):
    """Where the line from `place`'s centre to `toward`'s centre leaves `place`'s box."""
    dx, dy = toward.x - place.x, toward.y - place.y
    if dx == 0 and dy == 0:
        return place.x, place.y
    scale = min(place.width / 2 / abs(dx) if dx else float("inf"),
                place.height / 2 / abs(dy) if dy else float("inf"))
    return place.x + dx * scale, place.y + dy * scale


def _frames(graph, places):
    """A dashed frame (x0, y0, x1, y1) around each expanded nested model, deepest innermost."""
    paths = sorted({box.cluster[:depth] for box in graph.boxes
                    for depth in range(1, len(box.cluster) + 1)}, key=len)
    frames = []
    for path in paths:
        members = [places[b.key] for b in graph.boxes if b.cluster[:len(path)] == path]
        deepest = max(len(b.cluster) for b in graph.boxes if b.cluster[:len(path)] == path)
        margin = _FRAME_MARGIN * (1 + deepest - len(path))
        x0 = min(p.x - p.width / 2 for p in members) - margin
        x1 = max(p.x + p.width / 2 for p in members) + margin
        y0 = min(p.y - p.height / 2 for p in members) - margin
        y1 = max(p.y + p.height / 2 for p in members) + margin + 0.2  # room for the label
        frames.append(((x0, y0, x1, y1), path[-1]))
    return frames


def _extent(places, frames):
    xs = [p.x - p.width / 2 for p in places] + [p.x + p.width / 2 for p in places]
    ys = [p.y - p.height / 2 for p in places] + [p.y + p.height / 2 for p in places]
    for (x0, y0, x1, y1), _ in frames:
        xs += [x0, x1]
        ys += [y0, y1]
    return min(xs), max(xs), min(ys), max(ys)
