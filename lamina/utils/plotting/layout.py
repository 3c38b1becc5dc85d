"""A layered layout for a small directed acyclic graph (the usual way to draw a network).

1. Rank: each box goes one row below the lowest of the boxes that feed it (longest path).
2. Order: within a row, boxes are sorted by the mean position of their parents (a few sweeps
   of the barycenter heuristic), which removes most crossings in layer graphs; boxes of the same
   nested model are kept next to each other.
3. Place: rows are centred on a common axis, boxes separated by a gap.

Sizes and positions are in the caller's units (the matplotlib renderer uses inches).
"""

import dataclasses


@dataclasses.dataclass
class Placement:
    x: float  # centre
    y: float  # centre
    width: float
    height: float


def ranks(keys, edges):
    """The row of each key: 0 for boxes without parents, else 1 + the deepest parent's row."""
    parents = {key: [] for key in keys}
    for source, destination in edges:
        parents[destination].append(source)
    rank = {}

    def visit(key, trail=()):
        if key not in rank:
            if key in trail:
                raise ValueError("The layer graph has a cycle; it cannot be drawn in layers.")
            rank[key] = 1 + max((visit(p, trail + (key,)) for p in parents[key]), default=-1)
        return rank[key]

    for key in keys:
        visit(key)
    return rank


def order_rows(keys, edges, rank, groups=None, sweeps=4):
    """Rows of keys (top to bottom), each ordered to keep arrows short and uncrossed."""
    rows = [[] for _ in range(1 + max(rank.values(), default=-1))]
    for key in keys:  # start from the model's own (topological) order
        rows[rank[key]].append(key)
    groups = groups or {}
    parents = {key: [] for key in keys}
    children = {key: [] for key in keys}
    for source, destination in edges:
        parents[destination].append(source)
        children[source].append(destination)
    for sweep in range(sweeps):
        neighbours, row_indices = (parents, range(1, len(rows))) if sweep % 2 == 0 else \
            (children, range(len(rows) - 2, -1, -1))
        for index in row_indices:
            position = {key: i for row in rows for i, key in enumerate(row)}
            rows[index] = _sorted_by_barycenter(rows[index], neighbours, position, groups)
    return rows


def _sorted_by_barycenter(row, neighbours, position, groups):
    def barycenter(key):
        linked = [position[n] for n in neighbours[key]]
        return sum(linked) / len(linked) if linked else position[key]

    centre = {key: barycenter(key) for key in row}
    group_centre = {}
    for key in row:
        group_centre.setdefault(groups.get(key, ()), []).append(centre[key])
    group_rank = {group: sum(values) / len(values) for group, values in group_centre.items()}
    return sorted(row, key=lambda key: (group_rank[groups.get(key, ())], centre[key]))


def layered_layout(sizes, edges, groups=None, direction="TB", gap=(0.35, 0.55)):
    """{key: Placement} for boxes of `sizes` {key: (width, height)} joined by `edges`.

    `direction` "TB" stacks rows from the top down, "LR" from left to right (rows become
    columns). `gap` is (between boxes in a row, between rows).
    """
    if direction not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir must be 'TB', 'LR', 'BT' or 'RL'; received {direction!r}.")
    keys = list(sizes)
    rank = ranks(keys, edges)
    rows = order_rows(keys, edges, rank, groups)
    horizontal = direction in ("LR", "RL")
    along = {key: sizes[key][1] if horizontal else sizes[key][0] for key in keys}
    across = {key: sizes[key][0] if horizontal else sizes[key][1] for key in keys}
    placements, depth = {}, 0.0
    for row in rows:
        thickness = max(across[key] for key in row)
        extent = sum(along[key] for key in row) + gap[0] * (len(row) - 1)
        cursor = -extent / 2
        for key in row:
            middle = cursor + along[key] / 2
            centre_depth = depth + thickness / 2
            x, y = (centre_depth, -middle) if horizontal else (middle, -centre_depth)
            placements[key] = Placement(x, y, *sizes[key])
            cursor += along[key] + gap[0]
        depth += thickness + gap[1]
    if direction in ("BT", "RL"):  # mirror the main axis
        for p in placements.values():
            if horizontal:
                p.x = -p.x
            else:
                p.y = -p.y
    return placements
