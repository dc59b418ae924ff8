"""Scrapy commands of the readiness project (``COMMANDS_MODULE`` in readiness/settings.py):
``crawl`` replaces Scrapy's own so a mistake in the spider's arguments or its configuration
(``scrapy crawl site -a config=…``, scrapyd jobs) is one clear line, not a traceback."""
