"""Every command of the core, found by importing each capability's `commands` module: a new
command is picked up by the tests that must cover them all (permission matrix, properties)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import ctg_core
from ctg_core.common.command import COMMANDS


def every_command() -> dict[str, Callable[..., Any]]:
    for module in pkgutil.walk_packages(ctg_core.__path__, "ctg_core."):
        if module.name.rsplit(".", 1)[-1] == "commands":
            importlib.import_module(module.name)
    return dict(COMMANDS)
