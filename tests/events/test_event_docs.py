"""docs/events.md is the catalogue generated from careops/event_types.py, and must be current."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from careops import event_types

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_event_catalogue_is_up_to_date():
    assert event_types.DOC_PATH == DOCS / "events.md"
    assert DOCS.joinpath("events.md").read_text(encoding="utf-8") == event_types.render_catalogue(), (
        "docs/events.md is out of date: run `python -m careops.event_types`"
    )


def test_the_catalogue_names_every_event_and_field():
    text = event_types.render_catalogue()
    for name, cls in event_types.EVENT_CLASSES.items():
        assert f"## `{name}`" in text and cls.__name__ in text
        for f in dataclasses.fields(cls):
            assert f"| `{f.name}` |" in text and f.metadata["doc"] in text


def test_the_generator_rewrites_a_stale_catalogue_and_check_reports_it(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "events.md"
    stale.write_text("# Domain events\n\nsomething old\n", encoding="utf-8")
    monkeypatch.setattr(event_types, "DOC_PATH", stale)
    assert event_types.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert stale.read_text(encoding="utf-8") == "# Domain events\n\nsomething old\n"  # --check writes nothing
    assert event_types.main([]) == 0
    assert stale.read_text(encoding="utf-8") == event_types.render_catalogue()
    assert event_types.main(["--check"]) == 0


def test_the_plugin_guide_links_the_catalogue():
    guide = DOCS.joinpath("plugins.md").read_text(encoding="utf-8")
    assert "](events.md)" in guide
