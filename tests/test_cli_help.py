"""The command line's help: every option explained, plain text (issue 16, item 5)."""

import click
import pytest
from click.testing import CliRunner

from cevns.cli import main


def _commands(cmd=main, path=("cevns",)):
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands())


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_option_has_help_and_the_text_is_plain(path, cmd):
    missing = [p.opts[0] for p in cmd.params if isinstance(p, click.Option) and not p.help]
    assert missing == [], f"{' '.join(path)}: options without help {missing}"
    out = CliRunner().invoke(main, [*path[1:], "--help"]).output
    for rst in ("``", ":class:", ":func:", ":data:", ":mod:"):
        assert rst not in out, f"{' '.join(path)} --help contains {rst!r}"


def test_reproduce_help_lists_every_analysis():
    from cevns.reproduce.runner import ANALYSES

    out = CliRunner().invoke(main, ["reproduce", "--help"]).output
    for name in ANALYSES:
        assert name in out
