"""README.md is true: every `make` target and `coach` command it shows exists, and every link it
makes stays inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def _code() -> list[str]:
    """What the README shows as code: fenced blocks and inline spans, line by line."""
    fenced = re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.S)
    prose = re.sub(r"```[a-z]*\n.*?```", "", README, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", prose)
    return [line for block in fenced for line in block.splitlines()] + inline


def _commands(word: str) -> set[tuple[str, ...]]:
    """Each `<word> <name> [<sub>]` shown, as the words after it."""
    found = set()
    pattern = re.compile(
        rf"(?:^|[\s;&|(]|\.venv/bin/|\$\(BIN\)/){word} ([a-z][a-z0-9-]*)(?: ([a-z][a-z0-9-]*))?"
    )
    for line in _code():
        for match in pattern.finditer(line):
            found.add(tuple(part for part in match.groups() if part))
    return found


def test_every_make_target_shown_exists() -> None:
    makefile = (REPO / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    shown = {words[0] for words in _commands("make")}
    assert shown, "the README shows no make target"
    assert shown - targets == set()


def test_every_coach_command_shown_exists() -> None:
    from coaching import cli

    cli._register_plugins()
    commands = {c.name or c.callback.__name__ for c in cli.app.registered_commands}
    groups = {g.name: g.typer_instance for g in cli.app.registered_groups}
    shown = _commands("coach")
    assert {("build",), ("orgs",)} <= {words[:1] for words in shown}
    for words in shown:
        name = words[0]
        if name in groups:
            subcommands = {
                c.name or c.callback.__name__.removeprefix(f"{name}_")
                for c in groups[name].registered_commands
            }
            assert len(words) == 1 or words[1] in subcommands, words
        else:
            assert name in commands, f"README shows `coach {name}`, which does not exist"


def test_links_stay_inside_the_repository() -> None:
    for target in re.findall(r"\]\(([^)#\s]+)", README):
        if "://" in target:
            continue
        path = (REPO / target).resolve()
        assert path.is_relative_to(REPO), f"{target} is outside the repository"
        assert path.exists(), f"{target} does not exist"
