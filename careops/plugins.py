"""The plugin manager: the core's default plugins, then every ``careops`` entry point.

Default plugins are registered first and by module (datasette's pattern), so
the core works even when it is not pip-installed; third-party plugins come
from the entry point group ``careops``. ``check_pending()`` at start-up refuses
a plugin that implements a hook that does not exist (usually a typo).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
from collections.abc import Iterable
from typing import Any

import pluggy

from careops import hookspecs

DEFAULT_PLUGINS = (
    "careops.default_plugins.console",
    "careops.default_plugins.basic_forms",
    "careops.default_plugins.moving_average",
    "careops.default_plugins.calendar_aware",
    "careops.default_plugins.core_tasks",
)

_manager: pluggy.PluginManager | None = None
#: id(plugin) → its distribution, for ``describe`` (name and version as pip knows them).
_DISTRIBUTIONS: dict[int, importlib.metadata.Distribution] = {}
log = logging.getLogger(__name__)


def build_manager(load_entrypoints: bool = True, disabled: Iterable[str] = ()) -> pluggy.PluginManager:
    """The core's defaults, then every entry point plugin that loads; ``disabled`` names plugins to leave out.

    A plugin that fails to import, or implements a hook that does not exist,
    is logged with its name and left out: one broken package must not take
    the app and its CLI down (``flask careops plugins`` is how you find it).
    """
    disabled = {name.strip() for name in disabled if name.strip()}
    pm = pluggy.PluginManager("careops")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        if name not in disabled:
            pm.register(importlib.import_module(name), name=name)
    if load_entrypoints:
        _load_entrypoints(pm, disabled)
    while True:
        try:
            pm.check_pending()
            break
        except pluggy.PluginValidationError as error:
            log.error("plugin %s skipped: %s", pm.get_name(error.plugin), error)
            pm.unregister(error.plugin)
    return pm


def _load_entrypoints(pm: pluggy.PluginManager, disabled: set[str]) -> None:
    for entry_point in importlib.metadata.entry_points(group="careops"):
        distribution = entry_point.dist.name if entry_point.dist else None
        if entry_point.name in disabled or distribution in disabled:
            log.info("plugin %s disabled by CAREOPS_DISABLED_PLUGINS", entry_point.name)
            continue
        if pm.get_plugin(entry_point.name) is not None or pm.is_blocked(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
            pm.register(plugin, name=entry_point.name)
        except Exception:  # noqa: BLE001 - whatever a third party's import raises, the app starts
            log.exception("plugin %s (%s) failed to load and is skipped", entry_point.name, distribution or "?")
            continue
        if entry_point.dist is not None:  # None: described as part of careops, like the defaults
            _DISTRIBUTIONS[id(plugin)] = entry_point.dist


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
    # pluggy's DistFacade (setuptools entry points) or importlib's Distribution (ours): both have .version.
    dists: dict[int, Any] = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    dists.update({key: dist for key, dist in _DISTRIBUTIONS.items() if key not in dists})
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
