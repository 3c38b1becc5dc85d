import numpy as np
import pytest

import lamina as keras
from lamina.distillation import (DistillationLoss, Distiller, FeatureDistillation,
                                 LogitsDistillation)


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4)).astype("float32")
    y = rng.integers(0, 3, size=(8,)).astype("int32")
    return x, y


def _model(hidden, name, seed):
    inputs = keras.Input((4,))
    h = keras.layers.Dense(hidden, activation="relu", name="feat")(inputs)
    outputs = keras.layers.Dense(3, name="out")(h)
    model = keras.Model(inputs, outputs, name=name)
    # (a fresh generator per weight, as in the Keras script that produced the references)
    model.set_weights([np.asarray(np.random.default_rng(seed).normal(size=tuple(w.shape)) * 0.5,
                                  dtype="float32")
                       for w in model.weights])
    return model


def _distiller(kind):
    teacher = _model(5, "t", 1)
    student = _model(6 if kind == "logits_default" else 5, "s", 2)
    weights = None
    if kind == "logits_default":
        losses = LogitsDistillation(temperature=2.0)
    elif kind == "logits_kl_obj":
        losses = LogitsDistillation(temperature=3.0, loss=keras.losses.KLDivergence())
    elif kind == "feat":
        losses = FeatureDistillation(loss="mse", teacher_layer_name="feat",
                                     student_layer_name="feat")
    else:
        losses = [LogitsDistillation(temperature=2.0, loss="categorical_crossentropy"),
                  FeatureDistillation()]
        weights = [0.7, 0.2]
    distiller = Distiller(teacher, student, losses, student_loss_weight=0.3,
                          distillation_loss_weights=weights)
    distiller.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return distiller


# Reference values from Keras 3.15.1 (JAX backend), same data, models and weights:
# evaluate, then train_on_batch, then evaluate again (student_loss, distillation_loss, loss).
KERAS = {
    "logits_default": ((2.912001609802246, 5.4827117919921875, 4.711498737335205),
                       (0.8443694710731506, 5.433481216430664, 4.0567474365234375),
                       [[-0.07689083367586136, -0.56785649061203, -0.10802900791168213],
                        [-0.1723071038722992, -0.4021981656551361, 0.13884694874286652]]),
    "logits_kl_obj": ((6.873448371887207, 0.22337237000465393, 2.218395233154297),
                      (4.504751205444336, 0.2199615091085434, 1.5053985118865967),
                      [[-0.015652410686016083, -0.7543816566467285, -0.6394322514533997],
                       [0.1965147703886032, -0.5109307765960693, -0.7347562313079834]]),
    "feat": ((6.873448371887207, 0.12189242988824844, 2.1473593711853027),
             (4.491161823272705, 0.11612818390130997, 1.4286383390426636),
             [[0.005515150725841522, -0.7807184457778931, -0.6334409713745117],
              [0.210758239030838, -0.5275287628173828, -0.7335660457611084]]),
    "multi": ((6.873448371887207, 0.7483528256416321, 2.585881471633911),
              (4.428833484649658, -0.01100142952054739, 1.3209490776062012),
              [[0.11755844950675964, -0.7830567359924316, -0.7514426112174988],
               [0.28954756259918213, -0.5268650054931641, -0.7984198927879333]]),
}


def _triple(logs):
    return (logs["student_loss"], logs["distillation_loss"], logs["loss"])


@pytest.mark.parametrize("kind", sorted(KERAS))
def test_losses_match_keras(kind):
    x, y = _data()
    before, after, predictions = KERAS[kind]
    distiller = _distiller(kind)
    teacher_weights = [w.copy() for w in distiller.teacher.get_weights()]
    logs = distiller.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(_triple(logs), before, rtol=1e-5, atol=1e-5)
    assert logs["total_loss"] == pytest.approx(logs["loss"], rel=1e-6)
    logs = distiller.train_on_batch(x, y, return_dict=True)
    np.testing.assert_allclose(_triple(logs), before, rtol=1e-5, atol=1e-5)
    logs = distiller.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_allclose(_triple(logs), after, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(distiller.predict(x[:2], verbose=0), predictions, atol=1e-5)
    for old, new in zip(teacher_weights, distiller.teacher.get_weights()):
        np.testing.assert_array_equal(old, new)  # the teacher is frozen
    assert distiller.metrics_names == ["loss", "accuracy", "student_loss",
                                       "distillation_loss", "total_loss"]


def test_fit_trains_only_the_student():
    x, y = _data()
    distiller = _distiller("feat")
    assert not distiller.teacher.trainable
    assert len(distiller.trainable_weights) == len(distiller.student.weights)
    history = distiller.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert set(history.history) >= {"loss", "student_loss", "distillation_loss", "total_loss"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_allclose(distiller.predict(x, verbose=0),
                               distiller.student.predict(x, verbose=0), atol=1e-6)


def test_logits_distillation_formula():
    rng = np.random.default_rng(3)
    t = rng.normal(size=(4, 5)).astype("float32")
    s = rng.normal(size=(4, 5)).astype("float32")
    loss = LogitsDistillation(temperature=2.0, loss=keras.losses.KLDivergence())
    value = float(keras.ops.convert_to_numpy(loss.compute_loss(t, s)))

    def softmax(z):
        e = np.exp(z - z.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    p, q = softmax(t / 2), softmax(s / 2)
    expected = np.mean(np.sum(p * np.log(p / q), -1)) * 4.0  # times temperature**2
    assert value == pytest.approx(expected, rel=1e-5)


def test_argument_validation():
    teacher, student = _model(5, "t", 1), _model(5, "s", 2)
    with pytest.raises(ValueError, match="temperature must be positive"):
        LogitsDistillation(temperature=0.0)
    with pytest.raises(ValueError, match="temperature must be a number"):
        LogitsDistillation(temperature="3")
    with pytest.raises(ValueError, match="At least one loss"):
        LogitsDistillation(loss=[None, None])
    with pytest.raises(ValueError, match="at least one non-`None`"):
        FeatureDistillation(loss=None)
    with pytest.raises(ValueError, match="cannot be `None`"):
        Distiller(teacher, student, None)
    with pytest.raises(ValueError, match="between 0.0 and 1.0"):
        Distiller(teacher, student, LogitsDistillation(), student_loss_weight=1.5)
    with pytest.raises(ValueError, match="must match number"):
        Distiller(teacher, student, [LogitsDistillation()], distillation_loss_weights=[1., 2.])
    with pytest.raises(ValueError, match="In teacher model"):
        Distiller(teacher, student, FeatureDistillation(teacher_layer_name="nope"))
    with pytest.raises(ValueError, match="Teacher must be a keras.Model"):
        Distiller("teacher", student, LogitsDistillation())
    wider = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    with pytest.raises(ValueError, match="output shapes are incompatible"):
        Distiller(teacher, wider, LogitsDistillation())
    distiller = Distiller(teacher, student, LogitsDistillation())
    with pytest.raises(ValueError, match="'loss' cannot be `None`"):
        distiller.compile(loss=None)
    with pytest.raises(NotImplementedError):
        DistillationLoss().compute_loss(None, None)


def test_config_round_trip():
    distiller = _distiller("multi")
    config = distiller.get_config()
    assert config["distillation_loss_weights"] == [0.7, 0.2]
    assert config["student_loss_weight"] == 0.3
    assert config["distillation_losses"][0]["config"] == {  # (as Keras 3.15.1 writes it)
        "temperature": 2.0, "loss": {"module": "builtins", "class_name": "function",
                                     "config": "categorical_crossentropy",
                                     "registered_name": "function"}}
    clone = Distiller.from_config(config)
    assert isinstance(clone.distillation_losses[0], LogitsDistillation)
    assert isinstance(clone.distillation_losses[1], FeatureDistillation)
    assert clone.student_loss_weight == 0.3
    assert LogitsDistillation.from_config(LogitsDistillation().get_config()).temperature == 3.0
    assert keras.distillation.Distiller is Distiller
