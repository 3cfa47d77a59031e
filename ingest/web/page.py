"""A fetched HTML page into Documents: the same reading as a saved HTML file
(`ingest.htmlpage`: trafilatura for the main text and metadata, the comment markup for
readers' comments), with the page's canonical URL as its identity and its link.

The canonical URL is the page's `<link rel="canonical">` (or og:url) when it is on an
allowed host, and otherwise the address the page was fetched from (after redirects):
a canonical link pointing at another site is not trusted to name this page.
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import urljoin, urlsplit

from ..decode import BadFileError, decode_bytes
from ..htmlpage import parse_html_page
from ..loaders import LoadResult, _article_with_comments, canonical_url
from .fetch import Fetched, host_of


def decode_page(fetched: Fetched) -> str:
    """The page's text: the charset the server names, else detected (as for files)."""
    if fetched.charset:
        try:
            return fetched.body.decode(fetched.charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(fetched.body, name=fetched.final_url)


def page_documents(fetched: Fetched, *, default_source: str = "",
                   host_allowed: Callable[[str], bool] = lambda host: True) -> LoadResult:
    """The article and its readers' comments. Raises `BadFileError` when the page holds no article."""
    text = decode_page(fetched)
    try:
        page = parse_html_page(text)
    except ValueError as exc:
        raise BadFileError(str(exc)) from None
    warnings: list[str] = []
    url = canonical_url(fetched.final_url)
    if page.url:
        declared = urljoin(fetched.final_url, page.url)
        if urlsplit(declared).scheme in ("http", "https") and host_allowed(host_of(declared)):
            url = canonical_url(declared)
        else:
            warnings.append(f"canonical link points elsewhere ({declared[:100]}); the page's own address is used")
    title = page.title or urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or url
    docs = _article_with_comments(title=title, text=page.text, url=url, published=page.published,
                                  author=page.author, source=page.source or default_source,
                                  rel_path=canonical_url(fetched.url), comments=page.comments)
    return LoadResult(docs, warnings)
