"""The team workspace: a web app where a review team imports, deduplicates and screens
records together, blinded (``metareview serve PROJECT``).

An entry point like :mod:`metareview.cli`: it parses requests, checks who may make them
(:mod:`metareview.web.security`), calls :mod:`metareview.store` and :mod:`metareview.records`,
and renders Jinja2 templates; it holds no screening rules of its own.
"""

from metareview.web.app import create_app

__all__ = ["create_app"]
