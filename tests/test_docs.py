"""Documentation stays in step with the code."""

from __future__ import annotations

from metareview.data.standard import COLUMNS, DATA_GROUPS
from tests.conftest import REPO


def test_every_standard_column_and_group_is_documented():
    text = (REPO / "docs" / "data-standard.md").read_text()
    missing = [
        name for name in [*COLUMNS, *(g.name for g in DATA_GROUPS)] if f"`{name}`" not in text
    ]
    assert not missing, f"document these in docs/data-standard.md: {missing}"


def _commands(group, prefix="metareview"):
    import click

    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


def test_every_cli_command_and_option_is_documented():
    from metareview.cli import cli

    text = (REPO / "docs" / "cli.md").read_text()
    sections = {}
    for block in text.split("\n## ")[1:]:
        heading, _, body = block.partition("\n")
        sections[heading.strip()] = body
    missing = []
    for path, command in _commands(cli):
        body = sections.get(path)
        if body is None:
            missing.append(f"section '## {path}'")
            continue
        for param in command.params:
            names = [opt for opt in getattr(param, "opts", []) if opt.startswith("--")]
            if names and not any(name in body for name in names) and param.name != "help":
                missing.append(f"{path} {names[0]}")
    assert not missing, f"document in docs/cli.md: {missing}"
