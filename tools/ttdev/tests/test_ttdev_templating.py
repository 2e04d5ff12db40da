"""The Jinja environments of the docs pages and the class workflows (ttdev.templating)."""

import jinja2
import pytest

from ttdev import docs_render  # noqa: F401 - it gives the docs' templates their filters
from ttdev.templating import TEMPLATES, docs_environment, workflow_environment


@pytest.mark.parametrize("environment", [docs_environment, workflow_environment])
def test_every_template_compiles(environment):
    """A template no test renders (a page the site shows only in some trees) still parses."""
    env = environment()
    names = env.list_templates()
    folder = "docs" if environment is docs_environment else "workflows"
    assert sorted(names) == sorted(str(p.relative_to(TEMPLATES / folder))
                                   for p in (TEMPLATES / folder).rglob("*") if p.is_file())
    for name in names:
        env.get_template(name)


def test_a_workflow_keeps_githubs_expressions_and_jinja_uses_brackets():
    template = workflow_environment().from_string(
        "run: echo ${{ matrix.student }} [[ version ]]\n{% if more %}more{% endif %}\n")
    assert template.render(version="3.11", more=False) == \
        "run: echo ${{ matrix.student }} 3.11\n"


def test_html_is_escaped_markdown_is_not_and_a_misspelt_name_fails():
    env = docs_environment()
    html = env.get_template("architecture.html").module.architecture
    assert "&lt;b&gt;" in str(html("<b>", [{"kind": "io", "text": "<b>"}]))
    guide = env.get_template("stub_guide.md").render(pkg={"name": "tt-x"}, readme="`a<b`")
    assert guide.startswith("# tt-x\n") and "`a<b`" in guide   # Markdown: as written
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing }}").render()
