"""The ``twin`` command line: validate, run, compare, sweep, schema, calibrate.

Exit codes: 0 success, 1 a replication failed, 2 a mistake in the input.
"""

from __future__ import annotations

from typing import Annotated

import typer

from twin.cli import calibrate, experiments, single
from twin.version import twin_version

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="twin: a digital twin of community grid dispatch.")
app.command()(single.validate)
app.command()(single.run)
app.command()(experiments.compare)
app.command()(experiments.sweep)
app.command()(single.schema)
app.command()(calibrate.calibrate)


def _show_version(value: bool) -> None:
    if value:
        print(f"twin {twin_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Show twin's version and exit.")] = False,
) -> None:
    """twin: a digital twin of community grid dispatch."""


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
