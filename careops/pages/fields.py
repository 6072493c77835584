"""Posted form fields → the values the services validate (contact form and customer forms).

A browser posts strings: an unchecked box sends nothing, a multi-select sends
one value per choice, an empty input sends "". This is the only translation
done here; the field rules stay in the services.
"""

from __future__ import annotations


def posted_values(fields: list[dict], form) -> dict:
    values = {}
    for spec in fields:
        key, kind = spec["key"], spec.get("type", "text")
        if kind == "checkbox":
            if form.get(key):
                values[key] = True
        elif kind == "multiselect":
            chosen = [v for v in form.getlist(key) if v.strip()]
            if chosen:
                values[key] = chosen
        elif form.get(key, "").strip():
            values[key] = form[key].strip()
    return values


def field_errors(messages) -> dict:
    """``{field: [message, …]}`` whatever shape a schema produced (nested lists are flattened)."""
    out = {}
    for key, value in (messages or {}).items():
        if isinstance(value, dict):
            value = [m for msgs in value.values() for m in (msgs if isinstance(msgs, list) else [msgs])]
        out[str(key)] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return out
