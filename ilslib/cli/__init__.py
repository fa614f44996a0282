"""The ``ils`` command. Each subcommand lives in its own module here and only
gathers options and calls the library; errors a user can cause are printed as
one line, ``ils: error: ...``, with a non-zero exit and no traceback."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import textwrap
from typing import TYPE_CHECKING, NoReturn

from .. import __version__
from ..config import redact
from ..errors import IlsError

if TYPE_CHECKING:  # the warehouse module is imported only by the commands that connect
    from ..periods import Period
    from ..warehouse import Tracer, Warehouse

# Subcommand name -> module (each module has ``register(subparsers)``).
COMMANDS = {
    "init": "ilslib.cli.init",
    "info": "ilslib.cli.info",
    "demo": "ilslib.cli.demo",
    "run": "ilslib.cli.run",
    "serve": "ilslib.cli.serve",
    "load": "ilslib.cli.load",
    "check": "ilslib.cli.check",
    "new-study": "ilslib.cli.new_study",
    "book": "ilslib.cli.book",
    # The reporting round (docs/round.md).
    "template": "ilslib.cli.template",
    "ready": "ilslib.cli.ready",
    "approve": "ilslib.cli.approve",
    "status": "ilslib.cli.status",
    "log": "ilslib.cli.log",
    "remind": "ilslib.cli.remind",
    # Who may do what in the database, and publication (docs/access.md, docs/publish.md).
    "access": "ilslib.cli.access",
    "publish": "ilslib.cli.publish",
}

EPILOG = textwrap.dedent(
    """\
    The warehouse is --warehouse URL, else $ILS_WAREHOUSE, else 'warehouse' in
    ~/.config/ils/config.toml, else the embedded demo warehouse. A password goes
    in $ILS_WAREHOUSE_PASSWORD (never on the command line).

    examples:
      ils demo                      build the embedded demo warehouse
      ils info                      what is in the warehouse
      ils init --warehouse 'odbc:DSN=lis'
      ils <command> --help          help and examples for one command
    """
)


class _Parser(argparse.ArgumentParser):
    """argparse, with errors as one line naming the parameter, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def add_warehouse_option(parser: argparse.ArgumentParser) -> None:
    """The ``--warehouse URL`` option, shared by every command that reads the warehouse."""
    parser.add_argument(
        "--warehouse",
        metavar="URL",
        help="sqlite:///PATH or odbc:CONNECTION-STRING (default: $ILS_WAREHOUSE, the config file, "
        "or the embedded demo warehouse)",
    )


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``ils`` argument parser: with every command, or with the command ``only``.

    One command's parser imports only that command's module: ``ils run`` then does not import
    pandas through the loader's and the demo's modules (a third of a second, all of an
    unchanged run's time). ``ils --help`` and an unknown command get every command.
    """
    parser = _Parser(
        prog="ils",
        description="Goal follow-up and management information: warehouse, figures and reports.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ils {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more (every SQL statement with -v -v)")
    parser.add_argument("--trace-sql", action="store_true", help="print each SQL statement and its parameters")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module in COMMANDS.items():
        if only is None or name == only:
            importlib.import_module(module).register(sub)
    # The global options work after the command too (ils check --trace-sql); SUPPRESS keeps
    # the value given before the command when they are not repeated after it.
    for command in sub.choices.values():
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")
        command.add_argument(
            "--trace-sql",
            action="store_true",
            default=argparse.SUPPRESS,
            help="print each SQL statement and its parameters",
        )
    return parser


def _start_server_early(argv: list[str]) -> bool:
    """For ``ils run`` (not on Dask, not --help): start the fork server now; True if this call started it.

    Its warm-up (a second and more of CPU) then runs on the second core while this process imports pandas and
    the commands (about half a second), checks the options, opens the warehouse and plans: the first report
    waits that much less. ``ils run`` stops it again when it ends before a report ran (:mod:`ilslib.cli.run`).
    """
    words = [a for a in argv if not a.startswith("-")]
    if not words or words[0] != "run" or {"-h", "--help", "--version"} & set(argv):
        return False
    if "dask" in argv and any(a == "--executor" or a.startswith("--executor=") for a in argv):
        return False
    from ..runner.server import formats_in_argv, start_server

    return start_server(formats_in_argv(argv[argv.index("run") + 1 :]))


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ils`` command."""
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    started = _start_server_early(argv)
    try:
        words = [a for a in argv if not a.startswith("-")]
        parser = build_parser(words[0] if words and words[0] in COMMANDS else None)
        args = parser.parse_args(argv)
    except BaseException:  # --help, a mistake in the options (exit 2), Ctrl-C: the server is not wanted
        if started:
            from ..runner.server import stop_server

            stop_server()
        raise
    args.server_started = started
    if not args.command:
        parser.print_help()
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except IlsError as exc:
        print(f"ils: error: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ils: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def tracer_for(args: argparse.Namespace) -> Tracer | None:
    """The SQL tracer asked for on the command line, if any."""
    if getattr(args, "trace_sql", False):
        from ..warehouse import trace_print

        return trace_print
    return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def round_period(wh: Warehouse, text: str) -> Period:
    """The period of a reporting-round command (status, log, remind, template, ready, approve).

    ``YYYY-BU`` ... ``YYYY-BO`` as it is, or ``latest`` (``senaste``, ``latest-BO``, ...): the latest period due or
    reported, the same rule as ``ils run --period latest`` (:func:`ilslib.figures.as_period`).
    """
    from ..periods import Period as Period_
    from ..periods import is_latest

    if is_latest(text):
        from ..figures import as_period

        return as_period(wh, text)
    return Period_.parse(text)
