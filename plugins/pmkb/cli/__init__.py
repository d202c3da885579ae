"""The `pmkb` command line: a thin adapter over the core, one module per command in `commands/`."""
