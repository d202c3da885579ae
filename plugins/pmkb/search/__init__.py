"""Searching past incidents: the query language, the whoosh index (the only module that imports whoosh), and
similar incidents."""
