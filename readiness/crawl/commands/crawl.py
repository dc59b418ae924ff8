"""``scrapy crawl``: Scrapy's command, with the spider's start-up mistakes said plainly.

The spider refuses to start on a bad argument or configuration (readiness/crawl/spider.py:
no URL, a YAML key it does not know, a rule file's ``backlinks:`` export it cannot read …)
by raising ConfigError or ValueError, whose message names the file, the line and the fix.
Scrapy's command leaves that failure unhandled, so Twisted logs it as a traceback; here it
is printed as ``readiness: error: …`` and the command exits with USAGE (readiness/exitcodes.py),
as ``readiness crawl`` does. Any other failure keeps Scrapy's handling (a traceback: a bug).
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from readiness.config.errors import ConfigError
from readiness.exitcodes import USAGE


class Command(ScrapyCrawlCommand):
    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("give one spider: scrapy crawl site -a url=https://…")
        assert self.crawler_process
        refused: list[str] = []

        def start_up_mistake(failure):
            failure.trap(ConfigError, ValueError)
            refused.append(str(failure.value))

        started = self.crawler_process.crawl(self._create_crawler(args[0]), **opts.spargs)
        started.addErrback(start_up_mistake)
        self.crawler_process.start()
        if refused:
            print(f"readiness: error: {refused[0]}", file=sys.stderr)
            self.exitcode = USAGE
        elif self.crawler_process.bootstrap_failed:
            self.exitcode = 1
