"""Distiller: a Model that trains `student` on the data loss plus distillation losses
against a frozen `teacher`."""

import torch

from lamina import metrics as metrics_module
from lamina import ops
from lamina import tree
from lamina.distillation import distillation_loss as dl
from lamina.models.model import Model
from lamina.registry import serialization
from lamina.registry.export import keras_export
from lamina.registry.object_registry import register_keras_serializable

_FINAL = "final_output"


@keras_export("distillation.Distiller", package="models")
@register_keras_serializable(package="keras.distillation")
class Distiller(Model):
    """Knowledge distillation of `teacher` into `student`.

    The loss is `student_loss_weight * student_loss + (1 - student_loss_weight) *
    sum(w_i * distillation_loss_i)`, where the student loss is the `loss` given to
    `compile()` on the student's predictions and labels. The teacher is frozen and always
    runs in inference mode; calling the Distiller (and `predict`) runs the student.
    The logs report `student_loss`, `distillation_loss` and `total_loss` besides `loss`.
    """

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None,
                 student_loss_weight=0.5, name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)
        self._validate_models(teacher, student)
        self.teacher = teacher
        self.student = student
        if isinstance(student_loss_weight, bool) or not isinstance(student_loss_weight,
                                                                   (int, float)):
            raise ValueError(
                f"student_loss_weight must be a number, got {type(student_loss_weight)}")
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(
                f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}")
        self.student_loss_weight = student_loss_weight
        if distillation_losses is None:
            raise ValueError(
                "'distillation_losses' cannot be `None`. Pass a distillation loss (such as "
                "LogitsDistillation or FeatureDistillation) or a list of them.")
        if not isinstance(distillation_losses, (list, tuple)):
            losses, weights = [distillation_losses], [1.0]
        else:
            losses = list(distillation_losses)
            if distillation_loss_weights is None:
                weights = [1.0] * len(losses)
            elif len(distillation_loss_weights) != len(losses):
                raise ValueError(
                    f"Number of distillation_loss_weights ({len(distillation_loss_weights)}) "
                    f"must match number of distillation_losses ({len(losses)})")
            else:
                weights = list(distillation_loss_weights)
        # Plain attributes: the losses are not modules, and the lists should stay lists.
        self.__dict__["distillation_losses"] = losses
        self.__dict__["distillation_loss_weights"] = weights
        for loss in losses:
            loss.validate_model_compatibility(teacher, student)
        self._build_feature_extractors()
        self.teacher.trainable = False
        self.__dict__["student_loss_tracker"] = metrics_module.Mean(name="student_loss")
        self.__dict__["distillation_loss_tracker"] = metrics_module.Mean(
            name="distillation_loss")
        self.__dict__["total_loss_tracker"] = metrics_module.Mean(name="total_loss")
        self.__dict__["_student_loss"] = None

    # ------------------------------------------------------------------ validation
    def _validate_models(self, teacher, student):
        for role, model in (("Teacher", teacher), ("Student", student)):
            if not isinstance(model, Model):
                raise ValueError(f"{role} must be a keras.Model, got {type(model)}")
        for attribute in ("inputs", "outputs"):
            context = attribute[:-1]
            ours = getattr(teacher, attribute, None)
            theirs = getattr(student, attribute, None)
            if ours is None or theirs is None:
                continue
            tree.map_structure(
                lambda t, s: _check_shapes(tuple(t.shape), tuple(s.shape), context), ours, theirs)
            tree.map_structure(
                lambda t, s: _check_dtypes(t.dtype, s.dtype, context), ours, theirs)

    # ------------------------------------------------------------------ features
    def _build_feature_extractors(self):
        teacher_names, student_names = [], []
        for loss in self.distillation_losses:
            name = getattr(loss, "teacher_layer_name", None)
            if name and name not in teacher_names:
                teacher_names.append(name)
            name = getattr(loss, "student_layer_name", None)
            if name and name not in student_names:
                student_names.append(name)
        # Kept out of the module tree: their layers already belong to teacher / student.
        self.__dict__["_teacher_feature_extractor"] = _feature_extractor(self.teacher,
                                                                         teacher_names)
        self.__dict__["_student_feature_extractor"] = _feature_extractor(self.student,
                                                                         student_names)

    def _teacher_features(self, x):
        with torch.no_grad():  # the teacher only supplies targets
            if self._teacher_feature_extractor is not None:
                return self._teacher_feature_extractor(x, training=False)
            return {_FINAL: self.teacher(x, training=False)}

    def _student_features(self, x, y_pred):
        if self._student_feature_extractor is not None:
            return self._student_feature_extractor(x, training=True)  # as Keras
        return {_FINAL: y_pred}

    # ------------------------------------------------------------------ training
    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        self.__dict__["_student_loss"] = tree.map_structure(dl._resolve_loss, loss)
        self.__dict__["_student_loss_for_serialization"] = loss
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def call(self, inputs, training=None, **kwargs):
        return self.student(inputs, training=training, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            values = tree.flatten(tree.map_structure(
                lambda loss, target, prediction: loss(target, prediction),
                self._student_loss, y, y_pred))
            student_loss = values[0] if len(values) == 1 else dl._sum_scalars(values)
            if len(getattr(student_loss, "shape", ())) > 0:
                student_loss = ops.mean(student_loss)

        distillation = 0.0
        if self.student_loss_weight < 1.0:
            teacher_features = self._teacher_features(x)
            student_features = self._student_features(x, y_pred)
            for loss, weight in zip(self.distillation_losses, self.distillation_loss_weights):
                if getattr(loss, "teacher_layer_name", None) is not None:
                    try:
                        teacher_out = _pick(loss.teacher_layer_name, teacher_features)
                        student_out = _pick(getattr(loss, "student_layer_name", None),
                                            student_features)
                    except ValueError as error:
                        raise RuntimeError(
                            f"Failed to extract features for {type(loss).__name__} targeting "
                            f"teacher layer '{loss.teacher_layer_name}' and student layer "
                            f"'{getattr(loss, 'student_layer_name', None)}': {error}") from error
                else:
                    teacher_out, student_out = teacher_features[_FINAL], y_pred
                loss.validate_outputs(teacher_out, student_out)
                value = loss.compute_loss(teacher_out, student_out)
                if len(getattr(value, "shape", ())) > 0:
                    raise ValueError(
                        f"Distillation loss {type(loss).__name__} returned a non-scalar loss "
                        f"with shape {tuple(value.shape)}; compute_loss must return a scalar.")
                distillation = ops.add(distillation, ops.multiply(weight, value))

        total = ops.add(ops.multiply(self.student_loss_weight, student_loss),
                        ops.multiply(1.0 - self.student_loss_weight, distillation))
        total = ops.convert_to_tensor(total)
        for tracker, value in ((self.student_loss_tracker, student_loss),
                               (self.distillation_loss_tracker, distillation),
                               (self.total_loss_tracker, total)):
            tracker.update_state(_detached(value))
        return total

    @property
    def metrics(self):
        trackers = [self.__dict__.get(key) for key in
                    ("student_loss_tracker", "distillation_loss_tracker", "total_loss_tracker")]
        return super().metrics + [t for t in trackers if t is not None]

    def reset_metrics(self):
        super().reset_metrics()  # (self.metrics includes the three trackers)

    # ------------------------------------------------------------------ config
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        config.update({
            "teacher": serialization.serialize_keras_object(self.teacher),
            "student": serialization.serialize_keras_object(self.student),
            "distillation_losses": [serialization.serialize_keras_object(loss)
                                    for loss in self.distillation_losses],
            "distillation_loss_weights": list(self.distillation_loss_weights),
            "student_loss_weight": self.student_loss_weight,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config.pop("dtype", None)
        for key in ("teacher", "student"):
            config[key] = serialization.deserialize_layer(config[key], custom_objects)
        config["distillation_losses"] = [
            serialization.deserialize_keras_object(loss, custom_objects=custom_objects,
                                                   what="distillation loss")
            for loss in config["distillation_losses"]]
        return cls(**config)


def _check_shapes(teacher_shape, student_shape, context):
    if len(teacher_shape) != len(student_shape):
        raise ValueError(
            f"Teacher and student {context} shapes have different dimensions. "
            f"Teacher: {teacher_shape}, Student: {student_shape}.")
    for a, b in zip(teacher_shape, student_shape):
        if a is not None and b is not None and a != b:
            raise ValueError(
                f"Teacher and student {context} shapes are incompatible. Teacher: "
                f"{teacher_shape}, Student: {student_shape}. All dimensions must match.")


def _check_dtypes(teacher_dtype, student_dtype, context):
    if teacher_dtype != student_dtype:
        raise ValueError(f"Teacher and student {context} dtypes must match. "
                         f"Teacher: {teacher_dtype}, Student: {student_dtype}.")


def _feature_extractor(model, layer_names):
    if not layer_names:
        return None
    if getattr(model, "inputs", None) is None:
        raise ValueError(f"Cannot create feature extractor for {model.name}. "
                         "The model has no symbolic inputs attribute.")
    final = list(model.outputs)
    outputs = {_FINAL: final[0] if len(final) == 1 else final}
    for name in layer_names:
        outputs[name] = model.get_layer(name=name).output
    return Model(inputs=model.inputs, outputs=outputs,
                 name=f"{model.name}_multi_feature_extractor")


def _pick(layer_name, features):
    key = layer_name or _FINAL
    if key not in features:
        raise ValueError(f"Layer '{key}' not found in extracted features. "
                         f"Available: {list(features)}")
    return features[key]


def _detached(value):
    return value.detach() if isinstance(value, torch.Tensor) else value
