-- Built when a crawl closes (or when a store is opened for analysis), not while it streams
-- in: indexes would slow every insert of the crawl's hot path.
CREATE INDEX IF NOT EXISTS links_target ON links(target_id);
CREATE INDEX IF NOT EXISTS links_source ON links(source_id);
CREATE INDEX IF NOT EXISTS canonicals_target ON canonicals(target_id);
CREATE INDEX IF NOT EXISTS sitemap_entries_url ON sitemap_entries(url_id);
CREATE INDEX IF NOT EXISTS fetches_location ON fetches(location_url_id);
