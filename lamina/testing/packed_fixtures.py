"""Reads reference cases stored compactly: a JSON case list plus one .npz of packed arrays.

Layer fixture scripts (tests/layers/*/fixtures/make_fixtures.py) store each case's input, mask
and weights as small integers (divided by `scale` on reading) in one flat array, and Keras's
outputs in another, in case order. This unpacks them.
"""

import json
import math
import pathlib

import numpy as np


def load_packed_cases(folder, stem):
    """[case dict plus 'x', 'mask' (or None), 'weights' and 'y' arrays] in file order, and the
    Keras default configs."""
    folder = pathlib.Path(folder)
    meta = json.loads((folder / f"{stem}.json").read_text())
    arrays = np.load(folder / f"{stem}.npz")
    integers, outputs = arrays["integers"], arrays["outputs"]
    scale = meta["scale"]
    cases, i, o = [], 0, 0
    for case in meta["cases"]:
        mask_shape = case.get("mask_shape")
        shapes = [case["input_shape"], *([mask_shape] if mask_shape else []),
                  *case["weight_shapes"]]
        values = []
        for shape in shapes:
            size = math.prod(shape)
            values.append((integers[i:i + size].astype("float32") / scale).reshape(shape))
            i += size
        size = math.prod(case["output_shape"])
        y = outputs[o:o + size].reshape(case["output_shape"])
        o += size
        mask = (values.pop(1) * scale).astype(bool) if mask_shape else None
        cases.append({**case, "x": values[0], "mask": mask, "weights": values[1:], "y": y})
    if i != integers.size or o != outputs.size:
        raise ValueError(f"{folder / stem}: the packed arrays and the case list disagree.")
    return cases, meta["configs"]
