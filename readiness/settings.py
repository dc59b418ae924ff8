"""Scrapy settings for the readiness project (``scrapy.cfg`` points here).

The crawl records facts about every URL it meets, so several Scrapy defaults are switched off
on purpose: redirects are followed by the spider itself (each hop is a fetch of its own),
every HTTP status reaches the spider, and robots.txt is applied by the spider so blocked URLs
are recorded instead of silently dropped. Values a user tunes per site (concurrency, delay,
limits, timeouts, user agent) come from the YAML ``crawl:`` section, whose defaults are in
readiness/config/models.py (readiness/crawl/crawl_settings.py maps it onto Scrapy's settings);
this file holds only what no YAML key sets.
"""

BOT_NAME = "readiness"
SPIDER_MODULES = ["readiness.crawl.spider"]

USER_AGENT = "readiness/0.1 (+https://github.com/readiness-seo/readiness; link-building readiness check)"

# The spider reads robots.txt itself and records blocked URLs (crawl.robots: obey|report|ignore).
ROBOTSTXT_OBEY = False
# Each redirect hop is recorded as its own fetch, so Scrapy must not follow them.
REDIRECT_ENABLED = False
METAREFRESH_ENABLED = False
# Every status is a fact worth storing.
HTTPERROR_ALLOW_ALL = True
# Page fetches get one retry on network errors/5xx; outbound probes retry themselves
# (they honour Retry-After, which RetryMiddleware ignores).
RETRY_TIMES = 1
# Only gateway-style failures are worth a second try; a 500 is recorded as the site answered.
RETRY_HTTP_CODES = [502, 503, 504, 522, 524, 408, 429]

# Breadth-first (the spider gives each request priority -depth), so most URLs are met at
# their smallest depth first; the spider lowers the depth of those met deeper first
# (PageRecorder.met_shallower), so the recorded depth is the smallest from the seeds whatever the
# order responses arrive in.
# Requests are taken from the least busy host first: probes to a slow outside host wait in
# their own queue instead of filling the downloader and stalling the site's pages.
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# The spider decides about every URL once (its decided-set, indexed by the crawl store's URL
# ids), so requests it yields are already unique; the stock fingerprint dupefilter would only
# repeat that work.
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"

# Scrapy runs each callback's output through CONCURRENT_ITEMS asyncio tasks per response;
# the spider yields no items and only unseen requests, so one worker is enough, and the
# 100-task default was ~17% of the crawl's CPU time (bench/README.md).
CONCURRENT_ITEMS = 1
# CONCURRENT_REQUESTS(_PER_DOMAIN), DOWNLOAD_DELAY, DOWNLOAD_TIMEOUT, DOWNLOAD_MAXSIZE and
# USER_AGENT (when crawl.user_agent is set) come from the YAML: readiness/crawl/crawl_settings.py.
# Search engines crawl without cookies, and so does readiness: what it sees is what they see
# (a page that only works with a consent cookie set is a finding, not something to hide).
COOKIES_ENABLED = False
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 60.0
# The pages and outbound checks done, in the log as often (readiness/crawl/progress.py; 0: off).
READINESS_PROGRESS_LOG_INTERVAL = 60.0

# Scrapy's stock middlewares minus the ones readiness switches off. Like EXTENSIONS_BASE
# below, they are left out of the base lists rather than set to None in
# DOWNLOADER_MIDDLEWARES / SPIDER_MIDDLEWARES: Scrapy imports every component named in those
# settings, None or not, and CookiesMiddleware imports tldextract (and requests), ~0.19 s
# of every start-up. The ones that stay are switched by their own settings
# (ROBOTSTXT_OBEY, REDIRECT_ENABLED, METAREFRESH_ENABLED, HTTPCACHE_ENABLED).
# Left out: OffsiteMiddleware, since scope is decided by the spider (every URL it requests
# is meant to be requested); HttpAuthMiddleware and HttpProxyMiddleware, since no proxy or
# HTTP auth is configured; DownloaderStats, Scrapy's per-request byte and status counters
# (readiness counts statuses itself, readiness/status/<code>, so it only measured header
# sizes on every request); CookiesMiddleware, off anyway (COOKIES_ENABLED).
DOWNLOADER_MIDDLEWARES_BASE = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": 900,
}

# A website check speaks HTTP(S) only. Scrapy's stock handlers would also read file://,
# data:, ftp:// and s3:// URLs, and a hostile outside host's "Location: file:///..." (which
# the prober follows hop by hop) would read the crawling machine's files: file:// ignores
# its host, so the address guard cannot stop it.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}

DOWNLOADER_MIDDLEWARES = {
    # Closest to the engine: a request to an address the user did not name (private,
    # loopback, link-local …) is refused before anything else sees it (no SSRF).
    "readiness.crawl.addresses.AddressGuardMiddleware": 50,
    # Outermost-to-the-network: sees the raw response (compressed size, Content-Encoding)
    # and times the whole download.
    "readiness.crawl.middlewares.FetchTimingMiddleware": 990,
    # Above HttpCompressionMiddleware (590): a compressed robots.txt is decompressed up to
    # the 500 KiB Google reads, not refused whole at the page size limit.
    "readiness.crawl.robots.RobotsDecompressionMiddleware": 595,
    # Below it, above MetaRefreshMiddleware (580, which reads the text): the encoding of each
    # HTML page as browsers sniff it, from the decoded body.
    "readiness.crawl.charset.HtmlCharsetMiddleware": 585,
}
# Left out: DepthMiddleware and UrlLengthMiddleware, since the spider records depth itself
# (redirect hops keep their source's depth) and checks URL length as a crawler-trap rule,
# so they would only repeat that work per request; MetaCopyDetectionMiddleware; and
# RefererMiddleware, since search engine crawlers send no Referer; neither does readiness
# (and the link graph is in the store already).
SPIDER_MIDDLEWARES_BASE = {
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25,
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": 50,
}

# Scrapy's stock extensions minus the ones readiness never uses. They are left out of the
# base list instead of being set to None in EXTENSIONS because Scrapy imports every listed
# component, disabled or not: RemoteControl alone imported aiohttp, ~0.18 s of every
# crawl's start-up. Telnet is off too (TELNETCONSOLE_ENABLED), the spider yields no items
# for the feed exporter, and MemoryDebugger only reports with MEMDEBUG_ENABLED.
EXTENSIONS_BASE = {
    "scrapy.extensions.corestats.CoreStats": 0,
    "scrapy.extensions.logcount.LogCount": 0,
    "scrapy.extensions.memusage.MemoryUsage": 0,
    "scrapy.extensions.closespider.CloseSpider": 0,
    "scrapy.extensions.logstats.LogStats": 0,
    "scrapy.extensions.spiderstate.SpiderState": 0,
    "scrapy.extensions.throttle.AutoThrottle": 0,
}
# The crawl's components (docs/architecture.md): each found by its name here, built with
# from_crawler, and switched off by setting it to None. RunStore and the four the spider
# hands its work to (RobotsTxt, Sitemaps, PageRecorder, OutboundProbes) and ParseWorkers,
# which parses every page, are needed; the others are optional.
EXTENSIONS = {
    "readiness.crawl.run_store.RunStore": 100,
    "readiness.crawl.workers.ParseWorkers": 110,
    "readiness.crawl.robots.RobotsTxt": 120,
    "readiness.crawl.sitemaps.Sitemaps": 130,
    "readiness.crawl.backlinks.BacklinkExports": 135,
    "readiness.crawl.outside.OutsideList": 137,
    "readiness.crawl.recording.PageRecorder": 140,
    "readiness.crawl.outbound.OutboundProbes": 150,
    "readiness.crawl.remeasure.QuietRemeasurement": 160,
    "readiness.crawl.variants.VariantProbes": 170,
    "readiness.report.on_close.AnalyzeOnClose": 180,
    "readiness.crawl.progress.ProgressLine": 500,
    "readiness.crawl.progress.ProgressLog": 510,
}

# The optional components' switches (Scrapy style, besides their EXTENSIONS entry). A needed
# component missing stops the crawl before its first request (SiteSpider.start).
READINESS_QUIET_REMEASUREMENT_ENABLED = True
READINESS_VARIANT_PROBES_ENABLED = True

# Where runs write: <READINESS_REPORTS_DIR>/<run-id>/crawl.sqlite
READINESS_REPORTS_DIR = "reports"
# `scrapy crawl site` / scrapyd runs end with the rules and every report (the CLI turns this
# off: it analyses by itself, with the gate options it was given).
READINESS_ANALYZE_ON_CLOSE = True
# The crawl store implementation (one SQLite file per run by default).
READINESS_STORE_CLASS = "readiness.store.sqlite.SQLiteCrawlStore"
# What one crawl shares between its deciders (URL ids, decided-set, page budget …): this
# process, or the Redis of a distributed run (crawl_settings.py chooses from
# crawl.distributed.redis_url).
READINESS_COORDINATION = "readiness.crawl.coordination.LocalCoordination"

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
# Twisted's own epoll reactor: measured faster and ~20 MB lighter than Scrapy's default
# asyncio reactor for this workload (bench/README.md). Nothing in readiness needs asyncio.
TWISTED_REACTOR = "twisted.internet.epollreactor.EPollReactor"
FEED_EXPORT_ENCODING = "utf-8"

# `scrapy crawl` with a clear message (and exit status 2) for a bad argument or configuration.
COMMANDS_MODULE = "readiness.crawl.commands"
