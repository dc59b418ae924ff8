"""URL normalisation, scope and the host map."""

from readiness.urls import PublicUrls, Scope, UrlNormalizer

STAGING = "http://127.0.0.1:8080"


def test_normalisation_strips_tracking_fragment_default_port_and_sorts_query():
    n = UrlNormalizer()
    assert n.normalize("/a?utm_source=x&b=2&a=1#top", "http://Example.com:80/x/y") == \
        "http://example.com/a?a=1&b=2"
    assert n.normalize("../z", "http://a.com/b/c/d") == "http://a.com/b/z"
    assert n.normalize("tel:+1 555", "http://a.com/") == "tel:+1 555"


def test_invalid_urls_are_none_not_errors():
    n = UrlNormalizer()
    assert n.normalize("http://[::1", "http://a.com/") is None
    assert n.normalize("http://a.com:99999/", None) is None
    assert n.normalize("http:///nohost", None) is None


def test_hrefs_no_browser_can_follow_are_none():
    n = UrlNormalizer()
    for raw in ("http://localhost:port/", "http://exa mple.com", "https://",
                "http://exa%20mple.com/", "http://a<b.example/", "http://a|b.example/"):
        assert n.normalize(raw, "http://a.com/") is None, raw
    # Twins a browser follows: percent-escapes it decodes to a valid name, underscores, IDN,
    # IPv6 literals, user info, and other schemes (kept as written).
    assert n.normalize("http://%41.example/", None) == "http://%41.example/"
    assert n.normalize("http://ex_ample.com/", None) == "http://ex_ample.com/"
    assert n.normalize("http://bücher.example/", None) == "http://xn--bcher-kva.example/"
    assert n.normalize("http://[::1]:8080/", None) == "http://[::1]:8080/"
    assert n.normalize("http://u:p@host.example/", None) == "http://u:p@host.example/"
    for raw in ("mailto:office@a.com", "javascript:void(0)", "data:text/plain,hi"):
        assert n.normalize(raw, "http://a.com/") == raw


def test_stripped_params_names_the_tracking_tags_an_href_carried():
    n = UrlNormalizer()
    assert n.stripped_params("/a?utm_source=x&page=2&gclid=1#top") == ["utm_source", "gclid"]
    assert n.stripped_params("/a?page=2") == [] and n.stripped_params("/a#utm_source=x") == []
    assert UrlNormalizer(strip_params=[]).stripped_params("/a?utm_source=x") == []
    assert UrlNormalizer(strip_params=["ref"]).stripped_params("/a?ref=x&utm_a=1") == ["ref"]


def test_host_map_resolves_production_urls_of_either_scheme_to_staging():
    n = UrlNormalizer({"https://www.clinic.example": STAGING})
    assert n.normalize("https://www.clinic.example/team") == f"{STAGING}/team"
    assert n.normalize("http://www.clinic.example/team") == f"{STAGING}/team"
    assert n.normalize("https://other.example/") == "https://other.example/"
    assert n.unmap_host(f"{STAGING}/team") == "https://www.clinic.example/team"


def test_host_map_applies_to_production_urls_spelling_the_default_port():
    # "https://www.clinic.example:443/" is the production host as much as without ":443":
    # unmapped, a staging crawl probed the real site and reported its answer as the link's.
    n = UrlNormalizer({"https://www.clinic.example": STAGING})
    assert n.normalize("https://www.clinic.example:443/team") == f"{STAGING}/team"
    assert n.normalize("http://WWW.clinic.example:80/team") == f"{STAGING}/team"
    assert n.normalize("/team", "https://www.clinic.example:443/") == f"{STAGING}/team"
    assert n.is_mapped("https://www.clinic.example:443/team")
    # The clean twins: another port is another service, and stays as it is.
    assert n.normalize("https://www.clinic.example:8443/team") == (
        "https://www.clinic.example:8443/team")
    assert not n.is_mapped("https://www.clinic.example:8443/team")


def test_public_urls_rewrite_whole_origins_only():
    public = PublicUrls(UrlNormalizer({"https://www.clinic.example": STAGING}))
    assert public.text(f"see {STAGING}/a and http://127.0.0.1:80801/b") == \
        "see https://www.clinic.example/a and http://127.0.0.1:80801/b"
    assert public.deep({"hops": [{"url": f"{STAGING}/x"}]}) == \
        {"hops": [{"url": "https://www.clinic.example/x"}]}
    assert not PublicUrls(UrlNormalizer())


def test_scope_include_exclude_globs():
    scope = Scope({"site.test"}, include=["/blog/*"], exclude=["*/draft*"])
    assert scope.is_internal("http://site.test/x") and not scope.is_internal("http://other.test/")
    assert not scope.is_excluded("http://site.test/blog/post")
    assert scope.is_excluded("http://site.test/about")
    assert scope.is_excluded("http://site.test/blog/draft-1")


def test_netloc_fast_path_agrees_with_urlsplit():
    from urllib.parse import urlsplit

    from readiness.urls import netloc

    for url in ["http://Example.com:8080/a?b#c", "https://a.b", "https://a.b?x=/y",
                "http://u:p@h.test/x", "https://h.test#frag/x", "mailto:x@y.z"]:
        assert netloc(url) == urlsplit(url).netloc.lower(), url


def test_one_normaliser_from_the_crawl_config_or_the_stored_one():
    from readiness.config import CrawlConfig

    crawl = CrawlConfig(host_map={"https://www.clinic.example": STAGING}, strip_params=["ref"])
    built = UrlNormalizer.from_config(crawl)
    stored = UrlNormalizer.from_meta({"config": {"crawl": crawl.model_dump(mode="json")}})
    for n in (built, stored):
        assert n.normalize("https://www.clinic.example/a?ref=x&utm_source=y") == \
            f"{STAGING}/a?utm_source=y"
        assert PublicUrls(n).text(f"{STAGING}/a") == "https://www.clinic.example/a"
    # A store from before the config was recorded: no host map, the default tracking tags.
    older = UrlNormalizer.from_meta({})
    assert older.normalize("http://site.test/a?utm_source=y") == "http://site.test/a"
    assert not PublicUrls(older)
