"""Turn an HTML page into text lines and head metadata with BeautifulSoup.

Uses Python's own html.parser (no network, no external entities). Scripts,
styles, navigation, headers, footers, asides, forms and share widgets are
dropped before any text is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bs4 import BeautifulSoup, Tag

_DROP_TAGS = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe",
              "svg", "button", "template", "figure", "figcaption", "select", "input", "object", "embed")
_DROP_HINT = re.compile(
    r"(^|[-_\s])(share|sharing|social|nav|navbar|menu|footer|header|comment|comments|related|newsletter|"
    r"promo|advert|ads|cookie|breadcrumb|sidebar|subscribe|byline-share|toolbar)([-_\s]|$)", re.I
)
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "div", "section",
           "article", "main", "td", "th", "dd", "dt", "time", "br", "tr", "address")


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


def _drop_furniture(root: Tag) -> None:
    for tag in root.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in root.find_all(True):
        if tag.decomposed or not isinstance(tag, Tag) or tag.attrs is None:
            continue
        hints = " ".join([str(tag.get("id") or ""), *[str(c) for c in tag.get("class") or []], str(tag.get("role") or "")])
        if hints.strip() and _DROP_HINT.search(hints):
            tag.decompose()


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
    _drop_furniture(body)
    for tag in body.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [re.sub(r"\s+", " ", line).strip() for line in body.get_text().split("\n")]
    h1 = title.strip() if title else None
    lines = [line for line in lines if line and line != h1]
    return Page(lines=lines, title=h1, published=published, outlet=outlet, url=url,
                authors=tuple(a.strip() for a in re.split(r",| and ", author or "") if a.strip()))
