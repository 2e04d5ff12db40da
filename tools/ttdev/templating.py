"""The Jinja environments behind the generated docs pages and the class's workflows.

The templates live beside this module, in ``templates/``:

- ``templates/docs/``: the docs site's generated pages and their pieces. ``.html`` and
  ``.svg`` templates are autoescaped; ``.md`` templates are Markdown, where a value is
  escaped only where the template says so (``|e``), since Markdown code spans show
  entities as they are.
- ``templates/workflows/``: GitHub Actions YAML. GitHub's own expressions are written
  ``${{ ... }}``, so in these templates Jinja's variables are ``[[ ... ]]`` instead
  (statements stay ``{% ... %}``) and every ``${{ }}`` passes through untouched.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _environment(folder: str, **options) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES / folder),
        undefined=jinja2.StrictUndefined,   # a misspelt name fails the build, not the page
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **options,
    )


@cache
def docs_environment() -> jinja2.Environment:
    """The docs' templates: HTML and SVG autoescaped, Markdown as written."""
    return _environment("docs", autoescape=jinja2.select_autoescape(["html", "svg"]))


@cache
def workflow_environment() -> jinja2.Environment:
    """The workflows' templates: no escaping, ``[[ ]]`` for Jinja, ``${{ }}`` for GitHub."""
    return _environment("workflows", autoescape=False,
                        variable_start_string="[[", variable_end_string="]]")
