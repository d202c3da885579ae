"""`pmkb init [DIR]`: a team's knowledge-base repository, ready to build, lint, check in CI and publish.

The files come from `pmkb/cli/scaffold/` (shipped in the package) with a few names filled in. Nothing is ever
overwritten: if any file it would write exists, nothing is written (unless --force).
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
import textwrap
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path, PurePosixPath

import yaml

from pmkb import __version__
from pmkb.core.catalog import SourceRef, check_bytes
from pmkb.core.diagnostics import format_diagnostics
from pmkb.core.options import Options
from pmkb.core.taxonomy import default_taxonomy
from pmkb.core.template import yaml_scalar
from pmkb.core.today import today_from_environment
from pmkb.site.guide import example_cause, example_severity

EXIT_EXISTS = 1
EXIT_USAGE = 2
DEFAULT_NAME = "Postmortems"
DEFAULT_CONTENT_DIR = "postmortems"
TAXONOMY_FILE = "taxonomy.yml"
EXAMPLE_SLUG = "example-checkout-errors-after-a-feature-flag-change"
_CONTENT_DIR_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")
_OPTION_INDENT = " " * 6


class UsageError(Exception):
    """A bad option value: one line, exit 2, nothing written."""


@dataclass(frozen=True, slots=True)
class ScaffoldFile:
    path: str  # relative to the target folder, with '/'
    text: str


def register(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "Writes mkdocs.yml (Material, the pmkb plugin with every option described), the content folder with a\n"
        "home page and one example postmortem, .gitignore, a GitHub Actions workflow (lint, strict build, publish\n"
        "to Pages), .pre-commit-config.yaml (the pmkb-lint hook) and a README for the team. A strict build passes\n"
        "at once. Exit status: 0 written; 1 a file it would write exists (nothing is written; --force replaces\n"
        "them); 2 a bad option value."
    )
    parser.add_argument("directory", metavar="DIR", nargs="?", default=".", help="where (default: this folder)")
    parser.add_argument("--name", default=DEFAULT_NAME, help=f"the site's name (default: {DEFAULT_NAME})")
    parser.add_argument(
        "--content-dir",
        metavar="FOLDER",
        default=DEFAULT_CONTENT_DIR,
        help=f"the folder of the postmortems, MkDocs' docs_dir (default: {DEFAULT_CONTENT_DIR})",
    )
    parser.add_argument(
        "--taxonomy",
        action="store_true",
        help=f"also write {TAXONOMY_FILE}, to add to the built-in causes, severities... (`extend:`) or replace them",
    )
    parser.add_argument("--force", action="store_true", help="replace files that exist")


def run(args: argparse.Namespace) -> int:
    target = Path(args.directory)
    try:
        files = scaffold_files(
            name=_name(args.name),
            content_dir=_content_dir(args.content_dir),
            with_taxonomy=args.taxonomy,
            today=today_from_environment(),
        )
        if target.exists() and not target.is_dir():
            raise UsageError(f"{args.directory} is not a folder")
        # A file where a folder must go would stop the writing halfway: refused before anything is written.
        for file in files:
            for parent in PurePosixPath(file.path).parents:
                folder = target / parent
                if str(parent) != "." and folder.exists() and not folder.is_dir():
                    raise UsageError(
                        f"{_shown(target, str(parent))} is a file where a folder must go; nothing was written"
                    )
    except UsageError as error:
        print(f"pmkb init: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    existing = [file.path for file in files if (target / file.path).exists() or (target / file.path).is_symlink()]
    if existing and not args.force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        print(
            f"pmkb init: error: {_shown(target, existing[0])} already exists{more}; nothing was written "
            "(--force replaces them)",
            file=sys.stderr,
        )
        return EXIT_EXISTS
    for file in files:
        path = target / file.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink():
                path.unlink()  # --force: replace the link, never write through it
            path.write_text(file.text, "utf-8", newline="\n")
        except OSError as error:
            print(
                f"pmkb init: error: cannot write {_shown(target, file.path)}: {error.strerror or error}",
                file=sys.stderr,
            )
            return EXIT_EXISTS
    print(f"pmkb init: wrote {len(files)} files in {target}:")
    for file in files:
        print(f"  {file.path}")
    print('Next: mkdocs serve (preview), pmkb new "What happened" (a postmortem); README.md says the rest.')
    return 0


def scaffold_files(*, name: str, content_dir: str, with_taxonomy: bool, today: date) -> list[ScaffoldFile]:
    """Every file of a new knowledge base, in the order they are listed."""
    taxonomy = default_taxonomy()
    example_date = today - timedelta(days=7)
    values = {
        "SITE_NAME": name,
        "SITE_NAME_YAML": yaml_scalar(name),
        "CONTENT_DIR": content_dir,
        "CONTENT_DIR_RE": re.escape(content_dir),
        "VERSION": __version__,
        "DATE": example_date.isoformat(),
        "DUE": (today + timedelta(days=30)).isoformat(),
        "SEVERITY": example_severity(taxonomy),
        "CAUSE": example_cause(taxonomy),
        "PLUGIN_OPTIONS": plugin_options(TAXONOMY_FILE if with_taxonomy else None),
    }
    example_src = f"{example_date.year:04d}/{example_date.isoformat()}-{EXAMPLE_SLUG}.md"
    files = [
        ScaffoldFile("mkdocs.yml", _fill("mkdocs.yml", values)),
        ScaffoldFile(f"{content_dir}/index.md", _fill("index.md", values)),
        ScaffoldFile(f"{content_dir}/{example_src}", _fill("example.md", values)),
        ScaffoldFile(".gitignore", _fill("gitignore", values)),
        ScaffoldFile(".github/workflows/postmortems.yml", _fill("postmortems.yml", values)),
        ScaffoldFile(".pre-commit-config.yaml", _fill("pre-commit-config.yaml", values)),
        ScaffoldFile("README.md", _fill("README.md", values)),
    ]
    if with_taxonomy:
        files.append(ScaffoldFile(TAXONOMY_FILE, _fill("taxonomy.yml", values)))
    example = files[2]
    # The promise is a strict build at once: check the example before anything exists.
    check = check_bytes(
        example.text.encode("utf-8"), SourceRef(example_src, Path(example.path), example.path), taxonomy
    )
    if check.diagnostics:
        raise UsageError(
            "the example postmortem does not lint clean (a bug in pmkb): "
            + format_diagnostics(check.diagnostics, "text").splitlines()[0]
        )
    return files


def plugin_options(taxonomy_file: str | None) -> str:
    """Every option of the plugin, each with its description, commented out at its default (YAML under `- pmkb:`)."""
    lines: list[str] = []
    for option in dataclasses.fields(Options):
        default = option.default
        if default is dataclasses.MISSING and option.default_factory is not dataclasses.MISSING:
            default = option.default_factory()
        for line in textwrap.wrap(option.metadata.get("doc", ""), 100 - len(_OPTION_INDENT) - 2):
            lines.append(f"{_OPTION_INDENT}# {line}")
        if option.name == "taxonomy":
            value, active = taxonomy_file or TAXONOMY_FILE, taxonomy_file is not None
        else:
            value, active = option.metadata.get("example") or _flow_yaml(default), False
        prefix = _OPTION_INDENT + ("" if active else "# ")
        lines.append(f"{prefix}{option.name}: {value}".replace(" \n", "\n").replace("\n", "\n" + prefix))
    return "\n".join(lines)


def _flow_yaml(value: object) -> str:
    if isinstance(value, tuple):
        value = list(value)
    return yaml.safe_dump(value, default_flow_style=True, width=1_000).strip().removesuffix("\n...").strip()


def _fill(template: str, values: dict[str, str]) -> str:
    text = resources.files("pmkb.cli").joinpath("scaffold", template).read_text("utf-8")
    for key, value in values.items():
        text = text.replace(f"__{key}__", value)
    leftover = re.search(r"__[A-Z_]+__", text)
    assert leftover is None, f"{template}: {leftover.group()} is not filled in"
    return text


def _name(value: str) -> str:
    name = " ".join(value.split())
    if not name or len(name) > 100 or any(not ch.isprintable() for ch in name):
        raise UsageError("--name must be one line of printable text, 1 to 100 characters")
    return name


def _content_dir(value: str) -> str:
    folder = value.strip().rstrip("/")
    path = PurePosixPath(folder)
    if not _CONTENT_DIR_RE.fullmatch(folder) or any(part in (".", "..") for part in path.parts):
        raise UsageError(
            f"--content-dir must be a folder inside the repository such as {DEFAULT_CONTENT_DIR}, not {value!r}"
        )
    return folder


def _shown(target: Path, relative: str) -> str:
    return relative if str(target) in ("", ".") else str(target / relative)
