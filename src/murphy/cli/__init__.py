"""The `murphy` command: the composition root for operators and scripts.

Every command honours MURPHY_DATABASE_URL. Expected errors print one line and exit
non-zero; they never show a traceback.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from murphy.cli import (
    admin,
    analytics,
    deliveries,
    demo,
    evidence,
    export,
    incidents,
    mqtt,
    oncall,
    report,
    retention,
    rules,
    serve,
    sla,
    sources,
    taxonomy,
    units,
    worker,
)
from murphy.cli.common import console, fail
from murphy.core.errors import MurphyError

app = typer.Typer(
    name="murphy",
    help="Murphy: incident management for security operations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
serve.register(app)
admin.register(app)
incidents.register(app)
demo.register(app)
taxonomy.register(app)
rules.register(app)
deliveries.register(app)
oncall.register(app)
sla.register(app)
worker.register(app)
sources.register(app)
mqtt.register(app)
units.register(app)
report.register(app)
export.register(app)
analytics.register(app)
evidence.register(app)
retention.register(app)


def main() -> None:
    """Entry point of the console script."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        fail("aborted")
    except typer.TyperException as exc:  # a malformed command line
        fail(_usage(exc), code=int(getattr(exc, "exit_code", 2)))
    except MurphyError as exc:
        fail(exc.detail)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "input"
        fail(f"{where}: {first.get('msg', 'invalid')}")
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        fail(
            f"cannot use the database: {reason} (check MURPHY_DATABASE_URL and that it is running)"
        )
    except (OSError, ValueError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _usage(exc: typer.TyperException) -> str:
    """One line for a command-line mistake, with where to look for help."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "murphy"
    return f"{message} (see '{path} --help')"


__all__ = ["app", "main"]
