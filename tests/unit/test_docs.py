"""The docs match the code: every setting and every command is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from murphy.cli import app
from murphy.settings import Settings

DOCS = Path(__file__).parents[2] / "docs"


def command_paths(group: Any, prefix: str = "murphy") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if getattr(command, "commands", None):
            if command.invoke_without_command:
                paths.append(path)
            paths += command_paths(command, path)
        else:
            paths.append(path)
    return paths


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [n for n in Settings.model_fields if f"`MURPHY_{n.upper()}`" not in text]
    assert missing == []


def test_every_setting_has_a_description() -> None:
    assert all(f.description for f in Settings.model_fields.values())


def test_every_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    root = typer.main.get_command(app)
    paths = command_paths(root)
    assert "murphy audit verify" in paths and "murphy report" in paths
    missing = [p for p in paths if f"`{p}" not in text]
    assert missing == []


def test_readme_starts_with_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert "make run" in first_block and "make test" in first_block
