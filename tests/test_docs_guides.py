"""Every ```python block of docs/guides/*.md runs.

The blocks of one guide run in order in one namespace, like the cells of a notebook, in a
temporary working directory (guides save files). A block whose info string says `no-run`
(```python no-run) is shown but not run: kept for downloads and for code that needs hardware.
Tracebacks point at the guide's own lines: each block is compiled under the guide's path with
its real line numbers. The guides leave global state as they found it (the dtype policy, the
`keras` alias); this file restores it anyway so one failing guide cannot break the next.
"""

import pathlib
import re
import traceback
import warnings

import pytest
import torch

import lamina as keras
from lamina.testing import keras_alias

GUIDES = pathlib.Path(__file__).resolve().parent.parent / "docs" / "guides"
FENCE = re.compile(r"^([ \t]*)```(\S*)[ \t]*(.*)$")


def code_blocks(path):
    """[(first line number, info words, code)] for each fenced block of the file, in order.
    A block indented under a list item is dedented by its fence's indentation."""
    blocks, lines = [], path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        indent, language, info = match.group(1), match.group(2), match.group(3).split()
        start = index = index + 1
        while index < len(lines) and lines[index].strip() != "```":
            index += 1
        if index == len(lines):
            raise AssertionError(f"{path.name}: the block opened at line {start} is never closed")
        if language == "python":
            body = [line[len(indent):] if line.startswith(indent) else line.lstrip()
                    for line in lines[start:index]]
            blocks.append((start + 1, info, "\n".join(body)))
        index += 1
    return blocks


def guide_files():
    return sorted(path for path in GUIDES.glob("*.md") if path.name != "README.md")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The guides' models are tiny: one thread is as fast, and on a shared machine it avoids
    the thread contention that makes small steps many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def clean_globals():
    alias_was_installed = keras_alias.is_installed()
    yield
    keras.mixed_precision.set_global_policy("float32")
    keras.config.set_floatx("float32")
    if not alias_was_installed:
        keras_alias.uninstall()


@pytest.mark.parametrize("path", guide_files(), ids=lambda path: path.stem)
def test_guide_code_runs(path, tmp_path, monkeypatch, clean_globals):
    monkeypatch.chdir(tmp_path)
    blocks = code_blocks(path)
    assert blocks, f"{path.name} has no ```python block"
    namespace = {"__name__": f"guide_{path.stem}"}
    for number, (line, info, code) in enumerate(blocks, start=1):
        if "no-run" in info:
            continue
        # Leading newlines put the block's first line at its line number in the guide.
        compiled = compile("\n" * (line - 1) + code, str(path), "exec")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a guide must not teach code that warns
                exec(compiled, namespace)
        except Exception:
            pytest.fail(f"{path.name}, block {number} (line {line}) failed:\n"
                        f"{traceback.format_exc()}", pytrace=False)


def test_every_guide_is_in_the_index():
    index = (GUIDES / "README.md").read_text(encoding="utf-8")
    missing = [path.name for path in guide_files() if f"({path.name})" not in index]
    assert not missing, f"docs/guides/README.md does not link {missing}"


def test_blocks_are_marked_only_with_known_words():
    for path in guide_files():
        for line, info, _ in code_blocks(path):
            assert set(info) <= {"no-run"}, f"{path.name} line {line}: unknown marker {info}"
