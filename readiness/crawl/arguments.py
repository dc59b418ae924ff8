"""What a crawl is asked to do: the spider's arguments (``scrapy crawl site -a url=… -a config=…
-a out=… -a resume=… -a prospects=… -a placements=…``, scrapyd's the same; the CLI passes a
validated configuration and a list already read) read into one :class:`CrawlArguments`.

A new run, a resumed one (readiness/crawl/resume.py: its folder, configuration and start URL
are the stored run's) or a prospects/placements run (readiness/crawl/outside.py: its list read
and the configuration made its polite list-mode crawl). Contradictory arguments are refused
with what to give instead (a ValueError: Scrapy prints it, the CLI makes it one line, exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from readiness.config import ReadinessConfig, read_config
from readiness.crawl.outside import (PLACEMENTS, PROSPECTS, OutsideRun, prepare_outside,
                                    read_outside_list)
from readiness.crawl.resume import resumable_meta, resume_store_path, resumed_run
from readiness.urls import redact_credentials


@dataclass(frozen=True, slots=True)
class CrawlArguments:
    """``url``: the start URL as given (a resumed run's: the stored one); ``config_path``: the
    ``-a config=`` file (meta ``config_file``); ``resumed_meta``: the stored run's meta when
    resuming; ``outside``: a prospects or placements run's list."""

    url: str
    cfg: ReadinessConfig
    config_path: str | None
    out: str | None
    resumed_meta: dict[str, Any] | None
    outside: OutsideRun | None

    @classmethod
    def read(cls, url: str | None, config: str | ReadinessConfig | None, out: str | None,
             resume: str | None, prospects: str | None, placements: str | None,
             outside: OutsideRun | None) -> "CrawlArguments":
        if not url and not resume:
            raise ValueError("a start URL is required: scrapy crawl site -a url=https://… "
                             "(or -a resume=DIR to resume an interrupted run)")
        if url and redact_credentials(url) != url:
            raise ValueError(f"the start URL {redact_credentials(url)} carries a user "
                             f"name/password: remove them (never sent, never stored)")
        # A path (scrapy crawl -a config=…, scrapyd) or an already validated config (the CLI).
        if isinstance(config, ReadinessConfig):
            config_path, cfg = None, config
        else:
            # The crawl sections validated; the rules are validated by whoever analyses
            # (readiness.report.on_close.AnalyzeOnClose, at start-up, before any request).
            config_path, cfg = config, read_config(config) if config else None
        resumed_meta = None
        if resume:
            if out:
                raise ValueError("resume continues the run in its own folder: give no out")
            store_path = resume_store_path(resume)
            resumed_meta = resumable_meta(store_path)
            cfg, url = resumed_run(resumed_meta, cfg, url)
            config_path = config_path or resumed_meta.get("config_file")
            out = str(store_path.parent)
        elif cfg is None:
            cfg = read_config(None)
        if prospects or placements:
            if resume or outside is not None or (prospects and placements):
                raise ValueError("give one list, prospects=FILE or placements=FILE, for a new "
                                 "run (a resumed run has its list stored)")
            if not url:
                raise ValueError("a prospects or placements run needs the site: -a url=SITE")
            mode = PROSPECTS if prospects else PLACEMENTS
            outside = read_outside_list(mode, prospects or placements)
            prepare_outside(mode, url, outside.listed, cfg)
        return cls(url, cfg, config_path, out, resumed_meta, outside)
