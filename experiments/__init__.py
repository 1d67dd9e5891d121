"""Experiments whose results the book reads from ``book/data/`` (too slow to run in a chapter).

Each module is a command, ``python -m experiments.<name>``, that writes its results together with
the configuration and provenance that produced them; a test checks that the committed results
still match the module's configuration.
"""
