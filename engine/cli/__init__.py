"""The ``docflow`` command: parse, call the application layer, print, map errors to exit codes.

The commands live in modules by what they work on (definitions, records, reminders, reports)
and are added to the group here. This package stays cheap to import: each command imports
what it needs when it runs, so ``docflow submit`` does not pay for Jinja2 or APScheduler.
Every error a user can cause is a ``DocflowError``; it is printed (in Chinese) without a
traceback and becomes its exit status. Usage errors keep click's exit status 2 and are
worded in Chinese by ``engine.cliui``.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from engine.cli import corrections, definitions, records, reminders, reports, web
from engine.cliui import Group

__all__ = ["cli", "main"]


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    package_name="docflow",
    prog_name="docflow",
    message="%(prog)s %(version)s",
    help="显示版本并退出。",
)
def cli() -> None:
    """docflow：按工作方案的文件运行政府工作计划。"""


for _module in (definitions, records, corrections, reminders, reports, web):
    for _name in _module.__all__:
        cli.add_command(getattr(_module, _name))


def main(argv: list[str] | None = None) -> NoReturn:
    """Entry point of the ``docflow`` console script."""
    import atexit
    import gc

    # A command ends with the interpreter: the collector need not walk every object the
    # loaded programme and its libraries made (about 70 ms of a 0.4 s ``docflow submit``).
    atexit.register(gc.freeze)
    # Importing SQLAlchemy, pydantic and the schema allocates hundreds of thousands of
    # objects that live as long as the process; with the default threshold (700) the
    # collector walks them again and again while they load (about 40 ms of a submit).
    gc.set_threshold(50_000, 20, 100)
    cli.main(args=argv, prog_name="docflow")
    sys.exit(0)  # not reached: the group's main always exits
