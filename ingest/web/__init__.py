"""Ingest from a publication's website: pages, RSS/Atom feeds and sitemaps, fetched politely
(robots.txt, a named User-Agent, a per-host rate limit and concurrency cap, timeouts, retries
honouring Retry-After, size/redirect/content-type limits) and incrementally (conditional
requests, content hashes and a crawl state in the store folder).

Modules: `config` (CrawlConfig), `fetch` (the polite HTTP client), `robots`, `listings`
(feeds and sitemaps), `page` (HTML to Documents), `state` (the SQLite crawl state),
`crawl` (one crawl into the ingest pipeline), `sync` (sources, schedules).
Nothing here imports `bot`: the front ends pass a `CrawlConfig`.
"""
