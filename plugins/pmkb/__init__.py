"""Postmortem KB: incident postmortems as a searchable static knowledge base.

The core (parse -> validate -> catalog -> pages and exports) knows nothing of MkDocs; `pmkb.mkdocs_plugin.plugin` and
`pmkb.cli.main` are thin adapters over it.
"""

__version__ = "0.1.0"
