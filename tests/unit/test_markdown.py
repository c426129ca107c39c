"""Descriptions are Markdown rendered to HTML that can never run script."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from matchmaker.opportunities.markdown import render_markdown


def test_renders_the_basics_and_keeps_one_h1_per_page():
    html = render_markdown("# Welcome\n\nBring **gloves** and *water*.\n\n- one\n- two")
    assert isinstance(html, Markup)
    assert "<h2>Welcome</h2>" in html and "<h1>" not in html
    assert "<strong>gloves</strong>" in html and "<em>water</em>" in html
    assert "<li>one</li>" in html


def test_links_get_nofollow_noopener():
    html = render_markdown("[Our site](https://pantry.example.org)")
    assert 'href="https://pantry.example.org"' in html
    assert 'rel="nofollow noopener"' in html


@pytest.mark.parametrize("evil", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<div onmouseover="alert(1)">hover</div>',
    "<iframe src=https://evil.example></iframe>",
    '<p style="position:fixed">x</p>',
])
def test_dangerous_input_is_neutralised(evil):
    html = str(render_markdown(evil))
    tags = re.findall(r"<([a-z0-9]+)([^>]*)>", html)
    assert tags, html  # something was rendered (the text survives, escaped)
    for name, attributes in tags:
        assert name in {"p", "a", "br"}, html
        assert not re.search(r"\son\w+=|\sstyle=", attributes), html
        assert not re.search(r'href="\s*(javascript|data|vbscript):', attributes, re.IGNORECASE), html


def test_empty_is_empty():
    assert render_markdown("") == Markup("") and render_markdown(None) == Markup("")
