"""Reading `mkdocs.yml` the way MkDocs reads it, without importing MkDocs.

`pmkb` commands must judge a knowledge base with the settings `mkdocs build` uses, and must start fast (loading
MkDocs' config machinery costs about 0.3 s and is outside the command line's import contract). So this module
copies what MkDocs 1.6 does for the settings pmkb needs (`mkdocs.config.base.load_config`,
`mkdocs.utils.yaml.yaml_load`), and tests compare it with MkDocs' own loader:

- `mkdocs.yml`, else `mkdocs.yaml`, in the current folder (`_open_config_file`);
- `INHERIT: parent.yml`, relative to the file that says it, deep-merged under the child (mappings merge, anything
  else is replaced: `mergedeep.merge`'s default), any depth; a loop is an error (MkDocs would recurse forever);
- `!ENV VAR` and `!ENV [VAR, OTHER, default]` (pyyaml-env-tag): the first variable set, its value read as a
  YAML scalar, else the default;
- paths relative to the folder of the file loaded first (the child), as MkDocs' `DocsDir` does.

Tags that would run code (`!!python/name:` in `markdown_extensions`) and `!relative` become None: pmkb never
needs those settings, and reading a config must not import or run anything.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path

import yaml

CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")
MAX_INHERIT_DEPTH = 32  # deeper is surely a mistake; MkDocs has no limit but Python's recursion


class ConfigError(Exception):
    """The configuration cannot be read as MkDocs would read it: one line."""


def construct_env_tag(loader: yaml.SafeLoader, node: yaml.Node) -> object:
    """`!ENV`, as pyyaml-env-tag 1.1 constructs it (MkDocs' dependency), on a safe loader."""
    default = None
    if isinstance(node, yaml.ScalarNode):
        names = [loader.construct_scalar(node)]
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
        if len(children) > 1:
            default = loader.construct_object(children[-1])  # the default keeps its YAML type
            children = children[:-1]
        names = [loader.construct_scalar(child) for child in children]
    else:
        raise yaml.constructor.ConstructorError(
            None, None, f"expected a scalar or sequence node, but found {type(node).__name__}", node.start_mark
        )
    for name in names:
        if isinstance(name, str) and name in os.environ:
            value = os.environ[name]
            tag = loader.resolve(yaml.ScalarNode, value, (True, False))  # "true" is a boolean, "5" a number
            return loader.construct_object(yaml.ScalarNode(tag, value))
    return default


class ConfigLoader(yaml.SafeLoader):
    """MkDocs' tags: `!ENV` resolved, every other custom tag None instead of running code or failing."""


ConfigLoader.add_constructor("!ENV", construct_env_tag)
ConfigLoader.add_multi_constructor("", lambda loader, suffix, node: None)
ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def locate(config_file: str | os.PathLike | None) -> Path:
    """The file MkDocs would read: the one given, else `mkdocs.yml`, else `mkdocs.yaml`, in the current folder."""
    try:
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise ConfigError(f"config file '{config_file}' not found")
            return path
        for name in CONFIG_NAMES:
            path = Path.cwd() / name
            if path.is_file():
                return path
    except OSError as error:  # a name longer than the system allows, a folder that cannot be read
        raise ConfigError(f"cannot read the config file: {error.strerror or error}") from None
    raise ConfigError("no mkdocs.yml found in the current folder (use -f FILE)")


def load(path: Path) -> dict:
    """The settings of `path` with its INHERIT chain merged, as MkDocs' `yaml_load` returns them."""
    return _load(path, ())


def _load(path: Path, chain: tuple[str, ...]) -> dict:
    key = os.path.normcase(os.path.abspath(path))
    if key in chain:
        raise ConfigError(f"INHERIT loop: {path.name} inherits from itself (through {len(chain)} files)")
    if len(chain) > MAX_INHERIT_DEPTH:
        raise ConfigError(f"INHERIT chain deeper than {MAX_INHERIT_DEPTH} files at {path.name}")
    try:
        data = yaml.load(path.read_bytes(), Loader=ConfigLoader)  # bytes: PyYAML detects UTF-8/16, as in MkDocs
    except OSError as error:
        raise ConfigError(f"cannot read {path.name}: {error.strerror or error}") from None
    except (yaml.YAMLError, ValueError, RecursionError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConfigError(f"cannot read {path.name}: {first}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name} is not a mapping of settings")
    if "INHERIT" not in data:
        return data
    parent_name = data.pop("INHERIT")
    if not isinstance(parent_name, str):
        raise ConfigError(f"{path.name}: INHERIT must name a file, not {parent_name!r}")
    parent_path = Path(os.path.normpath(os.path.join(os.path.dirname(path), parent_name)))
    if not parent_path.is_file():
        raise ConfigError(f"{path.name}: inherited config file '{parent_name}' does not exist at '{parent_path}'")
    return merge(_load(parent_path, (*chain, key)), data)


def merge(parent: dict, child: Mapping) -> dict:
    """`mergedeep.merge(parent, child)` (Strategy.REPLACE): mappings merge key by key, the child's other values
    (lists included) replace the parent's."""
    for name, value in child.items():
        if isinstance(parent.get(name), Mapping) and isinstance(value, Mapping):
            parent[name] = merge(dict(parent[name]), value)
        else:
            parent[name] = copy.deepcopy(value)
    return parent
