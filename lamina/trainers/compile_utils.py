"""What `compile(loss=..., metrics=..., loss_weights=...)` turns into.

Both containers are resolved lazily, on the first batch, because Keras picks the meaning of
`"accuracy"` and `"crossentropy"` from the shapes of the targets and predictions, and matches
per-output losses and metrics (lists or dicts) to the model's outputs.
"""

import warnings

from lamina import losses as losses_module
from lamina import metrics as metrics_module
from lamina.utils import tree
from lamina.utils.arguments import user_stacklevel


def match_outputs(spec, output_names, what):
    """A single spec, a list (one per output) or a dict (by output name) -> one entry per output."""
    count = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(
                f"compile() got {what} for unknown output(s) {unknown}. The model's outputs are "
                f"named {output_names}."
            )
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and count > 1:
        if len(spec) != count:
            raise ValueError(
                f"compile() got a list of {len(spec)} {what} but the model has {count} outputs "
                f"({output_names}). Pass one per output, or a dict keyed by output name."
            )
        return list(spec)
    if isinstance(spec, (list, tuple)) and count == 1 and what == "losses":
        if len(spec) != 1:
            raise ValueError(
                f"compile() got {len(spec)} losses for a model with one output; pass one loss."
            )
        return list(spec)
    return [spec] * count


class CompileLoss:
    def __init__(self, loss, loss_weights, output_names):
        self.loss = loss
        self.loss_weights = loss_weights
        self.output_names = list(output_names)
        self.built = False

    def build(self, y_true, y_pred):
        specs = match_outputs(self.loss, self.output_names, "losses")
        weights = match_outputs(self.loss_weights, self.output_names, "loss_weights") \
            if self.loss_weights is not None else [1.0] * len(specs)
        self.losses = [
            None if spec is None else self._resolve(spec, t, p)
            for spec, t, p in zip(specs, y_true, y_pred)
        ]
        self.weights = [1.0 if w is None else float(w) for w in weights]
        self.built = True  # (no loss at all is allowed: the model may add its own, add_loss)

    def _resolve(self, spec, y_true, y_pred):
        return losses_module.resolve_compile_loss(spec, tuple(y_true.shape), tuple(y_pred.shape))

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Total weighted loss and the per-output losses (for `<output>_loss` logs)."""
        if not self.built:
            self.build(y_true, y_pred)
        per_output, total = [], None
        for loss, weight, t, p in zip(self.losses, self.weights, y_true, y_pred):
            if loss is None or t is None:
                per_output.append(None)
                continue
            value = loss(t, p, sample_weight)
            per_output.append(value)
            term = value if weight == 1.0 else value * weight
            total = term if total is None else total + term
        return total, per_output


class CompileMetrics:
    def __init__(self, metrics, weighted_metrics, output_names):
        self.metrics_spec = metrics
        self.weighted_metrics_spec = weighted_metrics
        self.output_names = list(output_names)
        self.built = False
        self.metrics = []  # (output_index, metric, weighted)

    def build(self, y_true, y_pred):
        multi = len(self.output_names) > 1
        for spec, weighted in ((self.metrics_spec, False), (self.weighted_metrics_spec, True)):
            if spec is None:
                continue
            per_output = self._per_output(spec)
            for index, output_specs in enumerate(per_output):
                for item in output_specs:
                    metric = self._resolve(item, y_true[index], y_pred[index])
                    if multi:
                        metric.name = f"{self.output_names[index]}_{metric.name}"
                    if weighted and any(m.name == metric.name for _, m, _ in self.metrics):
                        metric.name = f"weighted_{metric.name}"
                    self.metrics.append((index, metric, weighted))
        self.built = True

    def _per_output(self, spec):
        count = len(self.output_names)
        if isinstance(spec, dict):
            matched = match_outputs(spec, self.output_names, "metrics")
            return _unshared([_as_list(m) for m in matched])
        if count == 1:
            return [_as_list(spec)]
        if isinstance(spec, (list, tuple)) and len(spec) == count:  # Keras 3: one per output
            return _unshared([_as_list(m) for m in spec])
        # Keras 2 gave every output every metric; Keras 3 raises. Keep the old programs running,
        # each output with its own metric objects (one object updated by two outputs would
        # mix their values).
        warnings.warn(
            f"compile(metrics={spec!r}) on a model with {count} outputs "
            f"({self.output_names}): Keras 2 applied these metrics to every output, Keras 3 "
            "rejects it. Pass one entry per output (a list of lists) or a dict keyed by output "
            "name. Each output gets its own copy of the metrics for now.",
            DeprecationWarning, stacklevel=user_stacklevel())
        return _unshared([_as_list(spec) for _ in range(count)])

    def _resolve(self, spec, y_true, y_pred):
        return metrics_module.resolve_compile_metric(spec, tuple(y_true.shape), tuple(y_pred.shape))

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        for index, metric, weighted in self.metrics:
            metric.update_state(y_true[index], y_pred[index],
                                sample_weight if weighted else None)

    def reset_state(self):
        for _, metric, _ in self.metrics:
            metric.reset_state()

    def result(self):
        return {metric.name: metric.result() for _, metric, _ in self.metrics}


def _unshared(per_output):
    """The same metric object named for two outputs becomes two objects (same config)."""
    seen, result = set(), []
    for items in per_output:
        fresh = []
        for item in items:
            if isinstance(item, metrics_module.Metric):
                if id(item) in seen:
                    item = type(item).from_config(item.get_config())
                seen.add(id(item))
            fresh.append(item)
        result.append(fresh)
    return result


def _as_list(spec):
    if spec is None:
        return []
    if isinstance(spec, (list, tuple)):
        return list(spec)
    return [spec]


def flatten_outputs(structure, output_names):
    """Targets or predictions as a list in output order (dicts matched by output name)."""
    if isinstance(structure, dict):
        missing = [name for name in output_names if name not in structure]
        if missing:
            raise ValueError(
                f"Targets are missing for output(s) {missing}. The model's outputs are "
                f"{output_names}; received keys {list(structure)}."
            )
        return [structure[name] for name in output_names]
    if isinstance(structure, (list, tuple)) and len(output_names) > 1:
        if len(structure) == len(output_names):
            return list(structure)
        flat = tree.flatten(structure)  # (outputs nested in lists)
        if len(flat) == len(output_names):
            return flat
        raise ValueError(
            f"The model has {len(output_names)} outputs {output_names}, but {len(structure)} "
            "arrays were given for them. Pass one array per output, in that order, or a dict "
            "keyed by output name.")
    return [structure] if not isinstance(structure, (list, tuple)) else list(tree.flatten(structure))
