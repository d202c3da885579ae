"""A knowledge base's own front-matter fields: the plugin option `fields` in `mkdocs.yml`, as declarations.

```yaml
plugins:
  - pmkb:
      fields:
        region: {title: Region, type: choice, values: [eu-west-1, us-east-1], facet: true}
        jira: {title: Ticket, type: text, pattern: '^[A-Z]+-[0-9]+$', link: 'https://jira.example.org/browse/{value}'}
```

Each entry becomes a `pmkb.core.fields.Field`, appended to the built-in declarations (`Taxonomy.front_matter`), so
the validator, the JSON Schema, `pmkb new`, the guide, the header card, the exports and search read it exactly as
they read a built-in field. A mistake in a declaration is a Diagnostic against `mkdocs.yml` at the line of the key
that is wrong (`option_positions` finds it), like a mistake in a taxonomy file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from pmkb.core.diagnostics import Diagnostic, Level, shown, type_name
from pmkb.core.fields import POSTMORTEM, Field, Kind, Required
from pmkb.core.suggest import did_you_mean
from pmkb.core.taxonomy import Taxonomy
from pmkb.core.text import text_problem
from pmkb.core.yaml_positions import LoadedYaml

OPTION = "fields"
KINDS = {"text": Kind.TEXT, "choice": Kind.CHOICE, "list": Kind.LIST, "number": Kind.NUMBER, "bool": Kind.BOOL}
KINDS["date"] = Kind.DATE
REQUIRED = {"never": Required.OPTIONAL, "to publish": Required.WHEN_PUBLISHED}
DECLARATION_KEYS = ("title", "type", "description", "values", "required", "pattern", "link", "facet")
NAME_RE = re.compile(r"[a-z][a-z0-9_]*")  # a YAML key, a `pmkb search` field and a URL parameter as it is
MAX_NAME_LENGTH = 40
TEXT_MAX_LENGTH = 500
WORD_MAX_LENGTH = 100
# Names that already mean something to pmkb besides the front matter's keys: `pmkb search` fields, keys of
# postmortems.json, the explorer's URL parameters and columns, and the search index's own fields. A field of
# one of these names would be shadowed somewhere, so it is refused. `constructor` is every JavaScript object's own
# key: the explorer keeps its filters in a plain object by field name.
OTHER_NAMES = frozenset(
    {
        "actions", "body", "constructor", "contributing", "date", "durations", "id", "keywords", "meta", "open",
        "overdue", "owner", "page", "path", "q", "service", "severity_rank", "sort", "summary", "tag", "title", "url",
        "year",
    }
)  # fmt: skip
RESERVED_NAMES = POSTMORTEM.names | OTHER_NAMES


@dataclass(frozen=True, slots=True)
class _Reader:
    """Reports a declaration's mistakes at their line in `mkdocs.yml`."""

    positions: LoadedYaml
    config_name: str
    diagnostics: list[Diagnostic]

    def error(self, where: str, message: str) -> None:
        position = self.positions.position_of(where)
        self.diagnostics.append(Diagnostic.at(self.config_name, position, Level.ERROR, f"{OPTION}.{where}", message))


def custom_fields(
    option: object, positions: LoadedYaml | None = None, config_name: str = "mkdocs.yml"
) -> tuple[tuple[Field, ...], list[Diagnostic]]:
    """The declarations of the option `fields` as written (None, or a mapping of name to declaration).

    A declaration with a mistake is left out and reported; the others are kept, so that the postmortems' own
    problems can still be reported."""
    reader = _Reader(positions or LoadedYaml(value=None), config_name, [])
    if option is None or option == {}:
        return (), []
    if not isinstance(option, dict):
        message = f"plugin option 'fields' must be a mapping of field names to declarations, got {type_name(option)}"
        reader.error("", message)
        return (), reader.diagnostics
    declared = []
    for name, declaration in option.items():
        spec = _field(reader, name, declaration)
        if spec is not None:
            declared.append(spec)
    return tuple(declared), reader.diagnostics


def _field(reader: _Reader, name: object, declaration: object) -> Field | None:
    before = len(reader.diagnostics)
    where = str(name)
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or len(name) > MAX_NAME_LENGTH:
        reader.error(
            where,
            f"field name '{shown(name)}' must be lower case a-z, 0-9 and '_', starting with a letter, "
            f"at most {MAX_NAME_LENGTH} characters",
        )
        return None
    if name in RESERVED_NAMES:
        what = "a built-in front-matter key" if name in POSTMORTEM.names else "a name pmkb uses already"
        reader.error(where, f"field '{name}' is {what}; give the field another name")
        return None
    if not isinstance(declaration, dict):
        reader.error(
            where, f"field '{name}' must be a mapping such as {{title: ..., type: text}}, got {type_name(declaration)}"
        )
        return None
    for key in declaration:
        if key not in DECLARATION_KEYS:
            hint = did_you_mean(str(key), DECLARATION_KEYS) or f"; the keys are {', '.join(DECLARATION_KEYS)}"
            reader.error(f"{name}.{key}", f"field '{name}': unknown key '{shown(key)}'{hint}")
    title = _text(reader, name, declaration, "title") or name.replace("_", " ").capitalize()
    description = _text(reader, name, declaration, "description") or f"{title}."
    type_text = declaration.get("type")
    kind = KINDS.get(type_text) if isinstance(type_text, str) else None
    if kind is None:
        if type_text is None:
            message = f"field '{name}' needs a type: one of {', '.join(KINDS)}"
        else:
            hint = did_you_mean(str(type_text), KINDS) if isinstance(type_text, str) else ""
            message = f"field '{name}': type '{shown(type_text)}' is not one of {', '.join(KINDS)}{hint}"
        reader.error(f"{name}.type" if "type" in declaration else name, message)
    required = _required(reader, name, declaration)
    values = _values(reader, name, declaration, kind)
    pattern = _pattern(reader, name, declaration, kind, values)
    link = _link(reader, name, declaration)
    facet = declaration.get("facet", False)
    if not isinstance(facet, bool):
        reader.error(f"{name}.facet", f"field '{name}': facet must be true or false, got {type_name(facet)}")
    elif facet and kind in (Kind.NUMBER, Kind.DATE):
        reader.error(f"{name}.facet", f"field '{name}': a {type_text} field cannot be a facet; use choice or list")
    if len(reader.diagnostics) > before or kind is None:
        return None
    declared = Field(name, kind, description, required, title=title, link=link, facet=facet is True)
    if kind is Kind.LIST:
        item = (
            Field(name, Kind.CHOICE, description, choices=values)
            if values
            else Field(name, Kind.TEXT, description, max_length=WORD_MAX_LENGTH, pattern=pattern)
        )
        return replace(declared, item=item)
    if kind is Kind.TEXT:
        return replace(declared, max_length=TEXT_MAX_LENGTH, pattern=pattern)
    return replace(declared, choices=values)


def _text(reader: _Reader, name: str, declaration: dict, key: str) -> str | None:
    value = declaration.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        reader.error(f"{name}.{key}", f"field '{name}': {key} must be text, got {type_name(value)}")
        return None
    problem = text_problem(value.strip())
    if problem is not None:
        reader.error(f"{name}.{key}", problem.message(f"field '{name}': {key}"))
        return None
    return " ".join(value.split())


def _required(reader: _Reader, name: str, declaration: dict) -> Required:
    value = declaration.get("required", "never")
    if isinstance(value, str) and value in REQUIRED:
        return REQUIRED[value]
    hint = did_you_mean(value, REQUIRED) if isinstance(value, str) else ""
    reader.error(
        f"{name}.required",
        f"field '{name}': required '{shown(value)}' is not one of {', '.join(REQUIRED)}{hint}",
    )
    return Required.OPTIONAL


def _values(reader: _Reader, name: str, declaration: dict, kind: Kind | None) -> tuple[str, ...]:
    values = declaration.get("values")
    if kind is None:  # the type's own error says what is wrong: nothing to check values against
        return ()
    if values is None:
        if kind is Kind.CHOICE:
            reader.error(name, f"field '{name}' is a choice: give its values, e.g. values: [a, b]")
        return ()
    if kind not in (Kind.CHOICE, Kind.LIST):
        reader.error(f"{name}.values", f"field '{name}': only choice and list fields have values")
        return ()
    if not isinstance(values, list) or not values:
        reader.error(f"{name}.values", f"field '{name}': values must be a non-empty list, got {type_name(values)}")
        return ()
    found: list[str] = []
    for index, value in enumerate(values):
        where = f"{name}.values.{index}"
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            reader.error(where, f"field '{name}': each value must be text, got {type_name(value)}")
            continue
        text = str(value)
        problem = text_problem(text) if text.strip() else None
        if not text.strip() or problem is not None or text != text.strip():
            reader.error(where, f"field '{name}': value '{shown(text)}' must be one line of text without outer spaces")
        elif text in found:
            reader.error(where, f"field '{name}': value '{shown(text)}' is listed twice")
        else:
            found.append(text)
    return tuple(found)


def _pattern(reader: _Reader, name: str, declaration: dict, kind: Kind | None, values: tuple[str, ...]) -> str | None:
    pattern = declaration.get("pattern")
    if pattern is None or kind is None:
        return None
    if kind is not Kind.TEXT and not (kind is Kind.LIST and not values):
        reader.error(f"{name}.pattern", f"field '{name}': only text fields and lists of free words have a pattern")
        return None
    if not isinstance(pattern, str):
        message = f"field '{name}': pattern must be a regular expression, got {type_name(pattern)}"
        reader.error(f"{name}.pattern", message)
        return None
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as error:  # a huge repeat count, or deep nesting
        message = f"field '{name}': pattern '{shown(pattern)}' is not a regular expression: {error}"
        reader.error(f"{name}.pattern", message)
        return None
    return pattern


def _link(reader: _Reader, name: str, declaration: dict) -> str | None:
    link = declaration.get("link")
    if link is None:
        return None
    example = "https://tracker.example.org/browse/{value}"
    if not isinstance(link, str) or "{value}" not in link:
        reader.error(f"{name}.link", f"field '{name}': link must be a URL holding {{value}}, such as {example}")
        return None
    try:
        parts = urlsplit(link.replace("{value}", "x"))
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"[\s\x00-\x1f]", link):
        reader.error(f"{name}.link", f"field '{name}': link '{shown(link)}' is not an http(s) URL such as {example}")
        return None
    if parts.netloc != urlsplit(link.replace("{value}", "y")).netloc:
        reader.error(f"{name}.link", f"field '{name}': the value may not be part of the link's host")
        return None
    return link


# -- where the option is written -----------------------------------------------------------------------------------


def option_positions(config_file: Path | str | None, plugin: str, option: str = OPTION) -> LoadedYaml:
    """The line and column of every key and value under `plugins: [{<plugin>: {<option>: ...}}]` in the file,
    by dotted path below the option (`region.type`); empty when the file or the option cannot be found.

    The file is only composed, never constructed: tags (`!ENV`, `!!python/name`) are not run."""
    positions = LoadedYaml(value=None)
    if config_file is None:
        return positions
    try:
        text = Path(config_file).read_text(encoding="utf-8-sig")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return positions
    found = _child(_plugin_options(_child(root, "plugins"), plugin), option)
    if found is not None:
        _record(found[1], "", positions, depth=0)
        positions.value_positions[""] = (found[0].start_mark.line + 1, found[0].start_mark.column + 1)
    return positions


def _child_pair(node: Node | None, key: str) -> tuple[Node, Node] | None:
    if not isinstance(node, MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _child(node: Node | tuple[Node, Node] | None, key: str) -> tuple[Node, Node] | None:
    value = node[1] if isinstance(node, tuple) else node
    return _child_pair(value, key)


def _plugin_options(plugins: tuple[Node, Node] | None, plugin: str) -> Node | None:
    if plugins is None:
        return None
    node = plugins[1]
    if isinstance(node, MappingNode):
        found = _child_pair(node, plugin)
        return found[1] if found else None
    if isinstance(node, SequenceNode):
        for item in node.value:
            found = _child_pair(item, plugin)
            if found is not None:
                return found[1]
    return None


def _record(node: Node, path: str, positions: LoadedYaml, depth: int) -> None:
    if depth > 8:
        return
    positions.value_positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                child = f"{path}.{key_node.value}" if path else key_node.value
                positions.key_positions[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                _record(value_node, child, positions, depth + 1)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _record(item, f"{path}.{index}" if path else str(index), positions, depth + 1)


def with_custom_fields(
    taxonomy: Taxonomy, option: object, config_file: Path | str | None, plugin: str = "pmkb"
) -> tuple[Taxonomy, list[Diagnostic]]:
    """`taxonomy` with the knowledge base's own fields declared by `option`, and the declarations' diagnostics."""
    if option is None or option == {}:
        return taxonomy, []
    config_name = Path(config_file).name if config_file else "mkdocs.yml"
    declared, diagnostics = custom_fields(option, option_positions(config_file, plugin), config_name)
    return replace(taxonomy, fields=declared), diagnostics
