"""A reference host app for debitor-core: the guide's customer screens in a browser.

Starlette with Jinja2 templates and plain HTML forms, no JavaScript. Read
docs/webapp.md for a walk through the code; run it with ``make serve``.
"""
