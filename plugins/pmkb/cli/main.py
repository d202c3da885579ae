"""`pmkb`: the command line, a thin adapter over the core.

Each subcommand lives in `pmkb.cli.commands.<name>` with `register(subparsers)` and `run(args) -> int`; modules are
imported only when their command runs, so `pmkb lint` never pays for whoosh.
"""

from __future__ import annotations

import argparse
import importlib
import keyword
import sys

from pmkb import __version__
from pmkb.cli.project import ProjectError
from pmkb.core.text import escaped
from pmkb.core.today import TodayError
from pmkb.core.yaml_positions import ValueLimitError, value_limit
from pmkb.runtime.speedups import SpeedupsError

COMMANDS = {
    "init": "write a new knowledge-base repository: mkdocs.yml, content, CI workflow, pre-commit hook",
    "lint": "validate postmortems (all of them, or the given files and folders)",
    "new": "write a new draft postmortem from the template and print its path",
    "search": "search past incidents (full text and fields such as cause:, service:, year:)",
    "actions": "list open action items across the knowledge base",
    "schema": "print the JSON Schema of the front matter",
    "taxonomy": "print the taxonomy in force (severities, causes, triggers, detection) as YAML",
    "import": "turn existing incident reports (HTML, Markdown, text, e-mail) into draft postmortems",
}

EXIT_OK, EXIT_USAGE = 0, 2


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command; only `command`'s module is imported when it is given (the others' imports
    would cost `pmkb lint` a tenth of its start-up)."""
    parser = argparse.ArgumentParser(prog="pmkb", description="Postmortem knowledge base tools.")
    parser.add_argument("--version", action="version", version=f"pmkb {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, help_text in COMMANDS.items():
        module = None
        if command is None or name == command:
            # A command named by a Python keyword (`import`) lives in a module with a trailing underscore.
            module = importlib.import_module(f"pmkb.cli.commands.{name}{'_' * keyword.iskeyword(name)}")
        sub = subparsers.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        sub.add_argument("-f", "--config-file", metavar="FILE", help="the project's mkdocs.yml (default: ./mkdocs.yml)")
        if module is not None:
            module.register(sub)
            sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    try:
        value_limit()
        return args.run(args)
    except (ProjectError, TodayError, SpeedupsError, ValueLimitError) as error:
        print(f"pmkb {args.command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `pmkb lint | head`: the reader left; that is not a failure of ours.
        sys.stderr.close()
        return EXIT_OK
    except OSError as error:
        # A path the system refuses (too long, not readable) that no command foresaw: one line, never a traceback.
        name = str(error.filename or "")
        where = f": {escaped(name[:80])}{'...' * (len(name) > 80)}" if name else ""
        print(f"pmkb {args.command}: error: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
