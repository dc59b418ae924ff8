"""Start-up of the `readiness` command (issue 10: `readiness check` of a small site in ≤ 2 s).

What is measured lives in bench/startup.py; these tests hold the behaviour the cuts rely on.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _fresh_interpreter(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, cwd=REPO, check=False)


def test_switched_off_scrapy_middlewares_are_neither_enabled_nor_imported():
    result = _fresh_interpreter("""
        import sys
        from readiness.crawl.runner import project_settings
        settings = project_settings()
        for name in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES"):
            components = settings.get_component_priority_dict_with_base(name)
            print(name, sorted(k for k, v in components.items() if v is not None))
        print("tldextract imported:", "tldextract" in sys.modules)
    """)
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    downloader = ast.literal_eval(lines["DOWNLOADER_MIDDLEWARES"])
    spider = ast.literal_eval(lines["SPIDER_MIDDLEWARES"])
    for off in ("cookies.CookiesMiddleware", "offsite.OffsiteMiddleware",
                "httpauth.HttpAuthMiddleware", "httpproxy.HttpProxyMiddleware",
                "stats.DownloaderStats"):
        assert f"scrapy.downloadermiddlewares.{off}" not in downloader
    for on in ("readiness.crawl.addresses.AddressGuardMiddleware",
               "readiness.crawl.middlewares.FetchTimingMiddleware",
               "scrapy.downloadermiddlewares.retry.RetryMiddleware",
               "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware",
               "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware",
               "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware",
               "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware"):
        assert on in downloader
    assert spider == ["scrapy.spidermiddlewares.httperror.HttpErrorMiddleware",
                      "scrapy.spidermiddlewares.start.StartSpiderMiddleware"]
    # CookiesMiddleware imports tldextract (and requests): ~0.19 s of every start-up.
    assert lines["tldextract"] == "imported: False"


def test_the_command_freezes_what_is_left_for_a_quick_exit_and_keeps_the_exit_code():
    result = _fresh_interpreter("""
        import gc, sys
        from readiness import cli
        sys.argv = ["readiness", "rules", "no-such-rule"]
        code = cli.run()
        print(code, gc.get_freeze_count() > 0)
    """)
    assert result.stdout.split() == ["2", "True"], result.stderr
    assert "unknown rule 'no-such-rule'" in result.stderr
