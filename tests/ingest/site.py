"""A fictional news site served on loopback, made from the bundled sample corpus.

Every sample article (scraped pages, Markdown, JSON Lines) is rendered as an HTML page
with a canonical link, metadata and readers' comments in comment markup; the two sample
HTML files are served as they are, their canonical host pointed here. The site has an
RSS feed, an Atom feed, a sitemap index with two sitemaps, a robots.txt that disallows
/private/ (which the sitemap lists anyway), ETags and Last-Modified with 304 answers,
and bad paths under /bad/: a 500, a slow page, a redirect loop, a PDF, a huge page,
a malformed feed, a feed pointing at another host, and pages that answer 429/503 with
Retry-After once. Every request is logged with its headers and time.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import re
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ingest.documents import ARTICLE
from ingest.loaders import load_file
from tests.conftest import SAMPLE

PRIVATE = "/private/embargoed-budget-story"


@dataclass
class Logged:
    path: str
    headers: dict[str, str]
    at: float
    status: int = 0


@dataclass
class Article:
    path: str
    title: str
    published: str
    body: str  # the HTML served
    modified: float  # epoch seconds, for Last-Modified


def _article_html(base: str, path: str, doc, comments) -> str:  # noqa: ANN001
    paras = "\n".join(f"        <p>{html.escape(p.strip())}</p>" for p in re.split(r"\n\s*\n", doc.text) if p.strip())
    standfirst = f'<p class="standfirst">{html.escape(doc.standfirst)}</p>' if doc.standfirst else ""
    meta_date = f'<meta property="article:published_time" content="{doc.published}">' if doc.published else ""
    meta_author = f'<meta name="author" content="{html.escape(doc.author)}">' if doc.author else ""
    items = []
    for c in comments:
        when = f'<time datetime="{c.published}">{c.published}</time>' if c.published else ""
        items.append(f'''      <div class="comment">
        <span class="comment-author">{html.escape(c.author or "Anonymous")}</span> {when}
        <div class="comment-body"><p>{html.escape(c.text)}</p></div>
      </div>''')
    comments_html = ""
    if items:
        comments_html = '<section class="comments" id="comments">\n  <h2>Readers\' comments</h2>\n' + "\n".join(items) + "\n</section>"
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>{html.escape(doc.title)} | GP Frontline</title>
<link rel="canonical" href="{base}{path}">
<meta property="og:title" content="{html.escape(doc.title)}">
<meta property="og:site_name" content="GP Frontline">
{meta_date}
{meta_author}
<link rel="alternate" type="application/rss+xml" href="/feed.rss">
</head><body>
<header class="site-header"><a href="/">GP Frontline</a> <nav><a href="/news">News</a> <a href="/views">Views</a></nav></header>
<main><article class="article">
  <h1>{html.escape(doc.title)}</h1>
  {standfirst}
  <div class="article-body">
{paras}
  </div>
</article>
{comments_html}
</main>
<footer>© GP Frontline (fictional)</footer>
</body></html>
"""


class FictionalSite:
    """The site's content and request log; `serve()` starts it on 127.0.0.1."""

    def __init__(self) -> None:
        self.base = ""
        self.articles: dict[str, Article] = {}
        self.extra: dict[str, tuple[int, str, bytes]] = {}
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.slow_seconds = 3.0
        self.flaky_left: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None

    # --- content ---------------------------------------------------------------------------
    def _build(self) -> None:
        files = sorted(p for p in SAMPLE.rglob("*") if p.suffix in (".txt", ".md", ".jsonl")
                       and p.name.lower() != "readme.md")
        stamp = time.time() - 86_400
        for file in files:
            docs = load_file(file, file.name).documents
            for doc in docs:
                if doc.kind != ARTICLE:
                    continue
                comments = [d for d in docs if d.parent_id == doc.doc_id]
                slug = re.sub(r"[^a-z0-9]+", "-", doc.title.lower()).strip("-")[:70]
                path = f"/news/{slug}"
                self.articles[path] = Article(path, doc.title, doc.published,
                                              _article_html(self.base, path, doc, comments), stamp)
        for file in sorted((SAMPLE / "html").glob("*.html")):
            text = file.read_text(encoding="utf-8").replace("https://gpfrontline.example", self.base)
            path = re.search(r'rel="canonical" href="[^"]*?(/news/[^"]+)"', text).group(1)
            title = re.search(r'property="og:title" content="([^"]+)"', text).group(1)
            date = re.search(r'article:published_time" content="([^"]+)"', text).group(1)
            self.articles[path] = Article(path, html.unescape(title), date, text, stamp)
        self.articles[PRIVATE] = Article(PRIVATE, "Embargoed budget story", "2025-10-20",
                                         _private_page(self.base), stamp)

    def public(self) -> list[Article]:
        """The articles anyone may crawl, oldest first."""
        return sorted((a for a in self.articles.values() if a.path != PRIVATE), key=lambda a: a.published or "2025-07")

    def edit(self, path: str, old: str, new: str) -> None:
        """Change a page's text (its ETag and Last-Modified change with it)."""
        with self.lock:
            art = self.articles[path]
            assert old in art.body, old
            art.body = art.body.replace(old, new)
            art.modified = time.time() + 1

    def remove(self, path: str) -> None:
        """Take a page down (404) and out of the feeds and sitemaps."""
        with self.lock:
            del self.articles[path]

    def rss(self) -> str:
        items = "".join(
            f"<item><title>{html.escape(a.title)}</title><link>{self.base}{a.path}</link>"
            f"<guid>{self.base}{a.path}</guid>{_pubdate(a.published)}</item>\n" for a in self.public()[:7])
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>GP Frontline</title>'
                f"<link>{self.base}/</link><description>News</description>\n{items}</channel></rss>\n")

    def atom(self) -> str:
        entries = "".join(
            f'<entry><title>{html.escape(a.title)}</title><link rel="alternate" href="{self.base}{a.path}"/>'
            f"<id>{self.base}{a.path}</id><updated>{_iso(a.published)}</updated></entry>\n" for a in self.public()[7:])
        return (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>GP Frontline</title><id>{self.base}/</id><updated>2025-10-10T00:00:00Z</updated>\n"
                f"{entries}</feed>\n")

    def sitemap(self, half: int) -> str:
        arts = self.public()
        chosen = arts[:7] if half == 1 else arts[7:]
        if half == 1 and PRIVATE in self.articles:
            chosen = [*chosen, self.articles[PRIVATE]]
        urls = "".join(f"<url><loc>{self.base}{a.path}</loc>" + (f"<lastmod>{a.published[:10]}</lastmod>" if a.published else "")
                       + "</url>\n" for a in chosen)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"{urls}</urlset>\n")

    def sitemap_index(self) -> str:
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
                f"<sitemap><loc>{self.base}/sitemaps/2025-h1.xml</loc></sitemap>\n"
                f"<sitemap><loc>{self.base}/sitemaps/2025-h2.xml.gz</loc></sitemap>\n</sitemapindex>\n")

    def robots(self) -> str:
        return f"User-agent: *\nDisallow: /private/\n\nSitemap: {self.base}/sitemap_index.xml\n"

    def home(self) -> str:
        links = "".join(f'<li><a href="{a.path}">{html.escape(a.title)}</a></li>' for a in self.public())
        return ('<!DOCTYPE html><html><head><title>GP Frontline</title>'
                '<link rel="alternate" type="application/rss+xml" href="/feed.rss"></head>'
                f"<body><ul>{links}</ul></body></html>")

    # --- requests ---------------------------------------------------------------------------------
    def respond(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for a GET of `path`; 304 is decided by the handler."""
        xml = {"Content-Type": "application/xml; charset=utf-8"}
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, self.robots().encode()
        if path == "/":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self.home().encode()
        if path == "/feed.rss":
            return 200, {"Content-Type": "application/rss+xml; charset=utf-8"}, self.rss().encode()
        if path == "/atom.xml":
            return 200, {"Content-Type": "application/atom+xml"}, self.atom().encode()
        if path == "/sitemap_index.xml":
            return 200, xml, self.sitemap_index().encode()
        if path == "/sitemaps/2025-h1.xml":
            return 200, xml, self.sitemap(1).encode()
        if path == "/sitemaps/2025-h2.xml.gz":
            return 200, {"Content-Type": "application/x-gzip"}, gzip.compress(self.sitemap(2).encode(), mtime=0)
        if path in self.extra:
            status, ctype, body = self.extra[path]
            return status, {"Content-Type": ctype}, body
        with self.lock:
            art = self.articles.get(path)
            if art is not None:
                return 200, {"Content-Type": "text/html; charset=utf-8",
                             "Last-Modified": formatdate(art.modified, usegmt=True)}, art.body.encode()
        if path == "/bad/500":
            return 500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>"
        if path == "/bad/slow":
            time.sleep(self.slow_seconds)
            return 200, {"Content-Type": "text/html"}, b"<html><body><p>slow</p></body></html>"
        if path == "/bad/loop-a":
            return 302, {"Location": "/bad/loop-b"}, b""
        if path == "/bad/loop-b":
            return 302, {"Location": f"{self.base}/bad/loop-a"}, b""
        if path == "/bad/report.pdf":
            return 200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 fictional"
        if path == "/bad/huge":
            filler = "<p>" + "padding text " * 60 + "</p>\n"
            return 200, {"Content-Type": "text/html"}, ("<html><body>" + filler * 600 + "</body></html>").encode()
        if path == "/bad/malformed.xml":
            return 200, {"Content-Type": "application/rss+xml"}, b'<?xml version="1.0"?><rss><channel><item><link>'
        if path == "/bad/offhost.rss":
            body = ('<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                    "<item><title>elsewhere</title><link>http://elsewhere.example/story</link></item>"
                    f"<item><title>here</title><link>{self.base}{self.public()[0].path}</link></item>"
                    "</channel></rss>")
            return 200, {"Content-Type": "application/rss+xml"}, body.encode()
        if path == "/moved":
            return 301, {"Location": self.public()[-1].path}, b""
        if path.startswith("/bad/flaky-"):
            with self.lock:
                left = self.flaky_left.get(path, 1)
                self.flaky_left[path] = left - 1
            if left > 0:
                status = 429 if "429" in path else 503
                return status, {"Retry-After": "1", "Content-Type": "text/plain"}, b"busy"
            return 200, {"Content-Type": "text/html"}, _private_page(self.base).replace("Embargoed", "Recovered").encode()
        return 404, {"Content-Type": "text/html"}, b"<h1>Not found</h1>"

    def requests_for(self, path: str) -> list[Logged]:
        """Logged requests of one path."""
        with self.lock:
            return [r for r in self.log if r.path == path]

    def clear_log(self) -> None:
        with self.lock:
            self.log.clear()

    # --- serving ------------------------------------------------------------------------------------
    def serve(self) -> "FictionalSite":
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                return

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                entry = Logged(path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic())
                with site.lock:
                    site.log.append(entry)
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                try:
                    status, headers, body = site.respond(path)
                    if status == 200:
                        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'  # noqa: S324
                        headers = {**headers, "ETag": etag}
                        inm = self.headers.get("If-None-Match")
                        ims = self.headers.get("If-Modified-Since")
                        if (inm and inm == etag) or (not inm and ims and ims == headers.get("Last-Modified")):
                            status, body = 304, b""
                    entry.status = status
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with site.lock:
                        site.in_flight -= 1

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - a client gave up (timeouts)
                return

        server = Server(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        self._build()
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def _private_page(base: str) -> str:
    return (f'<!DOCTYPE html><html><head><title>Embargoed budget story</title><link rel="canonical" '
            f'href="{base}{PRIVATE}"></head><body><article><h1>Embargoed budget story</h1>'
            "<p>This embargoed story about the practice budget must never be fetched by a crawler that "
            "obeys robots.txt, because the whole private section of the site is disallowed to robots.</p>"
            "<p>It repeats itself so that the extractor has enough text to consider it an article body.</p>"
            "</article></body></html>")


def _iso(date: str) -> str:
    if not date:
        return "2025-07-15T00:00:00Z"
    return date if "T" in date else f"{date}T08:00:00Z"


def _pubdate(date: str) -> str:
    if not date:
        return ""
    from datetime import datetime

    when = datetime.fromisoformat(_iso(date).replace("Z", "+00:00"))
    return f"<pubDate>{formatdate(when.timestamp(), usegmt=True)}</pubDate>"


def page_path(site: FictionalSite, needle: str) -> str:
    """The path of the article whose title contains `needle`."""
    return next(a.path for a in site.public() if needle.lower() in a.title.lower())

