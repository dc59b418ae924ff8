"""robots.txt read as Google reads it (issue 11 §5): RFC 9309 and Google's published
behaviour (its open-source parser's conformance cases, re-derived here), through
readiness.crawl.robots.RobotsRules, the wrapper around Protego the crawl uses.

Each case is (robots.txt, crawler User-Agent header, URL, allowed?). Bare Protego, as the
crawl called it before (``Protego.parse(text).can_fetch(url, user_agent_header)``), passes
fewer of them: the count is in the module's report (bench-free, stated in the commit).
A loopback crawl then shows a ``User-agent: readiness bot`` group applied to the crawler.
"""

from __future__ import annotations

import pytest
from conftest import crawl_site

from readiness.crawl.robots import MAX_LINE_CHARS, RobotsRules
from readiness.demo.server import SiteServer

READINESS = "readiness/0.1 (+https://github.com/readiness-seo/readiness; link-building readiness check)"
FOO = "FooBot/1.0"
SITE = "http://foo.bar"

GROUPS = """allow: /foo/bar/

user-agent: FooBot
disallow: /
allow: /x/
user-agent: BarBot
disallow: /
allow: /y/


allow: /w/
user-agent: BazBot

user-agent: FooBot
allow: /z/
disallow: /
"""

RFC_EXAMPLE = """User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot

"""

LONG_DISALLOW = "/x/" + "a" * (MAX_LINE_CHARS - 3 - len("disallow: "))
LONG_ALLOW = "/x/" + "a" * (MAX_LINE_CHARS - 3 - len("allow: "))

CASES: list[tuple[str, str, str, str, bool]] = [
    # -- line syntax (RFC 9309 §2.2; Google accepts a missing colon and some typos)
    ("line", "user-agent: FooBot\ndisallow: /\n", FOO, "/x/y", False),
    ("unknown-fields", "foo: FooBot\nbar: /\n", FOO, "/x/y", True),
    ("missing-colon", "user-agent FooBot\ndisallow /\n", FOO, "/x/y", False),
    ("useragent-typo", "useragent: FooBot\ndisallow: /\n", FOO, "/x/y", False),
    ("user-agent-space", "user agent: FooBot\ndisallow: /\n", FOO, "/x/y", False),
    ("dissallow-typo", "user-agent: FooBot\ndissallow: /\n", FOO, "/x/y", False),
    ("comment", "user-agent: FooBot\n# disallow: /\ndisallow: /foo/quz#qux\nallow: /\n",
     FOO, "/foo/bar", True),
    ("comment-cut", "user-agent: FooBot\n# disallow: /\ndisallow: /foo/quz#qux\nallow: /\n",
     FOO, "/foo/quz", False),
    ("crlf", "User-Agent: foo\r\nAllow: /some/path\r\nUser-Agent: bar\r\n\r\n\r\nDisallow: /\r\n",
     "bar", "/x", False),
    ("cr-only", "User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\rDisallow: /\r",
     "bar", "/x", False),
    ("cr-only-foo", "User-Agent: foo\rAllow: /some/path\rUser-Agent: bar\rDisallow: /\r",
     "foo", "/some/path", True),
    ("utf8-bom", "\ufeffUser-agent: FooBot\nDisallow: /\n", FOO, "/x", False),
    # -- groups (§2.1, §2.2.1): consecutive user-agent lines share rules; same token merged
    ("groups-foo-x", GROUPS, FOO, "/x/b", True),
    ("groups-foo-z", GROUPS, FOO, "/z/d", True),
    ("groups-foo-y", GROUPS, FOO, "/y/c", False),
    ("groups-rule-before-any-agent", GROUPS, FOO, "/foo/bar/", False),
    ("groups-bar-y", GROUPS, "BarBot", "/y/c", True),
    ("groups-bar-w", GROUPS, "BarBot", "/w/a", True),
    ("groups-bar-z", GROUPS, "BarBot", "/z/d", False),
    ("groups-baz", GROUPS, "BazBot", "/z/d", True),
    ("sitemap-inside-group", "User-agent: BarBot\nSitemap: https://foo.bar/sitemap\n"
     "User-agent: *\nDisallow: /\n", "BarBot", "/", False),
    ("unknown-line-inside-group", "User-agent: BarBot\nInvalid-Unknown-Line: unknown\n"
     "User-agent: *\nDisallow: /\n", "BarBot", "/", False),
    ("merged-groups-a", "user-agent: foobot\ndisallow: /a\n\nuser-agent: foobot\ndisallow: /b\n",
     FOO, "/a", False),
    ("merged-groups-b", "user-agent: foobot\ndisallow: /a\n\nuser-agent: foobot\ndisallow: /b\n",
     FOO, "/b", False),
    # -- field names are case-insensitive, values of rules are not
    ("field-case", "USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n", FOO, "/x/y", True),
    ("field-case-2", "USER-AGENT: FooBot\nALLOW: /x/\nDISALLOW: /\n", FOO, "/a/b", False),
    ("value-case", "user-agent: FooBot\ndisallow: /X/\n", FOO, "/x/y", True),
    ("value-case-2", "user-agent: FooBot\ndisallow: /x/\n", FOO, "/x/y", False),
    # -- user-agent: product token, case-insensitive, cut at the first non-token character
    ("ua-upper", "User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n", "Foo", "/a/b", False),
    ("ua-upper-allow", "User-Agent: FOO BAR\nAllow: /x/\nDisallow: /\n", "Foo", "/x/y", True),
    ("ua-lower", "User-Agent: foo bar\nAllow: /x/\nDisallow: /\n", "FOO", "/a/b", False),
    ("ua-mixed", "User-Agent: FoO bAr\nAllow: /x/\nDisallow: /\n", "foo", "/a/b", False),
    ("ua-version", "User-Agent: FooBot/2.1\nDisallow: /\n", FOO, "/x", False),
    ("readiness-bot-group", "User-agent: readiness bot\nDisallow: /private/\n\n"
     "User-agent: *\nDisallow: /\n", READINESS, "/page", True),
    ("readiness-bot-group-2", "User-agent: readiness bot\nDisallow: /private/\n\n"
     "User-agent: *\nDisallow: /\n", READINESS, "/private/x", False),
    ("readiness-upper", "User-agent: READINESS\nDisallow: /\n", READINESS, "/x", False),
    ("word-of-header-is-not-a-token", "User-agent: check\nDisallow: /\n", READINESS, "/x", True),
    ("url-of-header-is-not-a-token", "User-agent: github\nDisallow: /\n", READINESS, "/x", True),
    ("prefix-is-not-the-token", "User-agent: read\nDisallow: /\n", READINESS, "/x", True),
    ("longer-token-is-not-ours", "User-agent: readinessbot\nDisallow: /\n", READINESS, "/x",
     True),
    ("star", "User-agent: *\nDisallow: /\n", READINESS, "/x", False),
    # -- the * group applies only when no group names the crawler
    ("global-when-unnamed", "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n",
     "BarBot", "/x/y", True),
    ("named-over-global", "user-agent: *\nallow: /\nuser-agent: FooBot\ndisallow: /\n",
     FOO, "/x/y", False),
    ("empty-file", "", FOO, "/", True),
    ("other-group-only", "user-agent: FooBot\ndisallow: /\n", "BarBot", "/x/y", True),
    ("specific-ignores-global", "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\n"
     "Disallow: /y/\n", FOO, "/x/page", True),
    ("specific-ignores-global-2", "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\n"
     "Disallow: /y/\n", FOO, "/y/page", False),
    # -- the longest match wins; on a tie, allow (§2.2.2)
    ("tie-allow", "user-agent: FooBot\ndisallow: /x/page.html\nallow: /x/page.html\n",
     FOO, "/x/page.html", True),
    ("tie-allow-root", "user-agent: FooBot\nallow: /\ndisallow: /\n", FOO, "/", True),
    ("wildcard-longer", "user-agent: FooBot\nallow: /page\ndisallow: /*.html\n", FOO,
     "/page.html", False),
    ("wildcard-shorter", "user-agent: FooBot\nallow: /page\ndisallow: /*.html\n", FOO,
     "/page", True),
    ("longest-allow", "user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n", FOO,
     "/x/page.html", True),
    ("longest-disallow", "user-agent: FooBot\nallow: /x/page.\ndisallow: /*.html\n", FOO,
     "/x/y.html", False),
    ("dir-vs-file", "User-agent: FooBot\nDisallow: /x\nAllow: /x/\n", FOO, "/x", False),
    ("dir-vs-file-2", "User-agent: FooBot\nDisallow: /x\nAllow: /x/\n", FOO, "/x/", True),
    ("empty-disallow", "User-agent: FooBot\nDisallow:\n", FOO, "/x", True),
    # -- special characters: * and $ (§2.2.3)
    ("star-middle", "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", FOO,
     "/foo/bar/quz", False),
    ("star-middle-2", "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", FOO,
     "/foo/quz", True),
    ("star-middle-3", "User-agent: FooBot\nDisallow: /foo/bar/quz\nAllow: /foo/*/qux\n", FOO,
     "/foo//quz", True),
    ("dollar", "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", FOO,
     "/foo/bar", False),
    ("dollar-2", "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", FOO,
     "/foo/bar/qux", True),
    ("dollar-3", "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", FOO,
     "/foo/bar/", True),
    ("dollar-4", "User-agent: FooBot\nDisallow: /foo/bar$\nAllow: /foo/bar/qux\n", FOO,
     "/foo/bar/baz", True),
    # -- encoding: rules are percent-encoded UTF-8 before matching (§2.2.2)
    ("query", "User-agent: FooBot\nDisallow: /foo/bar?qux=taz&baz=http://foo.bar?tar&par\n",
     FOO, "/foo/bar?qux=taz&baz=http://foo.bar?tar&par", False),
    ("utf8-rule", "User-agent: FooBot\nDisallow: /foo/bar/ツ\n", FOO, "/foo/bar/%E3%83%84",
     False),
    ("encoded-rule", "User-agent: FooBot\nDisallow: /foo/bar/%E3%83%84\n", FOO,
     "/foo/bar/%E3%83%84", False),
    # -- /robots.txt is implicitly allowed (§2.2.2)
    ("robots-txt-allowed", "User-agent: *\nDisallow: /\n", FOO, "/robots.txt", True),
    # -- Google reads at most 16,663 characters of a line (its kMaxLineLen)
    ("long-line-cut-disallow", f"user-agent: FooBot\ndisallow: {LONG_DISALLOW}/qux\n", FOO,
     "/fux", True),
    ("long-line-cut-disallow-2", f"user-agent: FooBot\ndisallow: {LONG_DISALLOW}/qux\n", FOO,
     f"{LONG_DISALLOW}/fux", False),
    ("long-line-cut-allow", f"user-agent: FooBot\ndisallow: /\nallow: {LONG_ALLOW}/qux\n", FOO,
     "/fux", False),
    ("long-line-cut-allow-2", f"user-agent: FooBot\ndisallow: /\nallow: {LONG_ALLOW}/qux\n",
     FOO, f"{LONG_ALLOW}/fux", True),
    # -- RFC 9309 §5.1's example
    ("rfc-foobot-page", RFC_EXAMPLE, "foobot", "/example/page.html", True),
    ("rfc-foobot-gif", RFC_EXAMPLE, "foobot", "/example/allowed.gif", True),
    ("rfc-foobot-other", RFC_EXAMPLE, "foobot", "/example/other", False),
    ("rfc-foobot-root", RFC_EXAMPLE, "FooBot/1.2", "/", False),
    ("rfc-barbot-page", RFC_EXAMPLE, "barbot", "/example/page.html", False),
    ("rfc-barbot-other", RFC_EXAMPLE, "barbot", "/example/other", True),
    ("rfc-bazbot-page", RFC_EXAMPLE, "BazBot", "/example/page.html", False),
    ("rfc-quxbot-empty-group", RFC_EXAMPLE, "quxbot", "/example/page.html", True),
    ("rfc-other-gif", RFC_EXAMPLE, "otherbot", "/a.gif", False),
    ("rfc-other-example", RFC_EXAMPLE, "otherbot", "/example/", False),
    ("rfc-other-publications", RFC_EXAMPLE, "otherbot", "/publications/", True),
    ("rfc-other-rest", RFC_EXAMPLE, "otherbot", "/other", True),
]


def allowed(robots: str, agent: str, path: str) -> bool:
    rules = RobotsRules(agent)
    rules.add("foo.bar", robots)
    return rules.allowed(SITE + path)


@pytest.mark.parametrize("name,robots,agent,path,expected", CASES, ids=[c[0] for c in CASES])
def test_rfc9309_and_google_cases(name, robots, agent, path, expected):
    assert allowed(robots, agent, path) is expected


def test_cases_have_names_of_their_own():
    assert len({case[0] for case in CASES}) == len(CASES)


def test_a_readiness_bot_group_is_applied_in_a_crawl(tmp_path):
    (tmp_path / "site.yaml").write_text(
        "hosts: {site: 127.0.0.1}\nroutes:\n  site:\n"
        "    /robots.txt: {body: \"User-agent: *\\nDisallow: /\\n\\n"
        "User-agent: Readiness bot\\nDisallow: /private\\n\", content_type: text/plain}\n"
        "    /: {body: '<a href=\"/open\">o</a> <a href=\"/private\">p</a>'}\n"
        "    /open: {body: open}\n    /private: {body: private}\n", encoding="utf-8")
    with SiteServer(tmp_path) as server:
        crawl = crawl_site(server.url("site"), tmp_path / "run", {"probe": {"enabled": False}})
        assert crawl.result.returncode == 0, crawl.result.stderr
        assert server.requests_for("site", "/open")
        assert not server.requests_for("site", "/private")
    with crawl.store() as store:
        assert store.fetch(server.url("site", "/private"))["error"] == "robots-blocked"
        assert store.fetch(server.url("site", "/open"))["status"] == 200
