"""``clos serve``: the web app (pages, JSON API, OpenAI-compatible API) over ``clos.service``."""

from clos.web.app import create_app

__all__ = ["create_app"]
