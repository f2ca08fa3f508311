"""The `prism-cp` command line: parse options, call the library, print.

One module per command group: `run` (schedule, throughput, compare), `pareto`,
`check` (validate), `views` (plot, trace, show), `sweep`, `importing` (import,
extime); `options` holds the option types and the console, `instance` the
options the run commands and `pareto` share, `stream` the lines and fields of
streams, mixes and the steady state. Every command builds a Problem from files
(`prism_cp.io`), runs algorithms only through `solve`, and exports through
`prism_cp.io`; nothing here schedules. User errors (PrismError, bad options,
unreadable files) become one line `error: ...` on stderr with exit status 2,
Ctrl-C one line with status 130.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

import prism_cp
from prism_cp.cli.check import validate_schedule
from prism_cp.cli.importing import extime_app, import_app
from prism_cp.cli.options import PlainUsage
from prism_cp.cli.pareto import pareto
from prism_cp.cli.run import INTERRUPTED, compare, schedule, throughput
from prism_cp.cli.sweep import sweep
from prism_cp.cli.views import plot, show, trace
from prism_cp.errors import PrismError

USER_ERROR = 2  # the exit status of every one-line `error: ...`


class _OneLineErrors(TyperGroup):
    """Turns every user error into one `error: ...` line and a fixed exit status.

    Typer's default prints a multi-line usage panel for option errors and a
    traceback for exceptions raised by a command; neither is what a user of a
    scheduling tool needs to act on.
    """

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PrismError as e:
            _fail(str(e))
        except OSError as e:
            _fail(f"{e.strerror or e}: {e.filename}" if e.filename else str(e))
        except KeyboardInterrupt:
            _fail("interrupted", INTERRUPTED)

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        extra["standalone_mode"] = False
        try:
            status = super().main(args, prog_name, **extra)
        except typer.TyperException as e:  # option parsing: unknown option, bad value, missing command
            typer.echo(f"error: {' '.join(e.format_message().split())} (see --help)", err=True)
            sys.exit(USER_ERROR)
        sys.exit(status if isinstance(status, int) else 0)


def _fail(message: str, status: int = USER_ERROR) -> NoReturn:
    typer.echo(f"error: {message}" if status == USER_ERROR else message, err=True)
    raise typer.Exit(status)


def _print_version(asked: bool) -> None:
    if asked:
        print(f"prism-cp {prism_cp.__version__}")
        raise typer.Exit()


app = typer.Typer(cls=_OneLineErrors, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    """Schedule the ops of ML models on CPU+NPU SoCs: the PRISM heuristics, bit for bit,
    and a CP-SAT engine that proves how far any schedule is from optimal."""


app.command(cls=PlainUsage)(schedule)
app.command(cls=PlainUsage)(throughput)
app.command(name="validate", cls=PlainUsage)(validate_schedule)
for _command in (compare, pareto, plot, trace, show, sweep):
    app.command(cls=PlainUsage)(_command)

app.add_typer(import_app, name="import")
app.add_typer(extime_app, name="extime")
