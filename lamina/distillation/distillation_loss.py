"""How a student is compared with its teacher: final logits or intermediate features."""

from lamina import losses as losses_module
from lamina import ops
from lamina import tree
from lamina.registry import serialization
from lamina.registry.object_registry import register_keras_serializable


def _resolve_loss(item):
    """A loss name becomes the loss function Keras's `losses.get` returns; None stays None
    (that output is not distilled); anything else is used as given."""
    if item is None:
        return None
    if isinstance(item, str):
        found = losses_module.get(item)
        if found is None:
            raise ValueError(f"Unknown loss function: '{item}'.")
        return found
    return item


def _resolve_losses(loss):
    resolved = tree.map_structure(_resolve_loss, loss)
    if all(item is None for item in tree.flatten(resolved)):
        return resolved, False
    return resolved, True


def _sum_scalars(values):
    """Sum of per-output scalar losses (python 0.0 for skipped outputs)."""
    total = None
    for value in tree.flatten(values):
        total = value if total is None else ops.add(total, value)
    if not hasattr(total, "shape"):
        return ops.convert_to_tensor(float(total))
    return total


class DistillationLoss:
    """Base class of distillation losses. A subclass implements
    `compute_loss(teacher_outputs, student_outputs, **kwargs)`, returning a scalar, and may
    refine the two validation hooks."""

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Raise a ValueError if the two output structures differ."""
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        """Raise a ValueError if this loss cannot be used with these models (default: any)."""


def _is_subclassed(model):
    return getattr(model, "inputs", None) is None


@register_keras_serializable(package="keras.distillation")
class FeatureDistillation(DistillationLoss):
    """Match the activations of a teacher layer and a student layer (by name; `None` means
    the model's final output) with `loss` (default `"mse"`, or a structure of losses with
    `None` for outputs to skip)."""

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss, any_loss = _resolve_losses(loss)
        if not any_loss:
            raise ValueError(
                "The `loss` argument in `FeatureDistillation` must contain at least one "
                "non-`None` value."
            )

    def validate_model_compatibility(self, teacher, student):
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            which = [role for role, model in (("teacher", teacher), ("student", student))
                     if _is_subclassed(model)]
            if which:
                raise ValueError(
                    "FeatureDistillation with layer names needs Functional or Sequential "
                    f"models, but the {' and '.join(which)} model(s) have no symbolic "
                    "inputs/outputs (subclassed models). Use Functional/Sequential models, "
                    "drop the layer names to distill the final outputs, or use "
                    "LogitsDistillation."
                )
        for role, model, layer_name in (("teacher", teacher, self.teacher_layer_name),
                                        ("student", student, self.student_layer_name)):
            if layer_name is not None:
                try:
                    model.get_layer(name=layer_name)
                except ValueError as error:
                    raise ValueError(f"In {role} model: {error}") from None

    def validate_outputs(self, teacher_outputs, student_outputs):
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as error:
            raise ValueError(
                "Loss structure mismatch: the `loss` structure of FeatureDistillation does not "
                f"match the structure of the features. {error}"
            ) from None

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        def one(loss_fn, teacher_features, student_features):
            if loss_fn is None:
                return 0.0
            return ops.mean(loss_fn(teacher_features, student_features))

        return _sum_scalars(tree.map_structure(one, self.loss, teacher_outputs, student_outputs))

    def get_config(self):
        return {
            "loss": serialization.serialize_keras_object(self.loss),
            "teacher_layer_name": self.teacher_layer_name,
            "student_layer_name": self.student_layer_name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _deserialize_loss(config["loss"])
        return cls(**config)


@register_keras_serializable(package="keras.distillation")
class LogitsDistillation(DistillationLoss):
    """Compare temperature-softened logits: both sides are divided by `temperature`
    (default 3.0) before `loss` (default `"kl_divergence"`). With a `KLDivergence` loss
    instance, both sides are turned into probabilities with a softmax and the loss is scaled
    by `temperature ** 2`; any other loss (including the string `"kl_divergence"`, which
    resolves to the plain function, as in Keras) receives the scaled logits themselves."""

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss, any_loss = _resolve_losses(loss)
        if not any_loss:
            raise ValueError("At least one loss must be non-`None`.")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise ValueError(f"temperature must be a number, got {type(temperature)}")
        if temperature <= 0.0:
            raise ValueError("temperature must be positive.")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        temperature = self.temperature
        teacher_scaled = tree.map_structure(lambda t: ops.divide(t, temperature), teacher_outputs)
        student_scaled = tree.map_structure(lambda t: ops.divide(t, temperature), student_outputs)

        def one(loss_fn, teacher_logits, student_logits):
            if loss_fn is None:
                return 0.0
            if isinstance(loss_fn, losses_module.KLDivergence):
                value = loss_fn(ops.softmax(teacher_logits, axis=-1),
                                ops.softmax(student_logits, axis=-1))
                return ops.mean(value) * (temperature ** 2)
            return ops.mean(loss_fn(teacher_logits, student_logits))

        return _sum_scalars(tree.map_structure(one, self.loss, teacher_scaled, student_scaled))

    def get_config(self):
        return {"temperature": self.temperature,
                "loss": serialization.serialize_keras_object(self.loss)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _deserialize_loss(config["loss"])
        return cls(**config)


def _deserialize_loss(config):
    def one(item):
        if item is None:
            return None
        return serialization.deserialize_keras_object(item, package="losses", what="loss")

    if isinstance(config, dict) and "class_name" in config:
        return one(config)
    if isinstance(config, dict):
        return {key: _deserialize_loss(value) for key, value in config.items()}
    if isinstance(config, (list, tuple)):
        return [_deserialize_loss(value) for value in config]
    return one(config)
