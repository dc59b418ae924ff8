-- The crawl store: one SQLite file per run, reports/<run-id>/crawl.sqlite.
-- Documented in docs/store.md; bump SCHEMA_VERSION in readiness/store/__init__.py on change.
-- Facts only: nothing here is a verdict (rules decide those from these facts).

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL            -- JSON
);

-- Every URL the crawl met, once: pages, redirect targets, link targets, sitemap entries.
CREATE TABLE IF NOT EXISTS urls (
    id       INTEGER PRIMARY KEY,
    url      TEXT NOT NULL UNIQUE, -- normalised (w3lib canonicalize_url, host map, tracking params stripped)
    internal INTEGER NOT NULL      -- 1: the site's own URL (crawled); 0: outbound (probed) or non-HTTP
);

-- One row per site URL the crawl decided about: fetched, or deliberately not fetched.
CREATE TABLE IF NOT EXISTS fetches (
    url_id          INTEGER PRIMARY KEY REFERENCES urls(id),
    status          INTEGER,       -- HTTP status; NULL when no response
    error           TEXT,          -- NULL, or: dns refused timeout tls connection too-large
                                   --   robots-blocked excluded max-depth max-pages trap error
    error_detail    TEXT,
    fetched         INTEGER NOT NULL, -- 1 when a request was sent
    robots_blocked  INTEGER NOT NULL DEFAULT 0, -- disallowed by robots.txt (fetched anyway when robots: report)
    location        TEXT,          -- raw Location header of a redirect
    location_url_id INTEGER REFERENCES urls(id),
    ttfb_ms         REAL,          -- request sent -> response headers
    elapsed_ms      REAL,          -- request sent -> whole body received
    bytes           INTEGER,       -- body bytes as transferred (compressed if the server compressed)
    content_type    TEXT,
    depth           INTEGER,       -- crawl depth from the nearest seed (start URL 0, sitemap entries 0)
    discovered_by   TEXT,          -- start sitemap link redirect canonical hreflang meta-refresh
                                   -- variant resource (an image, script or stylesheet of a page)
    discovered_from INTEGER REFERENCES urls(id),
    headers         TEXT,          -- JSON: selected response headers (x-robots-tag, link, content-encoding …)
    retries         INTEGER NOT NULL DEFAULT 0,
    timings         TEXT,          -- JSON [{ttfb_ms, elapsed_ms} | {error}]: the crawl's sample, then
                                   -- quiet re-measurements of slow pages (readiness.crawl.remeasure)
    fetched_at      REAL           -- unix time
);

-- Facts parsed from each HTML page.
CREATE TABLE IF NOT EXISTS pages (
    url_id           INTEGER PRIMARY KEY REFERENCES urls(id),
    title            TEXT,
    meta_description TEXT,
    h1               TEXT,         -- JSON list of strings
    meta_robots      TEXT,         -- content of <meta name=robots|googlebot>, joined with ", "
    x_robots_tag     TEXT,         -- X-Robots-Tag header(s), joined with ", "
    viewport         TEXT,         -- content of <meta name=viewport>, NULL when absent
    lang             TEXT,         -- <html lang>
    meta_refresh     TEXT,         -- raw content of <meta http-equiv=refresh>
    encoding         TEXT,         -- encoding the body was decoded with
    word_count       INTEGER,      -- words of main content (nav/header/footer/aside stripped)
    content_hash     TEXT,         -- blake2b of whitespace-normalised main content
    minhash          BLOB,         -- MinHash signature of main-content word shingles (uint32 x num_perm)
    contact          TEXT,         -- JSON: {"tel": [raw tel: hrefs], "addresses": [text of <address> blocks]}
    structured_data  TEXT          -- JSON: {"json-ld": [...], "microdata": [...], "rdfa": [...],
                                   --        "opengraph": [...], "errors": [{syntax, error, snippet}]}
);

-- The HTML of each 200 page (crawl.store_html), so rules written later — custom YAML rules
-- with CSS/XPath selectors among them — can be run by re-analysing, without re-crawling.
CREATE TABLE IF NOT EXISTS bodies (
    url_id INTEGER PRIMARY KEY REFERENCES urls(id),
    html   BLOB NOT NULL           -- zlib-compressed UTF-8 text of the decoded page
);

-- rel=canonical from the HTML head and from HTTP Link headers.
CREATE TABLE IF NOT EXISTS canonicals (
    page_id   INTEGER NOT NULL REFERENCES urls(id),
    source    TEXT NOT NULL,       -- html (<link> in <head>) | body (outside <head>: ignored by search engines) | header
    raw       TEXT NOT NULL,
    target_id INTEGER REFERENCES urls(id)  -- NULL when raw is not a valid URL
);

CREATE TABLE IF NOT EXISTS hreflang (
    page_id   INTEGER NOT NULL REFERENCES urls(id),
    lang      TEXT NOT NULL,
    raw       TEXT NOT NULL,
    target_id INTEGER REFERENCES urls(id),
    source    TEXT NOT NULL DEFAULT 'html'
);

-- Every link edge, recorded when extracted (not when its target is fetched).
CREATE TABLE IF NOT EXISTS links (
    source_id INTEGER NOT NULL REFERENCES urls(id),
    target_id INTEGER REFERENCES urls(id),  -- NULL when raw is not a valid URL
    raw       TEXT NOT NULL,
    anchor    TEXT,                -- link text, or img alt inside the link
    rel       TEXT,                -- rel attribute as written (nofollow sponsored ugc …)
    element   TEXT NOT NULL,       -- a area link img script iframe; css (a url() in a site stylesheet)
    region    TEXT NOT NULL        -- nav header footer aside main; stylesheet (css edges)
);

CREATE TABLE IF NOT EXISTS sitemaps (
    url_id     INTEGER PRIMARY KEY REFERENCES urls(id),
    parent_id  INTEGER REFERENCES urls(id), -- the sitemap index listing it; NULL for a root
    found_in   TEXT NOT NULL,      -- robots config fallback index
    status     INTEGER,
    error      TEXT,               -- NULL, or dns refused timeout invalid-xml not-a-sitemap too-large …
                                   -- off-site (another host's: recorded, never fetched)
    kind       TEXT,               -- urlset | sitemapindex
    entries    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS sitemap_entries (
    sitemap_id INTEGER NOT NULL REFERENCES urls(id),
    url_id     INTEGER REFERENCES urls(id),
    raw        TEXT NOT NULL,
    lastmod    TEXT
);

CREATE TABLE IF NOT EXISTS robots (
    host       TEXT PRIMARY KEY,   -- netloc the file governs
    url        TEXT NOT NULL,
    status     INTEGER,
    error      TEXT,
    body       TEXT,               -- first 512 KiB
    sitemaps   TEXT,               -- JSON list of Sitemap: lines
    fetched_at REAL
);

-- Stage 2: one row per distinct outbound URL.
CREATE TABLE IF NOT EXISTS probes (
    url_id     INTEGER PRIMARY KEY REFERENCES urls(id),
    verdict    TEXT NOT NULL,      -- ok redirected broken server-error unverifiable timeout
    status     INTEGER,            -- final HTTP status
    error      TEXT,               -- network error class when there was no response
    method     TEXT,               -- HEAD or GET (the request that decided)
    final_url  TEXT,               -- after redirects
    hops       TEXT,               -- JSON [{url, status, location}] of redirects followed
    attempts   INTEGER NOT NULL,
    elapsed_ms REAL,
    cached     INTEGER NOT NULL DEFAULT 0, -- 1 when reused from the cross-run cache
    checked_at REAL NOT NULL
);

-- Host and scheme variants of the home page and a sample of templates (http/https ×
-- www/non-www × trailing slash × /index.html), requested once each when the crawl is done,
-- never parsed as pages nor followed, so the canonical rules can tell whether every variant
-- redirects in one hop to the real URL. A variant URL nothing on the site points to has no
-- fetches row: page rules never judge URLs the crawl made up.
CREATE TABLE IF NOT EXISTS variants (
    url_id      INTEGER PRIMARY KEY REFERENCES urls(id),  -- the variant URL as requested
    of_url_id   INTEGER NOT NULL REFERENCES urls(id),     -- the crawled page it is a variant of
    kind        TEXT NOT NULL,     -- scheme host slash index (comma-joined when combined)
    status      INTEGER,
    location    TEXT,              -- raw Location when it redirects
    location_url_id INTEGER REFERENCES urls(id),
    error       TEXT,              -- dns refused timeout tls … when there was no response;
                                   -- "see-fetch": a URL the site itself leads to, crawled as
                                   -- a page: its answer is in fetches
    canonical_url_id INTEGER REFERENCES urls(id)  -- a 2xx HTML answer's one declared canonical
);
