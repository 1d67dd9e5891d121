"""A local Sphinx extension of the book: inline scripts of extensions are included once.

Sphinx 7.4 registers a script that an extension adds after the HTML builder started
(``app.add_js_file(None, body=...)``, as sphinx-thebe and sphinx-togglebutton do) twice:
once as given (file name ``None``) and once more from the registry when pages are
written (file name ``""``); the two do not compare equal. A page then declares
``const THEBE_JS_URL`` twice and the browser reports a SyntaxError on every page.
Giving the first copy the file name ``""`` makes Sphinx recognise the second as the same.
"""

from __future__ import annotations

from typing import Any


def include_inline_scripts_once(app: Any, env: Any, docnames: list[str]) -> None:
    """Rename the builder's inline scripts from file ``None`` to ``""``, as the registry names them."""
    try:
        from sphinx.builders.html._assets import _JavaScript
    except ImportError:  # another Sphinx: nothing to repair
        return
    scripts = getattr(app.builder, "_js_files", None)
    if scripts is None:
        return
    scripts[:] = [_JavaScript("", priority=js.priority, **js.attributes) if js.filename is None else js
                  for js in scripts]


def setup(app: Any) -> dict[str, Any]:
    # after sphinx-thebe's own env-before-read-docs handler (priority 500) added its script
    app.connect("env-before-read-docs", include_inline_scripts_once, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
