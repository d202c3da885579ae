"""The MkDocs adapter: the plugin, its config, reused HTML fragments, and its templates and assets."""
