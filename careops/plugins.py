"""The plugin manager: the core's default plugins, then every ``careops`` entry point.

Default plugins are registered first and by module (datasette's pattern), so
the core works even when it is not pip-installed; third-party plugins come
from the entry point group ``careops``. ``check_pending()`` at start-up refuses
a plugin that implements a hook that does not exist (usually a typo).
"""
from __future__ import annotations

import importlib
import importlib.metadata

import pluggy

from careops import hookspecs

DEFAULT_PLUGINS = (
    "careops.default_plugins.console",
    "careops.default_plugins.basic_forms",
    "careops.default_plugins.moving_average",
    "careops.default_plugins.core_tasks",
)

_manager: pluggy.PluginManager | None = None


def build_manager(load_entrypoints: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("careops")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if load_entrypoints:
        pm.load_setuptools_entrypoints("careops")
    pm.check_pending()
    return pm


def get_manager() -> pluggy.PluginManager:
    global _manager
    if _manager is None:
        _manager = build_manager()
    return _manager


def set_manager(pm: pluggy.PluginManager) -> None:
    global _manager
    _manager = pm


def hook():
    return get_manager().hook


def collect(results) -> list:
    """Flatten the per-plugin answers of a list-returning hook."""
    items = []
    for answer in results or []:
        if answer:
            items.extend(answer)
    return items


def describe(pm: pluggy.PluginManager | None = None) -> list[dict]:
    """``[{name, version, hooks}]`` for every loaded plugin, defaults included."""
    pm = pm or get_manager()
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    described = []
    for plugin in pm.get_plugins():
        name = pm.get_name(plugin)
        dist = dists.get(id(plugin))
        if dist is not None:
            version = dist.version
            name = dist.project_name if hasattr(dist, "project_name") else dist.metadata["name"]
        else:
            try:
                version = importlib.metadata.version("careops")
            except importlib.metadata.PackageNotFoundError:
                version = None
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        described.append({"name": name, "version": version, "hooks": hooks})
    return sorted(described, key=lambda p: p["name"])
