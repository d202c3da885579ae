"""What the site shows: pages, facets, views, the guide and the exports, as plain values. No MkDocs here."""
