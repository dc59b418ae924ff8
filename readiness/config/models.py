"""Typed models of the YAML configuration (the ``crawl:`` section and its ``probe:`` part).

Field docs here are the reference for the YAML keys: ``rules/schema.json`` and the README's
configuration table are generated from them.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from readiness.urls import DEFAULT_STRIP_PARAMS, netloc, redact_credentials

MAX_PARSE_WORKERS = 64


def _as_url(host_or_url: str) -> str:
    return host_or_url.strip() if "://" in host_or_url else f"http://{host_or_url.strip()}/"


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class ProbeConfig(StrictModel):
    """Stage 2: checking each distinct outbound URL once per run."""

    enabled: bool = Field(
        True, description="Check outbound links at all (false: reported as not checked, "
        "never broken or ok; readiness check --no-outbound sets it).")
    concurrency_per_host: int = Field(2, ge=1, le=16, description="Parallel requests to one outbound host.")
    delay: float = Field(0.5, ge=0, description="Seconds between requests to one outbound host.")
    timeout: float = Field(15.0, gt=0, description="Seconds before a probe counts as a timeout.")
    retries: int = Field(2, ge=0, le=5, description="Extra attempts for 5xx, 429 and network errors.")
    backoff: float = Field(2.0, ge=0, description="Seconds before the first retry; doubles on each retry.")
    max_retry_after: float = Field(
        60.0, ge=0, description="Longest Retry-After (seconds) honoured; longer waits are unverifiable."
    )
    cache_ttl_hours: float = Field(
        168.0, ge=0, description="Reuse successful results younger than this across runs (0 = never)."
    )
    cache_path: str | None = Field(
        None, description="Cache file; default <reports dir>/.probe-cache.sqlite."
    )


class DistributedConfig(StrictModel):
    """Several Scrapy processes crawling one run together (docs/distributed.md)."""

    redis_url: str | None = Field(
        None, description="Redis the workers share, e.g. redis://10.0.0.5:6379/0. Unset: the "
        "crawl runs in one process. Every worker gets the same -a run=NAME.")
    idle_close_seconds: float = Field(
        10.0, gt=0, description="A worker leaves the run once the shared queue has been empty "
        "and it has had nothing to do for this long; the last to leave merges the store.")
    seed_wait_seconds: float = Field(
        600.0, gt=0, description="How long a worker waits for the run's first worker to seed "
        "the crawl (robots.txt, start URLs, sitemaps) before giving up.")
    presence_seconds: float = Field(
        30.0, ge=2, description="A worker that has not reported for this long (killed, its "
        "machine gone) no longer counts: the others finish and merge without it.")

    @field_serializer("redis_url", when_used="json")
    def _redacted(self, value: str | None) -> str | None:
        # Redis's password may be in the URL; the JSON form is what stores keep (their meta
        # holds the resolved configuration) and runs share: never with it.
        return redact_credentials(value) if value else value


class CrawlConfig(StrictModel):
    """Stage 1: the site's own pages."""

    start_urls: list[str] = Field(default_factory=list, description="Extra start URLs beside the one given on the command line.")
    list_urls: list[str] = Field(
        default_factory=list,
        description="List mode (``readiness check --list FILE``): fetch exactly these URLs, "
        "following their redirects hop by hop but no link, sitemap or variant; rules that need "
        "the whole site do not run.")
    list_hosts_named: bool = Field(
        True, description="List mode: the listed URLs' hosts count as hosts you named, so a "
        "private address of theirs (10.x, loopback) is fetched. `readiness prospects` and "
        "`placements` set it false: other sites' pages from a spreadsheet are guarded as "
        "outbound links are (allow_private lets a network through).")
    extra_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts that are part of the site too (www/non-www, staging), as host or URL.",
    )
    host_map: dict[str, str] = Field(
        default_factory=dict,
        description="Production origin -> origin actually crawled, e.g. "
        "'https://www.clinic.example': 'http://127.0.0.1:8080'.",
    )
    allow_private: list[str] = Field(
        default_factory=list,
        description="Private, loopback or link-local networks (CIDR, e.g. 10.0.0.0/8) that "
        "links, redirects, images, canonicals and sitemaps may lead to. Every other non-public "
        "address is refused unless its host is one you named (start URL, extra_hosts, "
        "host_map targets, a --list file's URLs) and reported as 'not checked: private address'; "
        "a link-local or cloud metadata address (169.254.169.254) only when listed here.")
    include: list[str] = Field(default_factory=list, description="Only crawl URLs matching these globs (path globs start with /).")
    exclude: list[str] = Field(default_factory=list, description="Never crawl URLs matching these globs.")
    max_pages: int = Field(50_000, ge=1, description="Stop fetching new site pages after this many (the images, scripts and stylesheets a page loads are not counted, however they were found first).")
    max_depth: int = Field(30, ge=0, description="Links further than this from a seed are not followed.")
    concurrency: int = Field(16, ge=1, le=256, description="Parallel requests to the site.")
    delay: float = Field(0.0, ge=0, description="Seconds between requests to the site.")
    timeout: float = Field(20.0, gt=0, description="Seconds before a page fetch counts as a timeout.")
    robots: Literal["obey", "report", "ignore"] = Field(
        "obey",
        description="obey: record robots.txt-blocked URLs without fetching them; report: fetch "
        "them but record the block; ignore: do not read robots.txt rules.",
    )
    user_agent: str | None = Field(None, description="User-Agent header; default names readiness.")
    sitemaps: list[str] = Field(
        default_factory=list, description="Sitemaps to read besides those in robots.txt and /sitemap.xml."
    )
    strip_params: list[str] = Field(
        default_factory=lambda: list(DEFAULT_STRIP_PARAMS),
        description="Query parameters (globs) removed when normalising URLs (tracking tags).",
    )
    boilerplate_selectors: list[str] = Field(
        default_factory=list,
        description="CSS selectors removed from main content besides nav, header, footer and aside.",
    )
    remeasure_slow_ms: float = Field(
        600.0, ge=0, description="Pages whose first byte took longer during the crawl are "
        "fetched again when it is quiet, one at a time; slowness is judged on those samples "
        "only (0 = never for time to first byte).")
    remeasure_download_ms: float = Field(
        1500.0, ge=0, description="Pages whose full download took longer during the crawl are "
        "fetched again the same way (0 = never for the full download).")
    remeasure_times: int = Field(2, ge=1, le=5, description="Extra fetches of each slow page.")
    fetch_resources: bool = Field(
        True, description="Also fetch the site's own images, scripts and stylesheets (once each), "
        "and what the stylesheets load with url(), so page weight, large images and missing "
        "background images can be judged.")
    store_html: bool = Field(
        True, description="Keep each page's HTML (compressed) in the store, so custom rules "
        "with selectors can be added and re-analysed without re-crawling.")
    parse_workers: int | Literal["auto"] = Field(
        "auto", description="Processes that parse pages beside the crawl process, so the "
        "crawl uses another core (0 = parse in the crawl process). auto: one on a machine with "
        "two or more cores, else 0.")
    parse_timeout: float = Field(
        20.0, gt=0, le=3600, description="Seconds a parse worker may spend on one page; "
        "past that the worker is restarted and the page recorded as too complex to parse "
        "(STS005), the crawl going on with the other pages. With parse_workers: 0 a parse "
        "cannot be interrupted: only the linear pre-check (an element with thousands of "
        "attributes) guards the crawl process.")
    variant_samples: int = Field(
        5, ge=0, description="Besides the home page, how many templates (first path segments) "
        "get their http/https, www/non-www, trailing-slash and /index.html variants requested "
        "(after the crawl: the shortest URL of each of the templates whose shortest URLs are "
        "shortest).")
    max_url_length: int = Field(2048, ge=64, description="Longer URLs are recorded as crawler traps, not fetched.")
    max_repeated_segments: int = Field(
        3, ge=1, description="A path repeating one segment more often than this is a crawler trap."
    )
    max_page_bytes: int = Field(
        8 * 1024 * 1024, ge=1024, description="Bigger responses are cut off and recorded as too-large."
    )
    probe: ProbeConfig = Field(default_factory=ProbeConfig)
    distributed: DistributedConfig = Field(default_factory=DistributedConfig)

    @field_validator("list_urls")
    @classmethod
    def _http_urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.lower().startswith(("http://", "https://")):
                raise ValueError(f"{url!r} is not an http(s) URL: list full URLs, such as "
                                 f"https://www.clinic.example/services/")
        return value

    @field_validator("allow_private")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"{cidr!r} is not a network: write an address or a CIDR "
                                 f"such as 10.0.0.0/8, 192.168.1.20 or fd00::/8") from None
        return value

    @model_validator(mode="after")
    def _no_credentials(self) -> "CrawlConfig":
        # Refused, and never echoed: the message shows the URL with ***@ in their place.
        urls = [*self.start_urls, *self.list_urls, *self.extra_hosts, *self.sitemaps,
                *(o for pair in self.host_map.items() for o in pair)]
        carrying = [redact_credentials(url) for url in urls if redact_credentials(url) != url]
        if carrying:
            raise ValueError(f"{', '.join(carrying)}: a user name/password in a URL is never "
                             f"sent and never stored; remove it")
        return self

    @model_validator(mode="after")
    def _staging_never_reaches_production(self) -> "CrawlConfig":
        # Under host_map a host of the site that the map does not cover would be crawled
        # for real: the production server a staging crawl must never touch.
        if not self.host_map:
            return self
        mapped = {netloc(_as_url(o)) for pair in self.host_map.items() for o in pair}
        unmapped = [host for host in [*self.extra_hosts, *self.start_urls, *self.list_urls]
                    if netloc(_as_url(host)) not in mapped]
        if unmapped:
            raise ValueError(
                f"{', '.join(unmapped)}: not in host_map, so a staging crawl would send it real "
                f"traffic; add it to host_map (production origin -> the origin to crawl) or "
                f"remove it")
        return self

    @field_validator("parse_workers", mode="before")
    @classmethod
    def _process_count_or_auto(cls, value: Any) -> Any:
        # One message for both forms (a plain union would report each alternative's error).
        if value == "auto" or (type(value) is int and 0 <= value <= MAX_PARSE_WORKERS):
            return value
        raise ValueError(f"use a number of processes from 0 (parse in the crawl process) to "
                         f"{MAX_PARSE_WORKERS}, or auto (got {value!r})")


class BacklinkExportConfig(StrictModel):
    """A backlink export the analysis reads (docs/backlinks.md): its targets are crawled and
    judged by the backlinks rules."""

    file: str = Field(description="The export (CSV, TSV or a list of URLs), relative to the "
                      "rule file that names it.")
    columns: str | None = Field(
        None, description="For a CSV readiness does not recognise: which column holds what, "
        "e.g. 'target=Target URL,source=Referring page URL'.")


class GroupsConfig(StrictModel):
    """Template findings: one problem repeated across a section of the site (docs/findings.md)."""

    enabled: bool = Field(True, description="Group the findings a template repeats.")
    min_members: int = Field(
        5, ge=2, description="Fewest findings of one rule and cause in one section (host and "
        "first path segment, e.g. /book/*) that make a template group.")
    min_share: float = Field(
        0.5, gt=0, le=1, description="Smallest share of the section's crawled HTML pages the "
        "findings must cover to be a template group.")


class ConfigFile(StrictModel):
    """The keys one YAML file may have (rules entries are checked against the registry)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_ref: str | None = Field(None, alias="$schema", description="JSON Schema for editors.")
    extends: str | None = Field(
        None, description="'default' (the shipped rule set) or a path relative to this file.")
    # Checked as a whole once the files are merged (readiness.config.loader), like the rules.
    crawl: dict[str, Any] = Field(default_factory=dict, description="The crawl settings (CrawlConfig).")
    groups: dict[str, Any] = Field(
        default_factory=dict, description="Template groups of findings (GroupsConfig).")
    rules: dict[str, dict[str, Any] | None] = Field(
        default_factory=dict, description="Per-rule settings, keyed by rule code or name.")
    custom_rules: list[dict[str, Any]] = Field(
        default_factory=list, description="Rules defined in YAML (docs/custom-rules.md).")
    backlinks: list[str | BacklinkExportConfig] | None = Field(
        None, description="Backlink exports (paths relative to this file, or {file, columns}):"
        " their targets on the site are crawl seeds too, and the backlinks rules judge them "
        "(docs/backlinks.md). A site file's list replaces the one it extends.")


class ReadinessConfig(BaseModel):
    """A configuration: ``extends`` applied, the crawl section validated.

    ``rule_entries`` and ``custom_rule_entries`` are the ``rules:`` and ``custom_rules:``
    entries as written (``readiness.config.loader.ConfigEntry``, base files' first). Only the
    rules know their options, so ``readiness.rules.settings.validate_rules`` validates them
    once and fills ``rules`` and ``custom_rules``; until then both are None.
    """

    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    groups: GroupsConfig = Field(default_factory=GroupsConfig)
    rules: dict[str, Any] | None = None      # code -> that rule's settings model
    custom_rules: list[Any] | None = None    # CustomRuleSpec, base files' first
    sources: list[str] = Field(default_factory=list)      # files it was read from, base first
    # The backlink exports, their paths absolute (resolved against the file naming them).
    backlinks: list[BacklinkExportConfig] = Field(default_factory=list)
    rule_entries: list[Any] = Field(default_factory=list, exclude=True)
    custom_rule_entries: list[Any] = Field(default_factory=list, exclude=True)

    @property
    def rules_validated(self) -> bool:
        return self.rules is not None and self.custom_rules is not None
