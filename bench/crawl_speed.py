"""Speed and memory of `readiness check` vs. a bare Scrapy spider, on a synthetic site served by nginx.

    .venv/bin/python bench/crawl_speed.py                          # N = 1000 and 20000
    .venv/bin/python bench/crawl_speed.py --sizes 500              # quick run
    .venv/bin/python bench/crawl_speed.py --before ../i10-base     # before/after, same run
    .venv/bin/python bench/crawl_speed.py --crawlers bare          # baseline only
    .venv/bin/python bench/crawl_speed.py --profile                # + pyinstrument profile

For every size N it writes a site of N realistic pages (~13 KB each, every page reachable from
``/`` within a few clicks, robots.txt, sitemap.xml, ~1 page in 10 linking to an outbound host),
plus two pages of ~3 MB of text and everyday defects on a share of pages (so the reports are
as large as a real site's), serves it with nginx on 127.0.0.1 (the outbound host on
127.0.0.2), and runs, one after the other: the bare spider (bench/bare_spider.py), then for
each readiness checkout `readiness check` (crawl + analysis + every report) and
`readiness analyze` of the store it wrote. Each command's whole process tree (crawl process
and parse workers) is sampled from /proc; its own and its children's CPU time are read before
it is reaped. One Markdown table: pages/s, ratio to the bare spider, CPU ms/page per process,
tree RSS, analysis seconds, report sizes; then the issue's targets.

Nothing here installs anything, and only loopback addresses are contacted. See bench/README.md.
Run by hand; this is not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BARE_SPIDER = Path(__file__).resolve().parent / "bare_spider.py"

SITE_HOST = "127.0.0.1"
OUTBOUND_HOST = "127.0.0.2"
# Loopback is private to the crawl's address guard unless named: the outbound host is
# allowed through the environment (older checkouts ignore it; a config key would not parse).
os.environ.setdefault("READINESS_ALLOW_PRIVATE", f"{OUTBOUND_HOST}/32")
DEFAULT_SIZES = (1000, 20000)

# The targets (issue 10, "Speed and memory"), for `readiness check`.
TARGET_AT = 20000
TARGET_BARE_RATIO = 1.4
TARGET_TREE_RSS_MB = {20000: 300.0, 100000: 500.0}
TARGET_ANALYZE_SECONDS = {20000: 10.0, 100000: 60.0}
TARGET_REPORT_MB = 5.0

READINESS_CONFIG = """\
crawl:
  concurrency: 16
  max_pages: 1000000
  probe: {delay: 0, cache_ttl_hours: 0}
"""

# --------------------------------------------------------------------------------------------
# The synthetic site
# --------------------------------------------------------------------------------------------

WORDS = """
the of and to in is that for it as with was on be by this are from at or an have not which
but all were when we there can more if will one about so their has would what out up them
some into time only other its new these two may then first any like now such our over also
after most could through where much before should well each just those how very here even
back good because used same however many while both part might still between around under
never another again since without small large system process result example number point
place state case group problem fact hand world area company program question work government
week life day system service market price value customer product team project design report
research data analysis model method theory practice policy strategy growth level quality
performance management development experience information technology network content search
engine page link site website traffic audience brand campaign article guide review update
launch plan budget cost revenue profit sales lead conversion funnel keyword ranking index
crawl sitemap robot canonical redirect header footer navigation structure schema markup
mobile desktop speed image video text title description summary detail section chapter
topic theme idea concept approach solution tool platform framework library feature option
setting version release change issue fix test check measure track monitor improve increase
reduce build create publish share follow connect support help learn teach explain describe
understand consider choose decide start finish continue provide include require allow offer
simple complex modern classic local global public private open closed early late recent
important common special general specific clear strong weak high low fast slow easy hard
careful quick recent useful helpful practical technical social digital natural central
garden kitchen travel river mountain coffee bicycle harbour village festival winter summer
autumn spring weather ocean forest island bridge castle market museum theatre library school
""".split()

NAV_COUNT = 15       # pages 1..15 are the hubs every page's <nav> links to
FOOTER_PAGES = (16, 17, 18, 19, 20)
FOOTER_NAMES = ("About us", "Contact", "Privacy", "Terms", "Careers")
BRANCHING = 10       # tree: children of page i are BRANCHING*i+1 .. BRANCHING*i+BRANCHING
CONTENT_LINKS = 20   # in-content links per page (tree children + seeded random pages)
OUTBOUND_KEYS = 50   # outbound URLs are /ext/0 .. /ext/49, so they repeat
IMAGES = 20
BIG_PAGES = 2        # pages of ~3 MB of text, linked from the home page (--big-pages)
GONE_PAGES = 997     # /gone/<k>.html answer 404
# With defects (the default; --no-defects for a clean site): 1 page in 3 has a title over 60
# characters, 1 in 5 no meta description, 1 in 7 an image without alt, 1 in 10 a link to a
# page that is gone, 1 in 10 a link through a redirect, 1 in 50 a link to a missing outbound page.
BIG_PAGE_BYTES = 3_000_000

CSS = """
:root{--fg:#1d1f23;--muted:#5b6270;--accent:#0b63c5;--bg:#ffffff;--line:#e3e6ea}
*{box-sizing:border-box}html{font-size:16px;-webkit-text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg);line-height:1.6}
a{color:var(--accent);text-decoration:none}a:hover,a:focus{text-decoration:underline}
.site-header{display:flex;align-items:center;justify-content:space-between;padding:1rem 2rem;border-bottom:1px solid var(--line)}
.site-header .logo img{height:40px;width:auto;display:block}
.site-nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.site-nav a{color:var(--fg);font-weight:500;font-size:.95rem;padding:.25rem 0}
.breadcrumbs{font-size:.85rem;color:var(--muted);margin:1rem 2rem}.breadcrumbs a{color:var(--muted)}
main{max-width:72rem;margin:0 auto;padding:1rem 2rem 3rem;display:grid;grid-template-columns:minmax(0,3fr) minmax(0,1fr);gap:3rem}
article h1{font-size:2.2rem;line-height:1.2;margin:.5rem 0 1rem}article h2{font-size:1.4rem;margin:2rem 0 .75rem}
article p{margin:0 0 1rem}article figure{margin:1.5rem 0}article figure img{max-width:100%;height:auto;border-radius:6px}
article figcaption{font-size:.85rem;color:var(--muted)}.byline{color:var(--muted);font-size:.9rem}
.related h3{font-size:1rem;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.related ul{list-style:none;padding:0;margin:0}.related li{padding:.4rem 0;border-bottom:1px solid var(--line)}
.site-footer{border-top:1px solid var(--line);padding:2rem;color:var(--muted);font-size:.9rem}
.site-footer ul{list-style:none;padding:0;margin:0 0 1rem;display:flex;gap:1.5rem;flex-wrap:wrap}
.cookie-banner{position:fixed;bottom:0;left:0;right:0;background:#111;color:#eee;padding:1rem 2rem;display:none}
.cookie-banner.show{display:flex;justify-content:space-between;align-items:center}
.btn{display:inline-block;padding:.5rem 1rem;border-radius:4px;background:var(--accent);color:#fff;border:0;cursor:pointer}
@media (max-width:800px){main{grid-template-columns:1fr;gap:1rem;padding:1rem}.site-header{flex-direction:column;gap:.5rem;padding:1rem}.site-nav ul{justify-content:center}}
@media print{.site-nav,.site-footer,.cookie-banner,.related{display:none}a{color:#000}}
""".strip()

ICONS = "\n".join(
    f'    <symbol id="icon-{name}" viewBox="0 0 24 24"><path d="M{3 + k % 5} {4 + k % 7}h{10 + k % 4}'
    f'v{8 + k % 3}H{3 + k % 5}z M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20z M{6 + k} 12l4 4l8-8"/></symbol>'
    for k, name in enumerate(("search", "menu", "close", "arrow", "share", "mail", "rss", "user",
                              "home", "star", "clock", "tag", "chat", "heart"))
)

SCRIPT = """
(function(){var k='cookie-consent';try{if(!localStorage.getItem(k)){var b=document.querySelector('.cookie-banner');
if(b){b.classList.add('show');b.querySelector('button').addEventListener('click',function(){localStorage.setItem(k,'1');
b.classList.remove('show');});}}}catch(e){}
window.dataLayer=window.dataLayer||[];function g(){dataLayer.push(arguments);}g('js',new Date());g('config','BENCH-0000');
document.querySelectorAll('a[href^="http"]').forEach(function(a){if(a.host!==location.host){a.setAttribute('target','_blank');}});})();
""".strip()


def page_path(i: int) -> str:
    if i == 0:
        return "/"
    if i <= NAV_COUNT:
        return f"/hub-{i}/"
    return f"/section-{i % 12}/article-{i}.html"


def big_page_path(k: int) -> str:
    return f"/long/read-{k}.html"


def render_big_page(k: int, seed: int, size: int = BIG_PAGE_BYTES) -> str:
    """A page of about ``size`` bytes of running text (~430,000 words at 3 MB): the weight that
    shows whether per-page work, such as the duplicate-content fingerprint, stays bounded."""
    rng = random.Random(seed * 7_919 + k)
    head = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n'
            f"  <title>The long read {k} — Bench Co.</title>\n</head>\n<body>\n<main>\n"
            f"  <h1>The long read {k}</h1>\n")
    tail = '  <p><a href="/">Home</a></p>\n</main>\n</body>\n</html>\n'
    paragraphs, length = [], len(head) + len(tail)
    while length < size:
        paragraph = "  <p>" + " ".join(_sentence(rng) for _ in range(8)) + "</p>\n"
        paragraphs.append(paragraph)
        length += len(paragraph)
    return head + "".join(paragraphs) + tail


def page_file(site: Path, i: int) -> Path:
    path = page_path(i)
    return site / (path.lstrip("/") + "index.html" if path.endswith("/") else path.lstrip("/"))


def _title(i: int, rng: random.Random) -> str:
    if i == 0:
        return "Bench Co. — home"
    words = [w.capitalize() for w in rng.sample(WORDS, 4)]
    return f"{' '.join(words)} — page {i}"


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 16))
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def render_page(i: int, n: int, base: str, outbound_base: str, seed: int,
                big_pages: int = 0, defects: bool = True) -> str:
    """Page ``i``. With ``defects``, a share of pages carry the everyday problems a real site
    has (GONE_PAGES), so the reports hold tens of thousands of findings at N = 20,000."""
    rng = random.Random(seed * 1_000_003 + i)
    title = _title(i, rng)
    if defects and i % 3 == 1:
        title += " and a longer title that runs well past sixty characters"
    description = " ".join(rng.choices(WORDS, k=22)).capitalize() + "."
    description_tag = (f'\n  <meta name="description" content="{description}">'
                       if not (defects and i % 5 == 2) else "")
    alt = "" if defects and i % 7 == 3 else f' alt="{{heading}}"'
    url = base + page_path(i)

    nav = "\n".join(
        f'      <li><a href="{page_path(h)}">{WORDS[(h * 7) % len(WORDS)].capitalize()} '
        f'{WORDS[(h * 13) % len(WORDS)]}</a></li>'
        for h in range(1, NAV_COUNT + 1) if h < n
    )

    # In-content links: tree children first (so everything is reachable from /), then a link up
    # to the parent and seeded random pages until CONTENT_LINKS.
    targets = [c for c in range(BRANCHING * i + 1, BRANCHING * i + BRANCHING + 1) if c < n]
    if i:
        targets.append((i - 1) // BRANCHING)
    while len(targets) < CONTENT_LINKS:
        t = rng.randrange(n)
        if t != i:
            targets.append(t)
    rng.shuffle(targets)
    links = [
        f'<a href="{page_path(t)}">{" ".join(rng.choices(WORDS, k=rng.randint(2, 5)))}</a>'
        for t in targets
    ]
    if i % 10 == 7:
        k = rng.randrange(OUTBOUND_KEYS)
        links.append(f'<a href="{outbound_base}/ext/{k}" rel="noopener">source {k}</a>')
    if i == 0:
        links += [f'<a href="{big_page_path(k)}">the long read {k}</a>' for k in range(big_pages)]
    if defects and i % 10 == 4:  # a page that is gone, linked from a few pages each
        links.append(f'<a href="/gone/{i % GONE_PAGES}.html">an old offer</a>')
    if defects and i % 10 == 6:  # an internal link through a redirect
        t = rng.randrange(NAV_COUNT + 1, n) if n > NAV_COUNT + 1 else 0
        links.append(f'<a href="/moved{page_path(t)}">moved page {t}</a>')
    if defects and i % 50 == 5:
        links.append(f'<a href="{outbound_base}/missing/{i % 20}">a source that is gone</a>')

    # ~400 words of text in paragraphs, the links sprinkled into them.
    paragraphs: list[str] = []
    words = 0
    link_iter = iter(links)
    while words < 400:
        sentences = [_sentence(rng) for _ in range(rng.randint(3, 5))]
        words += sum(s.count(" ") + 1 for s in sentences)
        extra = []
        for _ in range(3):
            link = next(link_iter, None)
            if link:
                extra.append(f"See {link}.")
        paragraphs.append("      <p>" + " ".join(sentences + extra) + "</p>")
    remaining = list(link_iter)
    related = "\n".join(f"          <li>{a}</li>" for a in remaining)
    heading = " ".join(w.capitalize() for w in rng.sample(WORDS, 3))
    mid = len(paragraphs) // 2
    body = "\n".join(paragraphs[:mid]) + f"\n      <h2>{heading}</h2>\n" + "\n".join(paragraphs[mid:])

    footer = "\n".join(
        f'      <li><a href="{page_path(p)}">{name}</a></li>'
        for p, name in zip(FOOTER_PAGES, FOOTER_NAMES) if p < n
    )
    img = i % IMAGES
    org = json.dumps({
        "@context": "https://schema.org", "@type": "Organization", "name": "Bench Co.",
        "url": base + "/", "logo": base + "/img/logo.svg",
        "sameAs": ["https://example.org/benchco", "https://example.net/@benchco"],
        "contactPoint": {"@type": "ContactPoint", "contactType": "customer service",
                         "telephone": "+1-555-0100"},
    }, indent=1)
    crumbs = f'<a href="/">Home</a> › <a href="{page_path(1 + i % NAV_COUNT)}">Hub</a> › {title}'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{title}</title>{description_tag}
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="canonical" href="{url}">
  <link rel="icon" href="/img/logo.svg">
  <meta property="og:title" content="{title}">
  <meta property="og:type" content="article">
  <meta property="og:url" content="{url}">
  <meta property="og:description" content="{description}">
  <meta property="og:image" content="{base}/img/photo-{img}.jpg">
  <meta property="og:site_name" content="Bench Co.">
  <meta name="twitter:card" content="summary_large_image">
  <meta name="twitter:title" content="{title}">
  <meta name="twitter:description" content="{description}">
  <meta name="theme-color" content="#0b63c5">
  <link rel="preload" href="/img/logo.svg" as="image">
  <style>
{CSS}
  </style>
  <script type="application/ld+json">
{org}
  </script>
</head>
<body>
  <svg xmlns="http://www.w3.org/2000/svg" style="display:none" aria-hidden="true">
{ICONS}
  </svg>
  <header class="site-header">
    <a class="logo" href="/"><img src="/img/logo.svg" alt="Bench Co." width="120" height="40"></a>
    <nav class="site-nav" aria-label="Main">
     <ul>
{nav}
     </ul>
    </nav>
  </header>
  <div class="breadcrumbs">{crumbs}</div>
  <main>
    <article>
      <h1>{title}</h1>
      <p class="byline">By the Bench Co. editorial team · updated 2024-0{1 + i % 9}-1{i % 10}</p>
      <figure><img src="/img/photo-{img}.jpg"{alt.format(heading=heading)} width="800" height="450" loading="lazy">
        <figcaption>{heading}</figcaption></figure>
{body}
    </article>
    <aside class="related">
      <h3>Related</h3>
      <ul>
{related}
      </ul>
      <form class="newsletter" action="/subscribe" method="post">
        <label for="nl-email">Get the weekly digest</label>
        <input id="nl-email" type="email" name="email" placeholder="you@example.com" required>
        <button class="btn" type="submit">Subscribe</button>
      </form>
    </aside>
  </main>
  <footer class="site-footer">
    <ul>
{footer}
    </ul>
    <address>Bench Co., 1 Example Street, Springfield · <a href="mailto:hello@example.com">hello@example.com</a></address>
    <p>© 2024 Bench Co. All rights reserved.</p>
  </footer>
  <div class="cookie-banner" role="dialog"><span>We use cookies.</span><button class="btn">OK</button></div>
  <script>
{SCRIPT}
  </script>
</body>
</html>
"""


def generate_site(site: Path, n: int, base: str, outbound_base: str, seed: int,
                  big_pages: int = BIG_PAGES, defects: bool = True) -> dict:
    site.mkdir(parents=True, exist_ok=True)
    (site / "img").mkdir(exist_ok=True)
    (site / "img" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" '
        'height="40" fill="#0b63c5"/></svg>\n')
    for k in range(IMAGES):
        # Not a real JPEG; nothing in the benchmark decodes images.
        (site / "img" / f"photo-{k}.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(2000))
    total = 0
    for i in range(n):
        path = page_file(site, i)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = render_page(i, n, base, outbound_base, seed, big_pages, defects).encode("utf-8")
        path.write_bytes(data)
        total += len(data)
    for k in range(big_pages):
        path = site / big_page_path(k).lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_big_page(k, seed), encoding="utf-8")
    (site / "robots.txt").write_text(
        f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n")
    with open(site / "sitemap.xml", "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                 '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n')
        for i in range(n):
            fh.write(f"  <url><loc>{base}{page_path(i)}</loc>"
                     f"<lastmod>2024-0{1 + i % 9}-1{i % 10}</lastmod></url>\n")
        fh.write("</urlset>\n")
    return {"pages": n, "bytes": total, "avg_kb": total / n / 1024}


def max_click_depth(n: int) -> int:
    """Depth of the deepest page along the tree alone (random links only make it shallower)."""
    depth, last = 0, 0
    while last < n - 1:
        last = BRANCHING * last + BRANCHING
        depth += 1
    return depth


# --------------------------------------------------------------------------------------------
# nginx
# --------------------------------------------------------------------------------------------

NGINX_CONF = """\
worker_processes 2;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path {tmp}/nginx-temp/body;
    proxy_temp_path {tmp}/nginx-temp/proxy;
    fastcgi_temp_path {tmp}/nginx-temp/fastcgi;
    uwsgi_temp_path {tmp}/nginx-temp/uwsgi;
    scgi_temp_path {tmp}/nginx-temp/scgi;
    default_type application/octet-stream;
    types {{
        text/html html;
        text/plain txt;
        application/xml xml;
        image/svg+xml svg;
        image/jpeg jpg;
    }}
    server {{
        listen {site_host}:{port};
        server_name _;
        root {site};
        index index.html;
        location / {{ try_files $uri $uri/ =404; }}
        location /moved/ {{ rewrite ^/moved(/.*)$ $1 permanent; }}
    }}
    server {{
        listen {outbound_host}:{port2};
        server_name _;
        location / {{ default_type text/plain; return 200 "ok\\n"; }}
        location /missing/ {{ return 404; }}
    }}
}}
"""


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, proc: subprocess.Popen, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {host}:{port} within {timeout}s")


class Nginx:
    def __init__(self, binary: str, tmp: Path, site: Path, port: int, port2: int) -> None:
        self.binary = binary
        self.tmp = tmp
        self.site = site
        self.port = port
        self.port2 = port2
        self.proc: subprocess.Popen | None = None
        self.conf = tmp / f"nginx-{port}.conf"

    def start(self) -> None:
        (self.tmp / "nginx-temp").mkdir(exist_ok=True)
        self.conf.write_text(NGINX_CONF.format(
            tmp=self.tmp, site=self.site, site_host=SITE_HOST, port=self.port,
            outbound_host=OUTBOUND_HOST, port2=self.port2))
        # -e: errors before the config is read go here too, not to /var/log/nginx.
        self.proc = subprocess.Popen(
            [self.binary, "-p", str(self.tmp), "-c", str(self.conf),
             "-e", str(self.tmp / "nginx-error.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_for_port(SITE_HOST, self.port, self.proc)
            wait_for_port(OUTBOUND_HOST, self.port2, self.proc)
        except RuntimeError:
            self.stop()
            log = self.tmp / "nginx-error.log"
            print(log.read_text() if log.exists() else "", file=sys.stderr)
            raise

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful shutdown of master + workers
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None


async def _burst(host: str, port: int, paths: list[str], connections: int,
                 seconds: float) -> tuple[int, int]:
    """Keep-alive GETs on `connections` connections for `seconds`; returns (requests, bytes)."""
    deadline = time.perf_counter() + seconds
    counts = [0, 0]

    async def worker(w: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        rng = random.Random(w)
        try:
            while time.perf_counter() < deadline:
                path = rng.choice(paths)
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"{path}: {head[:40]!r}")
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
                await reader.readexactly(length)
                counts[0] += 1
                counts[1] += length
        finally:
            writer.close()

    await asyncio.gather(*(worker(w) for w in range(connections)))
    return counts[0], counts[1]


def nginx_capacity(port: int, n: int, seconds: float = 2.0) -> dict:
    """Requests/s nginx serves the site pages at. Uses wrk if installed, else an asyncio client
    (which is itself the limit, so the real capacity is higher still)."""
    paths = [page_path(i) for i in range(0, n, max(1, n // 500))]
    wrk = shutil.which("wrk")
    if wrk:
        out = subprocess.run(
            [wrk, "-t2", "-c32", f"-d{int(max(seconds, 1))}s", f"http://{SITE_HOST}:{port}/hub-1/"],
            capture_output=True, text=True, timeout=60).stdout
        m = re.search(r"Requests/sec:\s*([\d.]+)", out)
        if m:
            return {"client": "wrk -t2 -c32 (one page)", "rps": float(m.group(1)), "mb_s": None}
    t0 = time.perf_counter()
    requests, nbytes = asyncio.run(_burst(SITE_HOST, port, paths, 32, seconds))
    elapsed = time.perf_counter() - t0
    return {"client": "python asyncio, 32 keep-alive connections", "rps": requests / elapsed,
            "mb_s": nbytes / elapsed / 1e6}


# --------------------------------------------------------------------------------------------
# Running and measuring a crawler
# --------------------------------------------------------------------------------------------

@dataclass
class Run:
    crawler: str                         # "bare" or a readiness checkout's label
    n: int
    returncode: int | None = None
    seconds: float = 0.0
    pages: int | None = None
    rss_mb: float | None = None          # ru_maxrss of the process itself (os.wait4)
    tree_rss_mb: float | None = None     # peak of the whole tree's summed RSS (sampled)
    process_hwm_mb: dict[str, float] = field(default_factory=dict)  # role -> VmHWM peak
    self_cpu: float | None = None        # user + system of the process itself
    # ... by the end of the crawl loop (start-up included, analysis and reports not): the
    # last /proc sample before the store's finished_at. None for the bare spider.
    crawl_self_cpu: float | None = None
    cpu_samples: list[tuple[float, float]] = field(default_factory=list)  # (epoch s, CPU s)
    children_cpu: float | None = None    # ... of the descendants it reaped (parse workers)
    sampled_children_cpu: dict[int, float] = field(default_factory=dict)  # pid -> CPU s
    descendants: int = 0                 # most processes seen under it at once
    loop_seconds: float | None = None    # spider opened -> closed (the rest is start-up,
    store_mb: float | None = None        # analysis, reports and shutdown)
    report_mb: float | None = None
    findings_mb: float | None = None
    analyze: "Run | None" = None         # `readiness analyze` of the same store, measured alone
    load: tuple[float, float] | None = None  # 1-min load average before and after
    stdout: Path | None = None
    stderr: Path | None = None
    notes: list[str] = field(default_factory=list)
    detail: str = ""                     # crawler-specific counts for the progress line

    @property
    def pages_per_second(self) -> float | None:
        return self.pages / self.seconds if self.pages is not None and self.seconds else None

    @property
    def loop_pages_per_second(self) -> float | None:
        return self.pages / self.loop_seconds if self.pages and self.loop_seconds else None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.1


def _proc_status_mb(pid: int, key: str) -> float | None:
    """VmRSS / VmHWM of one process from /proc/<pid>/status, in MB; None once it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(key.encode() + b":"):
                    return int(line.split()[1]) / 1024  # kB
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (/proc/<pid>/task/*/children, recursively)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except FileNotFoundError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            found += kids
            todo += kids
    return found


def _watch(pid: int, stop: threading.Event, run: Run) -> None:
    """Sample the whole process tree from /proc every SAMPLE_SECONDS: the peak of the summed
    RSS (crawl process + parse workers at one instant) and each process's own high-water mark."""
    while not stop.is_set():
        own_cpu = _process_cpu(pid)
        if own_cpu is not None:
            run.cpu_samples.append((time.time(), own_cpu[0]))
        kids = _children(pid)
        total = 0.0
        for role, proc in [("main", pid)] + [("workers", k) for k in kids]:
            rss = _proc_status_mb(proc, "VmRSS")
            hwm = _proc_status_mb(proc, "VmHWM")
            if rss is None:
                continue
            total += rss
            if hwm is not None:
                run.process_hwm_mb[role] = max(run.process_hwm_mb.get(role, 0.0), hwm)
            if role == "workers":
                cpu = _process_cpu(proc)
                if cpu is not None:
                    run.sampled_children_cpu[proc] = cpu[0]
        if total:
            run.tree_rss_mb = max(run.tree_rss_mb or 0.0, total)
        run.descendants = max(run.descendants, len(kids))
        stop.wait(SAMPLE_SECONDS)


def _process_cpu(pid: int) -> tuple[float, float] | None:
    """(own CPU s, reaped descendants' CPU s) of a process, also of an exited one not yet
    reaped (a zombie keeps its /proc/<pid>/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None
    utime, stime, cutime, cstime = (int(v) / CLOCK_TICKS for v in fields[11:15])
    return utime + stime, cutime + cstime


def run_measured(run: Run, cmd: list[str], logdir: Path, timeout: float, cwd: Path = REPO,
                 tag: str = "") -> Run:
    """Run ``cmd`` as a child; sample its process tree; when it exits, read its own and its
    reaped descendants' CPU time before reaping it with os.wait4 (which gives ru_maxrss)."""
    run.stdout = logdir / f"{run.crawler}{tag}-{run.n}.stdout"
    run.stderr = logdir / f"{run.crawler}{tag}-{run.n}.stderr"
    load_before = os.getloadavg()[0]
    with open(run.stdout, "wb") as out, open(run.stderr, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(proc.pid, stop, run), daemon=True)
    watcher.start()

    def kill_on_timeout() -> None:
        # Not proc.poll()/proc.kill(): polling could reap the child and lose its rusage.
        if not stop.is_set():
            run.notes.append(f"killed after the {timeout:.0f}s timeout")
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)

    killer = threading.Timer(timeout, kill_on_timeout)
    killer.start()
    try:
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        run.seconds = time.perf_counter() - t0
        cpu = _process_cpu(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        stop.set()
        killer.cancel()
    proc.returncode = run.returncode = os.waitstatus_to_exitcode(status)
    watcher.join()
    run.load = (load_before, os.getloadavg()[0])
    run.rss_mb = usage.ru_maxrss / 1024  # KB on Linux
    if cpu is not None:
        run.self_cpu, run.children_cpu = cpu
        # A parse worker the crawl never reaped (Twisted reaps on SIGCHLD only) is not in
        # cutime: its CPU at the last sample is then the figure, a lower bound.
        run.children_cpu = max(run.children_cpu, sum(run.sampled_children_cpu.values()))
    else:
        run.self_cpu = usage.ru_utime + usage.ru_stime
        run.notes.append("no /proc stat of the exited process: CPU s includes its children")
    run.tree_rss_mb = max(run.tree_rss_mb or 0.0, run.rss_mb)
    return run


def run_bare(n: int, url: str, logdir: Path, timeout: float, kind: str) -> Run:
    args = [url] if kind == "bare-linkextractor" else ["--seen-set", url]
    run = run_measured(Run(kind, n), [sys.executable, str(BARE_SPIDER), *args], logdir, timeout)
    if run.returncode != 0:
        _note_failure(run)
    stats = None
    for line in reversed(run.stdout.read_text(errors="replace").splitlines()):
        if line.startswith("{"):
            stats = json.loads(line)
            break
    if stats is None:
        run.notes.append("no stats line from bare_spider.py")
    else:
        run.pages = stats.get("response_received_count", 0)
        run.loop_seconds = stats.get("elapsed_time_seconds")
        run.detail = f"{stats.get('dupefilter/filtered', 0):,} requests dropped by the dupefilter"
    return run


def _note_failure(run: Run) -> None:
    tail = run.stderr.read_text(errors="replace").strip().splitlines()[-3:]
    run.notes.append(f"exit {run.returncode}; end of stderr: " + " | ".join(tail))


def readiness_binary(code: Path = REPO) -> Path | None:
    candidate = code / ".venv" / "bin" / "readiness"
    if candidate.exists():
        return candidate
    if code == REPO:
        here = Path(sys.executable).parent / "readiness"
        found = here if here.exists() else shutil.which("readiness")
        return Path(found) if found else None
    return None


def readiness_available(code: Path = REPO) -> tuple[bool, str]:
    binary = readiness_binary(code)
    if binary is None:
        return False, f"no readiness executable in {code}/.venv (make .venv/bin/.installed)"
    try:
        res = subprocess.run([str(binary), "check", "--help"], capture_output=True, text=True,
                             timeout=60, cwd=code)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{binary} check --help: {exc}"
    if res.returncode != 0:
        tail = (res.stderr or res.stdout).strip().splitlines()[-1:] or [""]
        return False, f"`{binary} check --help` exited {res.returncode}: {tail[0]}"
    return True, str(binary)


# `readiness check` exits 1 when findings fail the gate: the benchmark site has some.
CHECK_EXIT_CODES = (0, 1)


def store_stats(run: Run, out: Path) -> None:
    """Pages fetched (the crawl's own summary line), the store's size and the crawl loop's
    span, read with plain sqlite3 so another checkout's store reads the same way."""
    import sqlite3

    m = re.search(r"^crawl: (\d+) URLs fetched", run.stdout.read_text(errors="replace"), re.M)
    if m:
        run.pages = int(m.group(1))
    store = out / "crawl.sqlite"
    if not store.exists():
        run.notes.append(f"no crawl store at {store}")
        return
    wal = store.with_name(store.name + "-wal")
    run.store_mb = (store.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1e6
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        try:
            meta = dict(db.execute("SELECT key, value FROM meta"))
            if run.pages is None:  # `check --quiet` no longer prints its "crawl:" line
                run.pages = db.execute(
                    "SELECT COUNT(*) FROM fetches WHERE fetched = 1").fetchone()[0]
        except sqlite3.Error as exc:
            run.notes.append(f"meta not read: {exc}")
            return
    try:
        finished_at = float(json.loads(meta["finished_at"]))
        run.loop_seconds = finished_at - float(json.loads(meta["started_at"]))
    except (KeyError, TypeError, ValueError):
        run.notes.append("no started_at/finished_at in the store's meta (crawl killed?)")
        return
    before_end = [cpu for at, cpu in run.cpu_samples if at <= finished_at]
    run.crawl_self_cpu = before_end[-1] if before_end else None


def readiness_crawl_args(url: str, tmp: Path, out: Path, command: str = "crawl") -> list[str]:
    """`readiness crawl|check` arguments, the same for every checkout and the profiled crawl."""
    config = tmp / "readiness-bench.yaml"
    if not config.exists():
        config.write_text(READINESS_CONFIG)
    return [command, url, "--config", str(config), "--out", str(out)]


def run_readiness(label: str, code: Path, n: int, url: str, tmp: Path, logdir: Path,
                  timeout: float) -> Run:
    """`readiness check` (crawl + analysis + every report) of one checkout, then
    `readiness analyze` of the store it wrote, measured on its own."""
    # A folder of its own, so no earlier run of the site is "the previous run" to compare with.
    out = tmp / f"runs-{label}-{n}" / "run"
    binary = str(readiness_binary(code))
    cmd = [binary, *readiness_crawl_args(url, tmp, out, "check"), "--quiet"]
    run = run_measured(Run(label, n), cmd, logdir, timeout, cwd=code)
    if run.returncode not in CHECK_EXIT_CODES:
        _note_failure(run)
    store_stats(run, out)
    for name, attr in (("report.html", "report_mb"), ("findings.json", "findings_mb")):
        if (out / name).exists():
            setattr(run, attr, (out / name).stat().st_size / 1e6)
    if (out / "crawl.sqlite").exists():
        analyze = run_measured(Run(label, n), [binary, "analyze", str(out), "--config",
                                               str(tmp / "readiness-bench.yaml")],
                               logdir, timeout, cwd=code, tag="-analyze")
        if analyze.returncode not in CHECK_EXIT_CODES:
            _note_failure(analyze)
            run.notes += analyze.notes
        run.analyze = analyze
    return run



def profile_readiness(n: int, url: str, tmp: Path, profile_out: Path, timeout: float) -> list[Path]:
    """The same crawl under pyinstrument (or py-spy if pyinstrument is missing); not measured.

    pyinstrument records a session (``<out>.pyisession``, reopen it with ``pyinstrument --load``)
    rendered as ``<out>.txt``, the call tree of readiness's own code (library frames folded),
    and summarised in ``<out>-summary.txt`` (see summarize_profile).
    """
    binary = str(readiness_binary())
    crawl_args = readiness_crawl_args(url, tmp, tmp / f"run-{n}-profile")
    log = tmp / f"profile-{n}.log"
    profile_out.parent.mkdir(parents=True, exist_ok=True)
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        py_spy = shutil.which("py-spy")
        if not py_spy:
            raise RuntimeError("--profile needs pyinstrument (pip install -e '.[bench]') or py-spy")
        target = profile_out.with_suffix(".speedscope.json")
        cmd = [py_spy, "record", "-f", "speedscope", "-o", str(target), "--",
               sys.executable, binary, *crawl_args]
        with open(log, "wb") as fh:
            subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO, timeout=timeout)
        return [target]
    session = profile_out.with_suffix(".pyisession")
    tree = profile_out.with_suffix(".txt")
    summary = profile_out.with_name(profile_out.stem + "-summary.txt")
    # Profile the console script itself, so this works whatever readiness.cli looks like.
    pyi = [sys.executable, "-m", "pyinstrument"]
    steps = [
        [*pyi, "-r", "pyisession", "-o", str(session), binary, *crawl_args],
        [*pyi, "--load", str(session), "-r", "text", "-o", str(tree)],
    ]
    with open(log, "wb") as fh:
        for cmd in steps:
            subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, cwd=REPO, timeout=timeout)
    if not session.exists():
        print(f"   profiling failed:\n{log.read_text(errors='replace')[-2000:]}", file=sys.stderr)
        return []
    summary.write_text(summarize_profile(session))
    return [p for p in (summary, tree, session) if p.exists()]


def _package(path: str | None) -> str | None:
    """'scrapy' for .../site-packages/scrapy/core/engine.py, 'asyncio' for .../python3.11/asyncio/
    tasks.py, 'readiness' for the repo's own code; None for C functions and synthetic frames."""
    if not path or path.startswith("<built-in>"):
        return None
    if path.startswith(str(REPO / "readiness")):
        return "readiness"
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if path.startswith("<frozen"):
        return "importlib" if "importlib" in path else path.strip("<>").split()[-1]
    stdlib = Path(os.__file__).parent
    if path.startswith(str(stdlib)):
        return "stdlib:" + path[len(str(stdlib)) + 1:].split("/", 1)[0].removesuffix(".py")
    return Path(path).stem


def summarize_profile(session_path: Path, top: int = 12) -> str:
    """Where the time goes, from a pyinstrument session: startup vs. the crawl loop; inside the
    loop, readiness's own code (grouped by its outermost function, libraries it calls
    included) vs. the Scrapy/Twisted/asyncio machinery (grouped by the package of the code
    that was running)."""
    from collections import Counter

    from pyinstrument.session import Session

    session = Session.load(session_path)
    root = session.root_frame()
    total = root.time
    loop_time = 0.0
    readiness_by_entry: Counter = Counter()
    readiness_leaf: Counter = Counter()
    machinery: Counter = Counter()
    startup: Counter = Counter()

    def name(frame) -> str:
        return f"{frame.class_name}.{frame.function}" if frame.class_name else frame.function

    # Iterative walk: (frame, inside the reactor?, outermost readiness frame in the loop, package)
    stack = [(root, False, None, None)]
    while stack:
        frame, in_loop, entry, package = stack.pop()
        if frame.is_synthetic:
            continue
        own = _package(frame.file_path)
        package = own or package
        if not in_loop and frame.function == "start" and frame.class_name == "CrawlerProcess":
            in_loop = True
            loop_time += frame.time
        if in_loop and entry is None and own == "readiness":
            entry = frame
            readiness_by_entry[name(frame)] += frame.time
        self_time = frame.time - sum(c.time for c in frame.children if not c.is_synthetic)
        if not in_loop:
            startup[package or "?"] += self_time
        elif entry is not None:
            readiness_leaf[(name(frame), own or f"C, called from {package}")] += self_time
        else:
            machinery[package or "?"] += self_time
        for child in frame.children:
            stack.append((child, in_loop, entry, package))

    def pct(t: float) -> str:
        return f"{t:7.2f}s {100 * t / total:5.1f}%"

    ours = sum(readiness_by_entry.values())
    lines = [
        f"where the time goes: {session_path}",
        f"(pyinstrument; {total:.1f}s profiled, CPU {session.cpu_time:.1f}s; profiling roughly "
        "doubles the run time, compare proportions not seconds)",
        "",
        f"{pct(total - loop_time)}  startup + shutdown, outside the reactor (imports, config, "
        "store open/close)",
    ]
    lines += [f"{'':>16}    {t:6.2f}s  {pkg}" for pkg, t in startup.most_common(6)]
    lines += [
        f"{pct(loop_time)}  crawl loop (CrawlerProcess.start)",
        f"{pct(ours)}    readiness code, by outermost function (incl. the libraries it calls):",
    ]
    lines += [f"{'':>16}      {t:6.2f}s  {fn}" for fn, t in readiness_by_entry.most_common(top)]
    lines += [f"{'':>16}      hottest functions under it (self time):"]
    lines += [f"{'':>16}        {t:6.2f}s  {fn}  [{pkg}]"
              for (fn, pkg), t in readiness_leaf.most_common(top)]
    lines += [f"{pct(loop_time - ours)}    Scrapy/Twisted/asyncio machinery, by package "
              "(self time; C calls count for the package that made them):"]
    lines += [f"{'':>16}      {t:6.2f}s  {pkg}" for pkg, t in machinery.most_common(top)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _per_page_ms(seconds: float | None, run: Run) -> float | None:
    return 1000 * seconds / run.pages if seconds is not None and run.pages else None


TABLE_NOTE = """\
pages/s: pages / wall s of the whole command (`readiness check` = crawl + analysis + every
report; bare = its crawl); x bare: that over the bare spider's pages/s in the same run;
loop s: spider opened -> closed, loop pages/s = pages / loop s; CPU ms/page: user+sys of the
main process itself / of its parse workers (reaped children, read from /proc/<pid>/stat
before reaping), divided by pages; main crawl: the main process's CPU up to the end of the
crawl loop (start-up included; analysis and reports not), from /proc every 0.1 s; tree MB: peak of the summed RSS of every process in the
tree at one instant (/proc every 0.1 s), main/workers HWM: each process's own VmHWM;
analyze s / CPU s / MB: `readiness analyze` of the same store run alone (rules + every
report); report/findings MB: report.html and findings.json written by the check; load: 1-min
load average before -> after the check."""


def table_rows(runs: list[Run]) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    header = ("crawler", "N", "pages", "wall s", "pages/s", "x bare", "loop s", "loop pages/s",
              "CPU ms/page main", "CPU ms/page main crawl", "CPU ms/page workers", "tree MB",
              "main HWM MB", "workers HWM MB", "analyze s", "analyze CPU s", "analyze MB",
              "report.html MB", "findings.json MB", "load")
    bare = {r.n: r.pages_per_second for r in runs if r.crawler.startswith("bare")}
    rows = []
    for r in runs:
        a = r.analyze
        ratio = (r.pages_per_second / bare[r.n]
                 if r.pages_per_second and bare.get(r.n) and not r.crawler.startswith("bare")
                 else None)
        rows.append((
            r.crawler, str(r.n), _fmt(r.pages, "d"), _fmt(r.seconds, ".1f"),
            _fmt(r.pages_per_second, ".0f"), _fmt(ratio, ".2f"), _fmt(r.loop_seconds, ".1f"),
            _fmt(r.loop_pages_per_second, ".0f"), _fmt(_per_page_ms(r.self_cpu, r), ".2f"),
            _fmt(_per_page_ms(r.self_cpu if r.crawler.startswith("bare") else r.crawl_self_cpu,
                              r), ".2f"),
            _fmt(_per_page_ms(r.children_cpu, r) if r.children_cpu else None, ".2f"),
            _fmt(r.tree_rss_mb, ".0f"), _fmt(r.process_hwm_mb.get("main"), ".0f"),
            _fmt(r.process_hwm_mb.get("workers"), ".0f"),
            _fmt(a.seconds if a else None, ".1f"), _fmt(a.self_cpu if a else None, ".1f"),
            _fmt(a.tree_rss_mb if a else None, ".0f"), _fmt(r.report_mb, ".1f"),
            _fmt(r.findings_mb, ".1f"),
            f"{r.load[0]:.1f}->{r.load[1]:.1f}" if r.load else "-"))
    return header, rows


def print_table(runs: list[Run]) -> None:
    """The table as Markdown (readable in a terminal, pasted as is into the notes)."""
    header, rows = table_rows(runs)
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(TABLE_NOTE)
    for r in runs:
        for note in r.notes:
            print(f"  note [{r.crawler} N={r.n}]: {note}")


def check_targets(runs: list[Run], label: str) -> bool:
    """The issue's targets, judged on this checkout's runs (``label``)."""
    ok = True
    ready = [r for r in runs if r.crawler == label]
    bare = {r.n: r.pages_per_second for r in runs if r.crawler.startswith("bare")}
    if not ready:
        print("targets: not checked (no runs of this checkout)")
        return True
    print(f"targets ({label}): >= {TARGET_BARE_RATIO}x the bare spider at {TARGET_AT:,} pages; "
          "tree RSS, analyze s at 20,000 / 100,000 pages; report.html size at 20,000")

    def judge(good: bool, text: str) -> None:
        nonlocal ok
        ok &= good
        print(f"  [{'PASS' if good else 'FAIL'}] N={r.n}: {text}")

    for r in ready:
        if r.returncode not in CHECK_EXIT_CODES:
            judge(False, f"readiness check exited {r.returncode}")
        if r.n == TARGET_AT and bare.get(r.n):
            ratio = (r.pages_per_second or 0.0) / bare[r.n]
            judge(ratio >= TARGET_BARE_RATIO, f"{ratio:.2f}x the bare spider")
        rss_target = TARGET_TREE_RSS_MB.get(r.n)
        if rss_target is not None:
            judge((r.tree_rss_mb or 0) <= rss_target,
                  f"tree RSS {_fmt(r.tree_rss_mb, '.0f')} MB (<= {rss_target})")
        analyze_target = TARGET_ANALYZE_SECONDS.get(r.n)
        if analyze_target is not None and r.analyze is not None:
            judge(r.analyze.seconds <= analyze_target,
                  f"readiness analyze {r.analyze.seconds:.1f} s (<= {analyze_target})")
        if r.n == TARGET_AT:
            judge((r.report_mb or 0) <= TARGET_REPORT_MB,
                  f"report.html {_fmt(r.report_mb, '.1f')} MB (<= {TARGET_REPORT_MB})")
        if r.pages is not None and r.pages < r.n:
            print(f"  [WARN] N={r.n}: only {r.pages} of {r.n} pages fetched")
    return ok


# --------------------------------------------------------------------------------------------

def parse_sizes(values: list[str]) -> list[int]:
    sizes = []
    for value in values:
        sizes.extend(int(v) for v in value.replace(",", " ").split())
    if any(s < 25 for s in sizes):
        raise argparse.ArgumentTypeError("sizes must be >= 25")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=[str(s) for s in DEFAULT_SIZES],
                        metavar="N", help="site sizes in pages (default: 1000 20000)")
    parser.add_argument("--crawlers", choices=("both", "bare", "readiness"), default="both")
    parser.add_argument("--bare", choices=("bare-seen-set", "bare-linkextractor"),
                        default="bare-seen-set",
                        help="the bare Scrapy spider to compare with (default: own seen-set "
                             "and XPath links, the issue's reference)")
    parser.add_argument("--before", type=Path, metavar="CHECKOUT",
                        help="also run another checkout's readiness (its .venv) on the same "
                             "site, labelled 'before'; this checkout is then 'after'")
    parser.add_argument("--this", action=argparse.BooleanOptionalAction, default=True,
                        help="run this checkout's readiness (--no-this: only --before's)")
    parser.add_argument("--defects", action=argparse.BooleanOptionalAction, default=True,
                        help="plant everyday defects on a share of pages (see GONE_PAGES)")
    parser.add_argument("--big-pages", type=int, default=BIG_PAGES,
                        help=f"pages of ~3 MB of text linked from / (default {BIG_PAGES})")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the readiness crawl of the first size (pyinstrument)")
    parser.add_argument("--profile-out", type=Path, default=None,
                        help="where the profile goes (default: a file in the system temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (site, stores, logs)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per command, seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sizes = parse_sizes(args.sizes)

    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
    if nginx is None:
        print("nginx is not installed. Install it with:\n"
              "  sudo apt-get update && sudo apt-get install -y nginx", file=sys.stderr)
        return 2

    label = "after" if args.before else "readiness"
    checkouts: list[tuple[str, Path]] = []
    if args.crawlers in ("both", "readiness"):
        candidates = (([("before", args.before.resolve())] if args.before else [])
                      + ([(label, REPO)] if args.this else []))
        for name, code in candidates:
            available, detail = readiness_available(code)
            if available:
                checkouts.append((name, code))
            else:
                print(f"readiness ({name}) is not usable, skipping it: {detail}", file=sys.stderr)
        if not checkouts and args.crawlers == "readiness":
            return 1

    # A plain `kill` should still stop nginx and remove the temp dir (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="readiness-bench-"))
    tmp.chmod(0o755)  # nginx workers run as an unprivileged user when started as root
    logdir = tmp / "logs"
    logdir.mkdir()
    print(f"temp dir: {tmp}{'' if args.keep else ' (removed at the end; --keep keeps it)'}")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, nginx {nginx}, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, code in checkouts:
        commit = subprocess.run(["git", "-C", str(code), "log", "-1", "--format=%h %s"],
                                capture_output=True, text=True).stdout.strip()
        print(f"readiness {name}: {code} ({commit[:72]})")
    runs: list[Run] = []
    capacity_rps: list[float] = []
    profile_paths: list[Path] = []
    try:
        for index, n in enumerate(sizes):
            port, port2 = free_port(SITE_HOST), free_port(OUTBOUND_HOST)
            base, outbound_base = f"http://{SITE_HOST}:{port}", f"http://{OUTBOUND_HOST}:{port2}"
            site = tmp / f"site-{n}"
            t0 = time.perf_counter()
            info = generate_site(site, n, base, outbound_base, args.seed, args.big_pages,
                                 args.defects)
            print(f"\n== N={n}: site of {n} pages, {info['avg_kb']:.1f} KB/page avg, "
                  f"{args.big_pages} pages of {BIG_PAGE_BYTES / 1e6:.0f} MB, tree depth "
                  f"<= {max_click_depth(n)}, generated in {time.perf_counter() - t0:.1f}s")
            server = Nginx(nginx, tmp, site, port, port2)
            server.start()
            try:
                cap = nginx_capacity(port, n)
                capacity_rps.append(cap["rps"])
                mb = f", {cap['mb_s']:.0f} MB/s" if cap["mb_s"] else ""
                print(f"   nginx on {base}/ serves {cap['rps']:,.0f} requests/s{mb} "
                      f"({cap['client']}; a lower bound)")
                url = base + "/"
                if args.crawlers in ("both", "bare"):
                    run = run_bare(n, url, logdir, args.timeout, args.bare)
                    runs.append(run)
                    print(f"   {args.bare}: {run.pages} pages in {run.seconds:.1f}s, tree peak "
                          f"{_fmt(run.tree_rss_mb, '.0f')} MB; {run.detail}", flush=True)
                for name, code in checkouts:
                    run = run_readiness(name, code, n, url, tmp, logdir, args.timeout)
                    runs.append(run)
                    analyze = run.analyze.seconds if run.analyze else None
                    print(f"   readiness check ({name}): {run.pages} pages in {run.seconds:.1f}s "
                          f"(exit {run.returncode}), tree peak {_fmt(run.tree_rss_mb, '.0f')} "
                          f"MB, report.html {_fmt(run.report_mb, '.1f')} MB; analyze "
                          f"{_fmt(analyze, '.1f')}s", flush=True)
                if args.profile and index == 0 and checkouts:
                    target = args.profile_out or Path(tempfile.gettempdir()) / (
                        f"readiness-crawl-profile-{n}-{time.strftime('%Y%m%d-%H%M%S')}.txt")
                    profile_paths = profile_readiness(n, url, tmp, target, args.timeout)
                    print(f"   profile: {', '.join(map(str, profile_paths))}")
            finally:
                server.stop()
            if not args.keep:
                shutil.rmtree(site, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    print()
    print_table(runs)
    if capacity_rps:
        fastest = max((r.pages_per_second or 0) for r in runs) if runs else 0
        print(f"nginx: >= {min(capacity_rps):,.0f} requests/s "
              f"({min(capacity_rps) / max(fastest, 1):.0f}x the fastest crawl) - not the bottleneck")
    ok = check_targets(runs, label)
    for path in profile_paths:
        print(f"profile: {path}")
    if args.keep:
        print(f"kept: {tmp}")
    failed = [r for r in runs if r.returncode not in
              ((0,) if r.crawler.startswith("bare") else CHECK_EXIT_CODES)]
    return 0 if ok and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
