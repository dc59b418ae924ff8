"""Parse workers (``crawl.parse_workers``): page parsing on the machine's other cores.

The crawl process is single-threaded (Scrapy on one Twisted reactor) and, on a fast site,
CPU-bound: per page, Scrapy's own request/response machinery and readiness's parsing
(decode, lxml tree, facts, MinHash, structured data, compression) cost about the same.
ParseWorkerPool moves the parsing into child processes (readiness/crawl/parse_worker.py), so
the crawl process only downloads, decides which URLs to fetch and writes the store. Every
decision stays in the crawl process; workers only turn bytes into facts.

Pages travel over the workers' stdin/stdout pipes, read by the reactor like any socket (no
threads). A worker that dies is reported once and its pages are parsed in the crawl process
instead, so a crash costs time, never facts. A worker still on one page at the
``crawl.parse_timeout`` deadline is killed: that page is "too complex to parse" (never parsed
in the crawl process, which cannot be interrupted), a new worker takes its place and the
pages queued behind it are sent again.

:class:`ParseWorkers` is the Scrapy extension that owns the pool (started with the crawler,
closed with the spider) and parses each page the crawl asks about, in a worker or here.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import sys
from functools import cached_property
from typing import Any

from scrapy import signals
from twisted.internet import defer, error, protocol
from twisted.python.failure import Failure

from readiness.crawl.parse_worker import FRAME_HEADER, encode_frame
from readiness.crawl.parsing import (
    PageParseError,
    PageParseFailed,
    PageTooComplex,
    ParsedPage,
    parse_html,
)
from readiness.crawl.signals import store_opened
from readiness.urls import UrlNormalizer

logger = logging.getLogger(__name__)

# Up to Linux's default /proc/sys/fs/pipe-max-size.
PIPE_BYTES = 1 << 20


class WorkerLost(Exception):
    """The worker process ended before it answered."""


class WorkerFailed(Exception):
    """The worker raised while parsing a page (a bug: the traceback is in the message)."""


def exception_line(traceback_text: str) -> str:
    """The ``Type: message`` line that ends a formatted traceback."""
    lines = [line for line in traceback_text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else "the parse worker raised"


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _WorkerProtocol(protocol.ProcessProtocol):
    def __init__(self, number: int, setup: dict[str, Any], parse_timeout: float,
                 on_timeout, reactor) -> None:
        self.number = number
        self.setup = setup
        self.ready = False
        self.alive = True
        # seq -> (Deferred, the page's frame): answers come back in the order pages were
        # sent, so the first entry is the page the worker is on; the frame is kept to send
        # the page again if this worker is killed for another page's deadline.
        self.pending: dict[int, tuple[defer.Deferred, tuple]] = {}
        self.parse_timeout = parse_timeout
        self._on_timeout = on_timeout
        self._reactor = reactor
        self._deadline = None
        self._buffer = bytearray()
        self._stderr = bytearray()

    def connectionMade(self) -> None:
        # A pipe holds 64 KB, four or five pages: the worker then waits for the crawl's next
        # reactor turn to refill it. Bigger pipes let it work through a queue (Linux only).
        for pipe in (self.transport.pipes[0], self.transport.pipes[1]):
            with contextlib.suppress(AttributeError, OSError):
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self.transport.write(encode_frame(self.setup))

    def send(self, seq: int, page: tuple, d: defer.Deferred | None = None) -> defer.Deferred:
        """Send ``page`` = (url, body, encoding); ``d`` fires with its answer."""
        d = defer.Deferred() if d is None else d
        self.pending[seq] = (d, page)
        self.transport.write(encode_frame((seq, *page)))
        if len(self.pending) == 1:
            self._arm_deadline()
        return d

    def _arm_deadline(self) -> None:
        """The clock of the page the worker is on: from when it could start it (the worker
        ready and the page before answered) to parse_timeout later."""
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None
        if self.alive and self.ready and self.pending:
            self._deadline = self._reactor.callLater(self.parse_timeout, self._timed_out)

    def _timed_out(self) -> None:
        self._deadline = None
        if not self.alive or not self.pending:
            return
        seq = next(iter(self.pending))
        d, (url, _body, _encoding) = self.pending.pop(seq)
        # Not ``_lost``: the page queued behind go to a new worker, not to the crawl process.
        self.alive = False
        self.ready = False
        queued, self.pending = self.pending, {}
        with contextlib.suppress(error.ProcessExitedAlready, OSError):
            self.transport.signalProcess("KILL")
        logger.warning("parse worker %d spent over %g s on %s: restarted, the page is "
                       "recorded as too complex to parse", self.number, self.parse_timeout,
                       url)
        self._on_timeout(self, queued)
        d.errback(Failure(PageTooComplex(
            f"not parsed within crawl.parse_timeout ({self.parse_timeout:g} s)")))

    def outReceived(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        self._drain(buffer)
        header = FRAME_HEADER.size
        while len(buffer) >= header:
            (size,) = FRAME_HEADER.unpack_from(buffer)
            if len(buffer) < header + size:
                break
            kind, seq, payload = pickle.loads(buffer[header:header + size])
            del buffer[:header + size]
            if kind == "ready":
                self.ready = True
                self._arm_deadline()
                continue
            if seq not in self.pending:  # answered as it was killed at its deadline
                continue
            d, _page = self.pending.pop(seq)
            self._arm_deadline()
            if kind == "ok":
                d.callback(payload)
            else:
                d.errback(Failure(WorkerFailed(payload) if kind == "failed"
                                  else PageTooComplex(payload) if kind == "too-complex"
                                  else PageParseError(payload)))

    def _drain(self, buffer: bytearray) -> None:
        # Twisted reads a process pipe 8 KB per reactor turn, and one parsed page is ~10 KB:
        # left to that, answers came back slower than pages went out and hundreds of pages
        # waited in the worker's pipe. Read what is there now, up to a bound.
        fd = self.transport.pipes[1].fileno()
        for _ in range(64):
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:  # end of the pipe: Twisted sees it on its next read too
                return
            buffer += chunk

    def errReceived(self, data: bytes) -> None:
        self._stderr += data
        *lines, rest = self._stderr.split(b"\n")
        self._stderr[:] = rest
        for line in lines:
            if line.strip():
                logger.warning("parse worker %d: %s", self.number,
                               line.decode("utf-8", "replace"))

    def processEnded(self, reason: Failure) -> None:
        self._lost(reason)

    def childConnectionLost(self, childFD: int) -> None:
        # Twisted only reaps a child on SIGCHLD, which Scrapy's reactor does not listen
        # for; the pipe closing is the sure sign the worker is gone.
        if childFD == 1:
            self._lost(None)

    def _lost(self, reason: Failure | None) -> None:
        if not self.alive:
            return
        self.alive = False
        self.ready = False
        self._arm_deadline()  # cancels it
        if self.pending:
            why = "" if reason is None or reason.check(error.ProcessDone) else (
                f": {reason.getErrorMessage()}")
            logger.warning("parse worker %d ended with %d page(s) unparsed%s; the crawl "
                           "parses them itself", self.number, len(self.pending), why)
        pending, self.pending = self.pending, {}
        for d, _page in pending.values():
            d.errback(Failure(WorkerLost(f"parse worker {self.number} ended")))


class ParseWorkerPool:
    """``count`` parse worker processes; ``parse`` sends a page to the least busy one."""

    def __init__(self, count: int, extractor_args: dict[str, Any], keep_html: bool,
                 normalizer: UrlNormalizer, parse_timeout: float = 20.0) -> None:
        self.count = count
        self.setup = {"extractor": extractor_args, "keep_html": keep_html,
                      "normalizer": normalizer}
        self.parse_timeout = parse_timeout
        self._workers: list[_WorkerProtocol] = []
        self._seq = 0
        self._reactor = None
        self._env: dict[str, str] = {}

    def start(self, reactor=None) -> None:
        if reactor is None:
            from twisted.internet import reactor
        self._reactor = reactor
        env = os.environ.copy()
        # The worker imports readiness from wherever this process did (a scrapyd egg, a
        # source checkout), not only from site-packages.
        env["PYTHONPATH"] = os.pathsep.join(path for path in sys.path if path)
        self._env = env
        for number in range(1, self.count + 1):
            self._workers.append(self._spawn(number))

    def _spawn(self, number: int) -> _WorkerProtocol:
        worker = _WorkerProtocol(number, self.setup, self.parse_timeout, self._replace,
                                 self._reactor)
        self._reactor.spawnProcess(worker, sys.executable,
                                   [sys.executable, "-m", "readiness.crawl.parse_worker"],
                                   env=self._env, childFDs={0: "w", 1: "r", 2: "r"})
        return worker

    def _replace(self, killed: _WorkerProtocol, queued: dict[int, tuple]) -> None:
        """A new worker in place of one killed at a page's deadline; the pages that were
        queued behind that page go to it, in their order, with their Deferreds."""
        worker = self._spawn(killed.number)
        self._workers[self._workers.index(killed)] = worker
        for seq, (d, page) in queued.items():
            worker.send(seq, page, d)

    @property
    def alive(self) -> bool:
        """At least one worker is running (or starting: pages wait in its pipe meanwhile)."""
        return any(worker.alive for worker in self._workers)

    def parse(self, url: str, body: bytes, encoding: str) -> defer.Deferred:
        """A Deferred firing with the ParsedPage, or failing with PageParseError (the body
        is not HTML enough to parse), WorkerFailed (a bug) or WorkerLost."""
        alive = [worker for worker in self._workers if worker.alive]
        if not alive:
            return defer.fail(WorkerLost("no parse worker is running"))
        # The least busy; a worker still starting up counts as busy as its queue.
        worker = min(alive, key=lambda w: (len(w.pending), not w.ready))
        self._seq += 1
        return worker.send(self._seq, (url, body, encoding))

    def close(self) -> None:
        """Close the workers' input: each exits once it has answered what it was sent."""
        for worker in self._workers:
            if worker.alive:
                worker.transport.closeStdin()


class ParseWorkers:
    """The crawl's page parser: in ``crawl.parse_workers`` worker processes (``auto``: one on
    a machine with two or more cores), or in the crawl process when there are none or the
    last one ended."""

    def __init__(self, crawl_cfg, stats, coordination, normalizer: UrlNormalizer) -> None:
        self.stats = stats
        self.coordination = coordination
        self.keep_html = crawl_cfg.store_html
        self.extractor_args = {"boilerplate_selectors": list(crawl_cfg.boilerplate_selectors)}
        # Links are resolved where the page is parsed, by the crawl's normaliser (a worker
        # gets a copy).
        self.normalizer = normalizer
        self.pool: ParseWorkerPool | None = None
        workers = crawl_cfg.parse_workers
        if workers == "auto":
            workers = 1 if available_cores() >= 2 else 0
        if workers:
            self.pool = ParseWorkerPool(workers, self.extractor_args, self.keep_html,
                                        normalizer, crawl_cfg.parse_timeout)
            self.pool.start()

    @classmethod
    def from_crawler(cls, crawler) -> "ParseWorkers":
        # Started now rather than when the crawl opens: the worker's imports (~0.5 s) then
        # overlap Scrapy's own start-up instead of the first pages.
        spider = crawler.spider
        extension = cls(spider.crawl_cfg, crawler.stats, spider.coordination,
                        spider.normalizer)
        crawler.signals.connect(extension.store_opened, signal=store_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def store_opened(self, store, run_dir) -> None:
        if self.pool is None:
            return
        if not self.coordination.joined:  # started for a distributed run that had already ended
            self.pool.close()
            self.pool = None
        else:  # logged here: the crawl's log file only exists from now on
            logger.info("started %d parse worker(s)", self.pool.count)

    def spider_closed(self, spider, reason: str) -> None:
        if self.pool is not None:
            self.pool.close()

    @cached_property
    def extractor(self):
        """The extractor for pages parsed in this process: every page when there are no
        parse workers, else only the pages of a worker that ended. Imported on first use,
        since a crawl with workers never needs its libraries here."""
        from readiness.crawl.extract import PageExtractor

        return PageExtractor(**self.extractor_args)

    async def parse(self, response) -> ParsedPage | None:
        """The page parsed by a worker when one is running, else here; None if unparsable.

        Raises PageTooComplex for a page the linear pre-check rejects or a worker did not
        parse by its deadline (then never parsed here: nothing would interrupt it)."""
        url, body, encoding = response.url, response.body, response.encoding
        try:
            workers = self.pool
            if workers is not None and workers.alive:
                try:
                    return await workers.parse(url, body, encoding)
                except WorkerLost:  # already logged by the pool; parse it here instead
                    self.stats.inc_value("readiness/parse_worker_lost")
                except WorkerFailed as exc:  # a bug in extraction, with the worker's traceback
                    logger.error("parsing %s failed in a parse worker:\n%s", url, exc)
                    self.stats.inc_value("readiness/parse_failed")
                    raise PageParseFailed(exception_line(str(exc))) from None
            try:
                return parse_html(self.extractor, url, body, encoding, self.keep_html,
                                  self.normalizer)
            except PageParseError:
                raise
            except Exception as exc:  # a bug in extraction: recorded on the page, crawl goes on
                logger.exception("parsing %s failed", url)
                self.stats.inc_value("readiness/parse_failed")
                raise PageParseFailed(f"{type(exc).__name__}: {exc}") from exc
        except PageTooComplex:
            self.stats.inc_value("readiness/parse_too_complex")
            raise
        except PageParseError as exc:  # undecodable or empty body: the fetch row still stands
            logger.warning("could not parse %s: %s", url, exc)
            self.stats.inc_value("readiness/parse_errors")
            return None
