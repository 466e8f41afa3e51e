"""Plugins: the hook specifications, and `install(db)`, which registers the built-in
plugins (and any installed package's, through the `murphy` entry point group)."""

from __future__ import annotations

import pluggy

from murphy.core import hooks
from murphy.core.db import Database
from murphy.plugins import hookspecs

BUILTIN = (
    "murphy.incidents.plugin",
    "murphy.sla.plugin",
    "murphy.playbooks.plugin",
    "murphy.notify.plugin",
    "murphy.units.plugin",
    "murphy.problems.plugin",
    "murphy.reviews.plugin",
    "murphy.analytics.plugin",
    "murphy.retention.plugin",
)


def make_manager() -> pluggy.PluginManager:
    """A plugin manager with Murphy's hooks, its built-in plugins and installed ones."""
    import importlib

    pm = pluggy.PluginManager(hooks.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN:
        pm.register(importlib.import_module(name), name=name)
    pm.load_setuptools_entrypoints(hooks.PROJECT)
    return pm


def install(db: Database) -> pluggy.PluginManager:
    """Give every session of `db` the plugin manager."""
    pm = make_manager()
    hooks.attach(db, pm)
    return pm
