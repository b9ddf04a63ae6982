"""The ``twin`` command line: validate, run, compare, sweep, schema.

Exit codes: 0 success, 1 a replication failed, 2 a mistake in the input.
"""

from __future__ import annotations

import typer

from twin.cli import calibrate, experiments, single

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="twin: a digital twin of community grid dispatch.")
app.command()(single.validate)
app.command()(single.run)
app.command()(experiments.compare)
app.command()(experiments.sweep)
app.command()(single.schema)
app.command()(calibrate.calibrate)


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
