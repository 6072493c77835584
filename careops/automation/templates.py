"""The template language of automation rules: ``{placeholder}`` and nothing else.

Deliberately not ``str.format``: a template is written by a user, and format
strings reach attributes and items (``{contact.__class__}``). Here a
placeholder is a bare lower-case name, replaced by a plain string; ``{{`` and
``}}`` write literal braces; any other ``{…}`` is an error when the template
is saved.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def placeholders(template: str) -> list[str]:
    """Every ``{…}`` in ``template``, in order, without the braces (escapes excluded)."""
    return [m.group(1) for m in _TOKEN.finditer(template) if m.group(1) is not None]


def unknown_placeholders(template: str, allowed) -> list[str]:
    return list(dict.fromkeys(p for p in placeholders(template) if not _NAME.match(p) or p not in allowed))


def render(template: str, values: dict) -> str:
    def replace(match):
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        return str(values[name]) if name in values and values[name] is not None else ""

    return _TOKEN.sub(replace, template)
