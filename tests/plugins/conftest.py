"""A throwaway plugin distribution, written into a temporary folder put on ``sys.path``.

It is what ``pip install`` leaves behind — a module and a ``<name>.dist-info``
folder with ``METADATA`` and ``entry_points.txt`` naming group ``careops`` —
so ``importlib.metadata`` (and pluggy's entry point loading) finds it exactly
as it finds an installed plugin.
"""

from __future__ import annotations

import sys
import textwrap
import uuid
from pathlib import Path

import pytest


def write_distribution(root: Path, project: str, version: str, module: str, source: str) -> None:
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    dist_info = root / f"{project.replace('-', '_')}-{version}.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n")
    (dist_info / "entry_points.txt").write_text(f"[careops]\n{module} = {module}\n")


@pytest.fixture
def install_plugin(tmp_path, monkeypatch):
    """``install_plugin(source, version="1.2.3")`` → ``(project name, module name)``, importable and discoverable."""
    modules = []

    def install(source: str, version: str = "1.2.3") -> tuple[str, str]:
        token = uuid.uuid4().hex[:8]
        project, module = f"careops-throwaway-{token}", f"careops_throwaway_{token}"
        root = tmp_path / token
        root.mkdir()
        write_distribution(root, project, version, module, source)
        monkeypatch.syspath_prepend(str(root))
        modules.append(module)
        return project, module

    yield install
    for module in modules:
        sys.modules.pop(module, None)
