"""Progbar: Keras's exact rendering (recorded from Keras 3), and the display chosen per stream."""

import importlib.util
import io
import json
import os
import re
import sys
import types

import pytest
import torch

from lamina.utils import progbar as progbar_module
from lamina.utils.progbar import Progbar

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
_spec = importlib.util.spec_from_file_location("utils_fixture_cases", os.path.join(HERE, "make_fixtures.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)
with open(os.path.join(HERE, "keras_utils.json"), encoding="utf-8") as f:
    KERAS_OUTPUT = json.load(f)["progbar"]

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run(scenario, stream, monkeypatch, as_tensors=False):
    clock = iter([scenario["start"]] + [u[0] for u in scenario["updates"]])
    monkeypatch.setattr(progbar_module, "_clock", lambda: next(clock))
    bar = Progbar(**scenario["args"], stream=stream)
    for _, current, values, finalize in scenario["updates"]:
        if as_tensors:
            values = [(name, torch.tensor(value, dtype=torch.float64)) for name, value in values]
        bar.update(current, [tuple(v) for v in values], finalize=finalize)
    return stream.getvalue() if stream is not None else None


@pytest.fixture(autouse=True)
def colour_allowed(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.mark.parametrize("name", sorted(cases.SCENARIOS))
def test_terminal_output_matches_keras_without_backspaces(name, monkeypatch):
    # Keras writes "\b" * width before each "\r"; a carriage return alone redraws the same line.
    expected = KERAS_OUTPUT[name].replace("\b", "")
    assert run(cases.SCENARIOS[name], Terminal(), monkeypatch) == expected


@pytest.mark.parametrize("name", sorted(cases.SCENARIOS))
def test_file_output_ends_with_the_final_line_in_plain_text(name, monkeypatch):
    keras_final = KERAS_OUTPUT[name].split("\r")[-1]
    expected = ANSI.sub("", keras_final).replace("\b", "").rstrip(" \n") + "\n"
    written = run(cases.SCENARIOS[name], io.StringIO(), monkeypatch)
    assert written.splitlines(keepends=True)[-1] == expected  # earlier lines: every 15 s
    assert not re.search(r"[\b\r\x1b]", written)


def test_file_output_exact_line(monkeypatch):
    written = run(cases.SCENARIOS["three_steps"], io.StringIO(), monkeypatch)
    assert written == "3/3 ━━━━━━━━━━━━━━━━━━━━ 0s 4ms/step - accuracy: 0.5000 - loss: 0.7227\n"


def test_tensor_values_render_like_floats(monkeypatch):
    expected = KERAS_OUTPUT["long_epoch_eta_formats"].replace("\b", "")
    scenario = cases.SCENARIOS["long_epoch_eta_formats"]
    assert run(scenario, Terminal(), monkeypatch, as_tensors=True) == expected


def test_verbose_2_writes_the_keras_summary_line_once(monkeypatch):
    written = run(cases.SCENARIOS["verbose_2"], Terminal(), monkeypatch)
    assert written == "3/3 - 0s - 3ms/step - accuracy: 0.5000 - loss: 0.7227 - val_loss: 1.0000e-04\n"


def test_verbose_0_writes_nothing(monkeypatch):
    scenario = dict(cases.SCENARIOS["three_steps"], args={"target": 3, "verbose": 0})
    assert run(scenario, Terminal(), monkeypatch) == ""


def test_no_color_environment_variable(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    written = run(cases.SCENARIOS["three_steps"], Terminal(), monkeypatch)
    assert "\r" in written and "\x1b" not in written


def test_ascii_stream_gets_an_ascii_bar(monkeypatch):
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    clock = iter([0.0, 1.0])
    monkeypatch.setattr(progbar_module, "_clock", lambda: next(clock))
    Progbar(2, stream=stream).update(2)
    stream.seek(0)
    assert stream.read() == "2/2 ==================== 1s 500ms/step\n"


def test_default_stream_is_sys_stdout_at_write_time(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    clock = iter([0.0, 0.5])
    monkeypatch.setattr(progbar_module, "_clock", lambda: next(clock))
    bar = Progbar(1)
    bar.update(1, [("loss", 0.25)])
    assert capsys.readouterr().out == "1/1 ━━━━━━━━━━━━━━━━━━━━ 0s 500ms/step - loss: 0.2500\n"


class FakeHandle:
    def __init__(self, data):
        self.shown = [data["text/plain"]]

    def update(self, data, raw=False):
        self.shown.append(data["text/plain"])


def test_notebook_updates_one_display_in_place(monkeypatch, capsys):
    handles = []

    def display(data, raw=False, display_id=False):
        handles.append(FakeHandle(data))
        return handles[-1]

    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "IPython", types.ModuleType("IPython"))
    fake_display = types.ModuleType("IPython.display")
    fake_display.display = display
    monkeypatch.setitem(sys.modules, "IPython.display", fake_display)
    run(cases.SCENARIOS["three_steps"], None, monkeypatch)
    assert capsys.readouterr().out == ""
    assert len(handles) == 1
    assert handles[0].shown[-1] == (
        "3/3 ━━━━━━━━━━━━━━━━━━━━ 0s 4ms/step - accuracy: 0.5000 - loss: 0.7227"
    )
    assert len(handles[0].shown) == 2 and "\x1b" not in handles[0].shown[0]


def test_notebook_without_ipython_redraws_without_colour(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.setitem(sys.modules, "IPython", None)  # makes `import IPython` fail
    run(cases.SCENARIOS["three_steps"], None, monkeypatch)
    out = capsys.readouterr().out
    assert out.count("\r") == 2 and "\x1b" not in out
    assert out.endswith("loss: 0.7227  \n")  # padded over the longer previous line


def test_add_advances_from_the_last_step(monkeypatch):
    clock = iter([0.0, 1.0, 2.0])
    monkeypatch.setattr(progbar_module, "_clock", lambda: next(clock))
    stream = io.StringIO()
    bar = Progbar(4, stream=stream, verbose=2)
    bar.add(2, [("loss", 1.0)])
    bar.add(2, [("loss", 3.0)])
    # stateless values at finalize are shown as given (Keras passes epoch-level results there)
    assert stream.getvalue() == "4/4 - 2s - 500ms/step - loss: 3.0000\n"


def test_average_weights_values_by_steps(monkeypatch):
    clock = iter([0.0, 1.0, 2.0, 3.0])
    monkeypatch.setattr(progbar_module, "_clock", lambda: next(clock))
    stream = Terminal()
    bar = Progbar(10, stream=stream)
    bar.update(1, [("loss", 4.0)])
    bar.update(4, [("loss", 1.0)])  # 3 steps at 1.0, 1 at 4.0 -> 1.75
    assert stream.getvalue().endswith("loss: 1.7500")


def test_stateful_and_stateless_metrics_are_exclusive():
    with pytest.raises(ValueError, match="not both"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_file_output_writes_a_plain_line_every_interval_so_long_epochs_do_not_look_hung(
        monkeypatch):
    times = iter([0.0, 1.0, 10.0, 16.0, 20.0, 32.0, 40.0])
    monkeypatch.setattr(progbar_module, "_clock", lambda: next(times))
    stream = io.StringIO()
    bar = Progbar(100, stream=stream)
    for step in (1, 10, 16, 20, 32):  # at t = 1, 10, 16, 20, 32 s
        bar.update(step, [("loss", 1.0)])
    bar.update(100, [("loss", 0.5)], finalize=True)  # t = 40
    lines = stream.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["16/100", "32/100", "100/100"]
    assert not re.search(r"[\b\r\x1b]", stream.getvalue())
