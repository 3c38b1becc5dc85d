"""Loading the reference numbers that fixtures/make_fixtures.py computed with real Keras."""

import json
import pathlib

import torch

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def load(name):
    with open(FIXTURES / name) as f:
        return json.load(f)


def make_variables(problem):
    """The problem's two variables as Parameters named like the Keras variables."""
    variables = []
    for values, like, name in zip(problem["init"], ([[0.0] * 2] * 3, [0.0] * 2),
                                  problem["variable_names"]):
        shape = torch.tensor(like).shape
        parameter = torch.nn.Parameter(torch.tensor(values, dtype=torch.float32).reshape(shape))
        parameter.path = name
        variables.append(parameter)
    return variables


def step_gradients(problem, step, variables):
    return [
        torch.tensor(values, dtype=torch.float32).reshape(v.shape)
        for values, v in zip(problem["grads"][step], variables)
    ]
