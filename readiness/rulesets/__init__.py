"""Rule sets shipped inside the package (default.yaml), so scrapyd eggs carry them."""
