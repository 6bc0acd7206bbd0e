"""Turn an HTML page into text lines and head metadata with BeautifulSoup.

Uses Python's own html.parser (no network, no external entities). Scripts,
styles, navigation, headers, footers, asides, forms and share widgets are
dropped before any text is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag

_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe",
              "svg", "button", "template", "figure", "figcaption", "select", "input", "object", "embed")
_DROP_HINT = re.compile(
    r"(^|[-_\s])(share|sharing|social|nav|navbar|menu|footer|header|comment|comments|related|newsletter|"
    r"promo|advert|ads|cookie|breadcrumb|sidebar|subscribe|byline-share|toolbar)([-_\s]|$)", re.I
)
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "div", "section",
           "article", "main", "td", "th", "dd", "dt", "time", "br", "tr", "address")
_TEXT_TYPES = (NavigableString, CData)  # what get_text() reads: no comments, doctypes or declarations


@dataclass(frozen=True)
class Page:
    """Text lines and metadata read from one HTML page."""

    lines: list[str]
    title: str | None
    published: str | None
    outlet: str | None
    url: str | None
    authors: tuple[str, ...]


def _meta(soup: BeautifulSoup, *names: str) -> str | None:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name}) \
            or soup.find("meta", attrs={"itemprop": name})
        if isinstance(tag, Tag) and tag.get("content"):
            return str(tag["content"]).strip()
    return None


def _dropped(tag: Tag) -> bool:
    """Say whether a tag is page furniture (by name, or by an id/class/role hint)."""
    if tag.name in _DROP_TAGS:
        return True
    if not tag.attrs:
        return False
    hints = " ".join([str(tag.get("id") or ""), *[str(c) for c in tag.get("class") or []], str(tag.get("role") or "")])
    return bool(hints.strip()) and _DROP_HINT.search(hints) is not None


def _text(root: Tag) -> str:
    """Return the text under root, a line break around each block, furniture left out.

    Walks the tree with an explicit stack: no recursion (5,000 nested divs are
    fine) and no tree edits, so the time is linear in the size of the page.
    """
    parts: list[str] = []
    stack: list[PageElement | str] = list(reversed(root.contents))
    while stack:
        node = stack.pop()
        if isinstance(node, str) and not isinstance(node, NavigableString):
            parts.append(node)  # a line break queued after a block
        elif isinstance(node, Tag):
            if _dropped(node):
                continue
            block = node.name in _BLOCKS
            if block:
                parts.append("\n")
                stack.append("\n")
            stack.extend(reversed(node.contents))
        elif type(node) in _TEXT_TYPES:
            parts.append(str(node))
    return "".join(parts)


def read_html(markup: str) -> Page:
    """Parse an HTML page into text lines and metadata.

    Args:
        markup: the page source as text.
    Returns:
        the page's text lines (one per block element) and its head metadata.
    """
    soup = BeautifulSoup(markup, "html.parser")
    title = _meta(soup, "og:title", "twitter:title", "headline")
    if title is None:
        heading = soup.find("h1")
        if heading is not None:
            title = heading.get_text(" ", strip=True)
        elif soup.title is not None:
            title = re.split(r"\s[|\-–—]\s", soup.title.get_text(" ", strip=True))[0]
    published = _meta(soup, "article:published_time", "datePublished", "date", "pubdate", "dc.date")
    if published is None:
        time_tag = soup.find("time", attrs={"datetime": True})
        if isinstance(time_tag, Tag):
            published = str(time_tag["datetime"])
    canonical = soup.find("link", attrs={"rel": "canonical"})
    url = str(canonical["href"]) if isinstance(canonical, Tag) and canonical.get("href") else _meta(soup, "og:url")
    author = _meta(soup, "author", "article:author")
    outlet = _meta(soup, "og:site_name", "publisher", "application-name")
    body = soup.find("article") or soup.find("main") or soup.body or soup
    lines = [re.sub(r"\s+", " ", line).strip() for line in _text(body).split("\n")]
    h1 = title.strip() if title else None
    lines = [line for line in lines if line and line != h1]
    return Page(lines=lines, title=h1, published=published, outlet=outlet, url=url,
                authors=tuple(a.strip() for a in re.split(r",| and ", author or "") if a.strip()))
