"""One HTML page's tree and text, shared by the crawl's extractor and the rules."""
