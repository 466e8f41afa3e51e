"""The notify domain's built-in plugin (hook implementations; see murphy.plugins.hookspecs)."""

from __future__ import annotations
