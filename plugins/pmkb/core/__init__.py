"""The core: parse -> validate -> catalog. Knows nothing of MkDocs, whoosh or argparse."""
