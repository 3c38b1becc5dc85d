"""Loads the Keras reference cases written by fixtures/make_fixtures.py."""

import pathlib

from lamina.testing.packed_fixtures import load_packed_cases


def load_cases(stem):
    return load_packed_cases(pathlib.Path(__file__).parent / "fixtures", stem)
