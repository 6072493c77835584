"""The forms side of the demo workspace: a form pack imported, its intake form sent after a first consultation.

The clinic pack when its plugin is installed (``make run`` installs it), else
the core's basic pack. Registered with :func:`careops.demo.demo_step`, after
the booking side has made the services.
"""

from __future__ import annotations

from careops.demo import demo_step


@demo_step
def forms_demo(workspace_id: str) -> None:
    from careops.forms import templates
    from careops.services.service import find_by_name

    available = {p["key"] for p in templates.packs()}
    pack = "clinic" if "clinic" in available else "basic"
    if pack not in available:
        return
    imported = templates.import_pack(workspace_id, pack)
    first_visit = find_by_name(workspace_id, "Initial consultation")
    if imported and first_visit is not None:
        templates.update(workspace_id, imported[0]["id"], {"service_ids": [first_visit.id]})
