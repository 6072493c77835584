"""Every hook is documented and tested: the contract plugin authors rely on."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from careops import hookspecs

HERE = Path(__file__).resolve()


def hooks():
    return sorted(
        name for name, fn in vars(hookspecs).items() if inspect.isfunction(fn) and hasattr(fn, "careops_spec")
    )


def test_the_hookspecs_are_found():
    assert "careops_communication_providers" in hooks() and len(hooks()) >= 8


@pytest.mark.parametrize("name", hooks())
def test_hook_is_documented(name):
    doc = inspect.getdoc(getattr(hookspecs, name))
    assert doc and len(doc) > 80, f"{name} needs a docstring"
    assert "Return" in doc, f"{name}'s docstring must say what to return"
    assert name.startswith("careops_")
    for argument in inspect.signature(getattr(hookspecs, name)).parameters:
        assert f"``{argument}``" in doc, f"{name}'s docstring must describe its argument {argument}"


@pytest.mark.parametrize("name", hooks())
def test_hook_has_a_test(name):
    """Some other test file under tests/plugins/ names the hook."""
    tests = [path for path in HERE.parent.rglob("test_*.py") if path != HERE]
    assert any(name in path.read_text() for path in tests), f"no test under tests/plugins/ uses {name}"
