"""The crawl's components (docs/architecture.md): each switched by its EXTENSIONS entry, and
the distributed coordination a swap of the local one."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import REPO

from readiness import settings as project_settings
from readiness.crawl.coordination import LocalCoordination, RedisCoordination


def scrapy_crawl(url: str, tmp_path, *options: str) -> subprocess.CompletedProcess:
    config = tmp_path / "c.yaml"
    config.write_text("crawl:\n  include: ['/team/*']\n  probe: {enabled: false}\n")
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"url={url}",
         "-a", f"config={config}", "-a", f"out={tmp_path / 'run'}", "-s", "LOG_LEVEL=WARNING",
         "-s", "READINESS_ANALYZE_ON_CLOSE=False", *options],
        capture_output=True, text=True, timeout=180, cwd=REPO)


def variant_kinds(tmp_path) -> list[str]:
    from readiness.store import open_store

    with open_store(tmp_path / "run" / "crawl.sqlite") as store:
        assert store.meta()["complete"] is True
        return sorted(row[0] for row in store.query("SELECT kind FROM variants"))


def test_variant_probes_are_switched_off_by_their_extensions_entry(fixture_server, tmp_path):
    url = fixture_server.url("site", "/team/")
    on, off = tmp_path / "on", tmp_path / "off"
    on.mkdir()
    off.mkdir()
    result = scrapy_crawl(url, on)
    assert result.returncode == 0, result.stderr
    assert "index" in variant_kinds(on)  # /team/index.html (PLANTED.md)
    without = {**project_settings.EXTENSIONS, "readiness.crawl.variants.VariantProbes": None}
    result = scrapy_crawl(url, off, "-s", f"EXTENSIONS={json.dumps(without)}")
    assert result.returncode == 0, result.stderr
    assert variant_kinds(off) == []


def test_redis_coordination_has_the_local_interface_only():
    """The spider and the components call the same methods whichever coordination they
    have: a public method only the Redis one had would be a distributed branch in disguise."""
    def public(cls):
        return {name for name in dir(cls) if not name.startswith("_")}

    assert public(RedisCoordination) == public(LocalCoordination)
