"""lamina answers every bad input of tests/bad_inputs/cases.py with the expected exception
type and a message naming what to fix (issue 14)."""

import numpy as np
import pytest

import lamina
from tests.bad_inputs.cases import CASES, PRELUDE


def _namespace():
    return {"keras": lamina, "np": np}  # `import lamina as keras`


def _params():
    for family, code, types, words in CASES:
        yield pytest.param(family, code, types, words, id=f"{family}: {code[:60]}")


def test_the_table_covers_every_family_with_at_least_300_cases():
    families = {family for family, *_ in CASES}
    assert len(CASES) >= 300
    assert families == {"arguments", "constructors", "callbacks", "data", "model", "names",
                        "shapes", "dtypes", "files"}
    assert len({code for _, code, *_ in CASES}) == len(CASES)  # no case twice


@pytest.mark.parametrize("family, code, types, words", list(_params()))
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


@pytest.mark.parametrize("unsafe", __import__("tests.bad_inputs.cases", fromlist=["x"]).UNSAFE_CONFIGS,
                         ids=lambda c: f"{c['module']}.{c['class_name']}")
@pytest.mark.parametrize("where", ["model", "activation"])
def test_configs_naming_dangerous_functions_are_refused_for_safety(unsafe, where, tmp_path):
    """In a .keras file, as the model or nested as a layer's activation: refused, the message
    says it was for safety and that safe_mode=False would not change it; nothing runs."""
    import json
    import zipfile

    model = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(2)])
    model.save(tmp_path / "good.keras")
    with zipfile.ZipFile(tmp_path / "good.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    if where == "model":
        config = unsafe
    else:
        config["config"]["layers"][-1]["config"]["activation"] = unsafe
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "bad.keras", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    # As the whole model, an entry whose `config` is not a dict is refused even earlier, as a
    # config.json that does not describe a model; either way nothing in it runs.
    refused = "refused for safety.*safe_mode=False"
    if where == "model" and not isinstance(unsafe["config"], dict):
        refused += "|does not describe a model"
    for safe_mode in (True, False):
        with pytest.raises(ValueError, match=refused):
            lamina.models.load_model(tmp_path / "bad.keras", safe_mode=safe_mode)


def test_a_pickle_given_to_load_weights_is_refused_with_a_value_error(tmp_path):
    import pickle

    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))

    model = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(2)])
    with open(tmp_path / "w.pt", "wb") as f:
        pickle.dump({"0.kernel": Payload()}, f)
    with pytest.raises(ValueError, match="refused for.*safety"):
        model.load_weights(tmp_path / "w.pt")
    import torch

    torch.save([torch.ones(2)], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="not a state_dict"):
        model.load_weights(tmp_path / "list.pt")
