"""Test-only fault injection (tests/test_parse_failed.py): the page extractor raises on a URL
containing $READINESS_TEST_EXTRACTOR_RAISES_ON, as a bug in readiness would.

Why a hook: no page is known to make the extractor raise (each such page found was a bug,
fixed, so none stays a fixture), yet the crawl must record one if it ever happens, in the
crawl process and in a parse worker alike. Python imports this module at start-up in every
process whose PYTHONPATH holds this folder: the crawl, and the parse workers it starts
(they inherit its sys.path). Never on the path outside that test.
"""

import os

RAISES_ON = os.environ.get("READINESS_TEST_EXTRACTOR_RAISES_ON")

if RAISES_ON:
    from readiness.crawl.extract import PageExtractor

    _extract = PageExtractor.extract

    def _raising_extract(self, root, text, url):
        if RAISES_ON in url:
            raise ZeroDivisionError(f"planted by the test on {url}")
        return _extract(self, root, text, url)

    PageExtractor.extract = _raising_extract
