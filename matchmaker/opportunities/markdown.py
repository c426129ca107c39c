"""Descriptions: Markdown as organizers type it, rendered to safe HTML for everyone else.

markdown-it-py renders (raw HTML in the source is escaped, not passed through);
nh3 then keeps only a small set of tags and attributes and drops any link that
is not http(s) or mailto, so nothing an organizer types can run script in a
resident's browser. Links get rel="nofollow noopener" because they lead away
from us to places we have not checked.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote",
    "h2", "h3", "h4", "h5", "h6", "code", "pre", "hr",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

# "js-default": no raw HTML, safe link validation; linkify would need an extra package.
_md = MarkdownIt("js-default")


def render_markdown(text: str | None) -> Markup:
    """Sanitised HTML for ``text``; headings are demoted so the page keeps one h1."""
    if not text:
        return Markup("")
    html = _md.render(text)
    for level in (5, 4, 3, 2, 1):  # h1 -> h2 … h5 -> h6; h6 stays h6
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(
            f"</h{level}>", f"</h{level + 1}>")
    clean = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="nofollow noopener",
        strip_comments=True,
    )
    return Markup(clean)  # nosec B704 - nh3 has sanitised it to the allow-list above
