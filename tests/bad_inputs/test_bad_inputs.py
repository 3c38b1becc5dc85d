"""lamina answers every bad input of tests/bad_inputs/cases.py with the expected exception
type and a message naming what to fix (issue 14)."""

import numpy as np
import pytest

import lamina
from tests.bad_inputs.cases import CASES, PRELUDE


def _namespace():
    return {"keras": lamina, "np": np}  # `import lamina as keras`


@pytest.mark.parametrize("family, code, types, words", CASES,
                         ids=[f"{c[0]}: {c[1][:60]}" for c in CASES])
def test_bad_input_is_refused_with_a_message_naming_the_fix(family, code, types, words, tmp_path,
                                                           monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = _namespace()
    exec(PRELUDE, namespace)
    with pytest.raises(Exception) as caught:
        exec(code, namespace)
    kinds = {cls.__name__ for cls in type(caught.value).__mro__}  # subclasses count
    assert kinds & set(types), f"{type(caught.value).__name__}: {caught.value}"
    message = str(caught.value)
    missing = [word for word in words if word not in message]
    assert not missing, f"message does not name {missing}: {message}"
