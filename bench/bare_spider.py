"""Baseline for bench/crawl_speed.py: the least a Scrapy crawler can do on a site.

A bare spider that follows same-site links and nothing else: ``LinkExtractor`` plus the stock
fingerprint dupefilter, Scrapy's stock settings except the few below. No parsing, no storage.
What ``readiness crawl`` adds on top of this (page facts, link graph, SQLite store, probes of
outbound links) is the difference between the two rows of the benchmark table.

    python bench/bare_spider.py http://127.0.0.1:8080/

``--seen-set`` makes it the issue's reference "bare" crawler instead (what bench/crawl_speed.py
compares against): its own set of seen URLs and a plain ``//a/@href`` XPath, so a link already
seen costs a set lookup instead of a Request, the spider middlewares and a fingerprint.

    python bench/bare_spider.py --seen-set http://127.0.0.1:8080/

At the end it prints one JSON line with the final Scrapy stats to stdout (the benchmark reads
``response_received_count`` from it). Logging goes to stderr.
"""

from __future__ import annotations

import json
import sys
from urllib.parse import urldefrag, urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor

SETTINGS = {
    # Deliberately not get_project_settings(): run from the repo root, scrapy.cfg would
    # pull in readiness.settings. Stock settings except these.
    "LOG_LEVEL": "INFO",
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "ROBOTSTXT_OBEY": False,
    "DOWNLOAD_DELAY": 0,
}


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, url: str, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [url]
        parts = urlsplit(url)
        self.allowed_domains = [parts.hostname or ""]
        # LinkExtractor matches allow_domains against the netloc, port included.
        self.link_extractor = LinkExtractor(allow_domains=[parts.netloc])

    def parse(self, response):
        if not isinstance(response, scrapy.http.TextResponse):
            return
        for link in self.link_extractor.extract_links(response):
            yield response.follow(link, callback=self.parse)


class SeenSetSpider(scrapy.Spider):
    """Own seen-set, XPath links, no facts: the least a crawler that records nothing does."""

    name = "bare-seen-set"

    def __init__(self, url: str, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [url]
        self.netloc = urlsplit(url).netloc
        self.seen = {url}

    def parse(self, response):
        if not isinstance(response, scrapy.http.TextResponse):
            return
        for href in response.xpath("//a/@href").getall():
            url = urldefrag(response.urljoin(href))[0]
            if url in self.seen or urlsplit(url).netloc != self.netloc:
                continue
            self.seen.add(url)
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)


def main(argv: list[str]) -> int:
    spider = BareSpider
    if argv[:1] == ["--seen-set"]:
        spider, argv = SeenSetSpider, argv[1:]
    if len(argv) != 1:
        print("usage: python bench/bare_spider.py [--seen-set] URL", file=sys.stderr)
        return 2
    process = CrawlerProcess(settings=SETTINGS)
    crawler = process.create_crawler(spider)
    process.crawl(crawler, url=argv[0])
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    print(json.dumps(stats, default=str, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
