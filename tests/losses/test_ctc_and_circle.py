"""The CTC and Circle losses against Keras 3's values (recorded by
tests/fixtures/keras_api_more/make_fixtures.py) and against their definitions."""

import json
import math
import pathlib

import numpy as np
import pytest
import torch

import lamina
from lamina import losses

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures" / "keras_api_more"
KERAS = np.load(FIXTURES / "keras_api_more.npz")
CONFIGS = json.loads((FIXTURES / "keras_api_more.json").read_text())


def close(actual, expected, atol=1e-5):
    np.testing.assert_allclose(np.asarray(torch.as_tensor(actual).detach()), expected,
                               rtol=1e-5, atol=atol)


# ---- CTC -----------------------------------------------------------------------------------
def test_ctc_per_sample_and_reductions_match_keras():
    labels, logits = KERAS["ctc/labels"], KERAS["ctc/logits"]
    close(losses.ctc(labels, logits), KERAS["ctc/per_sample"])
    close(losses.CTC()(labels, logits), KERAS["ctc/class_default"])
    close(losses.CTC(reduction="sum")(labels, logits, KERAS["ctc/sample_weight"]),
          KERAS["ctc/class_sum_weighted"])
    assert losses.CTC().get_config() == CONFIGS["ctc/config"]


def test_ctc_is_the_negative_log_likelihood_of_the_label():
    # Two frames, classes {blank=0, 1}: label [1] is emitted by the paths 1-1, 1-blank, blank-1.
    logits = np.log(np.array([[[0.3, 0.7], [0.6, 0.4]]], "float32"))
    p = (0.7 * 0.4) + (0.7 * 0.6) + (0.3 * 0.4)
    close(losses.ctc(np.array([[1, 0]]), logits), [-math.log(p)])


def test_ctc_by_name_and_from_config():
    assert losses.get("ctc") is losses.ctc
    loss = losses.deserialize(losses.serialize(losses.CTC(name="my_ctc")))
    assert isinstance(loss, losses.CTC) and loss.name == "my_ctc"


def test_ctc_trains_a_model():
    torch.manual_seed(0)
    model = lamina.Sequential([lamina.Input((6, 3)), lamina.layers.Dense(4)])
    model.compile(optimizer=lamina.optimizers.Adam(0.05), loss=lamina.losses.CTC())
    x = np.random.default_rng(0).normal(size=(8, 6, 3)).astype("float32")
    y = np.tile(np.array([[1, 2, 0]]), (8, 1))
    history = model.fit(x, y, epochs=5, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("y_true, y_pred, message", [
    (np.zeros((2,)), np.zeros((2, 3, 4)), "y_true.shape=\\(2,\\)"),
    (np.zeros((2, 3)), np.zeros((2, 3)), "y_pred.shape=\\(2, 3\\)"),
])
def test_ctc_shape_errors_name_the_argument(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        losses.ctc(y_true, y_pred)


def test_ctc_loss_op_with_the_blank_last_matches_keras():
    loss = lamina.ops.ctc_loss(np.array([[1, 2, 0], [3, 3, 1], [0, 1, 2]]), KERAS["ctc/logits"],
                               np.array([2, 3, 3]), np.array([5, 6, 6]), mask_index=4)
    close(loss, KERAS["ctc/op_blank_last"])


# ---- Circle --------------------------------------------------------------------------------
def test_circle_function_matches_keras():
    labels, embeddings = KERAS["circle/labels"], KERAS["circle/embeddings"]
    close(losses.circle(labels, embeddings), KERAS["circle/default"], atol=1e-4)
    close(losses.circle(labels, embeddings, remove_diagonal=False),
          KERAS["circle/keep_diagonal"], atol=1e-4)
    close(losses.circle(labels, embeddings, gamma=10.0, margin=0.25),
          KERAS["circle/gamma_margin"], atol=1e-4)
    close(losses.circle(labels, embeddings, ref_labels=KERAS["circle/ref_labels"],
                        ref_embeddings=KERAS["circle/refs"]), KERAS["circle/with_refs"],
          atol=1e-4)


def test_circle_class_matches_keras_with_its_mask_and_weights():
    labels, embeddings = KERAS["circle/labels"], KERAS["circle/embeddings"]
    # The anchor of class 3 has no positive partner: its loss is 0 and it leaves the mean.
    assert KERAS["circle/default"][-1] == 0
    close(losses.Circle()(labels, embeddings), KERAS["circle/class_default"], atol=1e-4)
    close(losses.Circle(gamma=20.0)(labels[:, None], embeddings),
          KERAS["circle/class_column_labels"], atol=1e-4)
    close(losses.Circle(margin=0.3)(labels, embeddings, KERAS["circle/sample_weight"]),
          KERAS["circle/class_weighted"], atol=1e-4)
    close(losses.Circle(reduction=None)(labels, embeddings), KERAS["circle/class_none"],
          atol=1e-4)


def test_circle_config_is_keras():
    loss = losses.Circle(gamma=64.0, margin=0.25, remove_diagonal=False)
    assert loss.get_config() == CONFIGS["circle/config"]
    again = losses.Circle.from_config(loss.get_config())
    assert (again.gamma, again.margin, again.remove_diagonal) == (64.0, 0.25, False)
    assert losses.get("circle") is losses.circle
    assert isinstance(losses.get("Circle"), losses.Circle)


def test_circle_follows_its_formula():
    # Unit vectors: anchors 0 and 1 share class 5 (cosine 0.6, distance 0.4); vector 2 is of
    # class 7 (cosine 0 with anchor 0, distance 1).
    embeddings = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]], "float32")
    gamma, margin = 2.0, 0.4
    loss = losses.circle(np.array([5, 5, 7]), embeddings, gamma=gamma, margin=margin)
    positive = -gamma * (margin + 0.4) * (margin - 0.4)
    negative = gamma * (1 + margin - 1.0) * (1 - margin - 1.0)
    close(loss[0], math.log1p(math.exp(positive + negative)))
    # Without negatives the negative term is log(0) = -inf: the loss is 0.
    close(losses.circle(np.array([5, 5]), embeddings[:2], gamma=gamma, margin=margin), [0, 0])


def test_circle_gradients_are_finite_when_an_anchor_has_no_positive():
    embeddings = torch.nn.functional.normalize(torch.randn(4, 3), dim=1).requires_grad_()
    loss = losses.Circle()(np.array([0, 0, 1, 2]), embeddings)
    loss.backward()
    assert torch.isfinite(embeddings.grad).all()
