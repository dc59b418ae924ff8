"""The RobotsTxt component's download signals in a distributed run: a worker may be handed a
robots.txt another worker requested (scrapy-redis shares one queue)."""

from types import SimpleNamespace

from pydispatch import dispatcher
from scrapy import signals
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager

from readiness.crawl.robots import RobotsTxt


def component() -> RobotsTxt:
    spider = SimpleNamespace(crawl_cfg=None, normalizer=None, scope=None, coordination=None)
    crawler = SimpleNamespace(spider=spider, stats=None, signals=SignalManager(),
                              settings=Settings({"USER_AGENT": "readiness-test",
                                                 "DOWNLOAD_MAXSIZE": 1000}))
    return RobotsTxt(crawler)


def receivers(robots: RobotsTxt) -> int:
    """Receivers connected to the two download signals (counted, not called)."""
    sender = robots.crawler.signals.sender
    return sum(len(list(dispatcher.getAllReceivers(sender, signal))) for signal in
               (signals.headers_received, signals.bytes_received))


def test_a_robots_txt_another_worker_requested_is_answered_without_error():
    """Seen in a two-worker scrapyd run: worker 2 received worker 1's robots.txt, and
    disconnecting receivers it never connected raised in parse_robots; the run hung."""
    robots = component()
    robots._answered("127.0.0.1:8080")  # raised DispatcherKeyError before
    assert receivers(robots) == 0


def test_its_own_robots_txt_connects_the_signals_until_every_one_is_answered():
    robots = component()
    for host in ("a.test", "b.test"):
        robots.request(f"http://{host}", host, callback=None, errback=None)
    assert receivers(robots) == 2
    robots._answered("elsewhere.test")  # another worker's: changes nothing here
    robots._answered("a.test")
    assert receivers(robots) == 2  # b.test still unanswered
    robots._answered("b.test")
    assert receivers(robots) == 0
