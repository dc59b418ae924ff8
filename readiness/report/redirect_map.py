"""The redirect map as files to paste into a server (``--format redirects``, docs/redirect-map.md).

    reports/<run>/redirects.csv          every row: from, to, status, confidence, reason, counts
    reports/<run>/redirects.nginx.conf   a ``map $request_uri $readiness_redirect`` block
    reports/<run>/redirects.apache.conf  ``RedirectMatch 301`` / ``RewriteRule`` lines
    reports/<run>/_redirects             Netlify / Cloudflare Pages: ``/old /new 301``

A pure function of the findings document: the rows are RDM001's suggestions (each dead URL,
and the redirects that lead into it, to the suggested page) and the one-hop replacements of the
chains RDR001 found (every hop of a chain straight to where it ends). Only high and medium
suggestions and chain replacements are live lines of the server files; low ones and "choose by
hand" are in the CSV, and commented out in the server files so a person can finish them.
Accepted findings are left out: somebody decided that URL stays as it is.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit

from readiness.report.findings import findings_of_rule
from readiness.report.machine import write_text

REDIRECT_FILES = ("redirects.csv", "redirects.nginx.conf", "redirects.apache.conf", "_redirects")
CSV_COLUMNS = ("from", "to", "status", "confidence", "reason", "referring_domains",
               "inbound_links", "finding")
DEAD_URL_RULE = "RDM001"
CHAIN_RULE = "RDR001"
# Confidence of a row that goes into the server files as a live line.
APPLIED = frozenset({"high", "medium"})
NGINX_VARIABLE = "$readiness_redirect"


@dataclass(frozen=True, slots=True)
class RedirectRow:
    source: str                    # the URL to redirect (absolute, as findings speak it)
    target: str | None             # None: choose by hand
    confidence: str | None
    reason: str
    referring_domains: int | None
    inbound_links: int | None
    finding: str                   # the finding id the row comes from

    @property
    def applied(self) -> bool:
        return self.target is not None and self.confidence in APPLIED


def redirect_rows(document: dict[str, Any]) -> list[RedirectRow]:
    """Every row of the map, by source URL; a URL is redirected once (a dead URL's own row
    first, then a redirect leading into it, then a chain hop)."""
    rows: dict[str, RedirectRow] = {}

    def keep(row: RedirectRow) -> None:
        if row.source != row.target:
            rows.setdefault(row.source, row)

    dead = [f for f in findings_of_rule(document["findings"], DEAD_URL_RULE)
            if f.get("accepted") is None]
    # First each dead URL itself, then the redirects leading into it (a finding about a dead
    # URL only redirects reach is reported where the chain is entered: the finding's URL).
    for own in (True, False):
        for finding in dead:
            evidence = finding["evidence"]
            dead_url = evidence.get("dead_url") or finding["url"]
            sources = [dead_url] if own else [finding["url"], *(evidence.get("also_from") or [])]
            for source in sources:
                reason = evidence.get("reason") or ""
                if source != dead_url:
                    reason = f"redirects to {dead_url}, which is dead; {reason}"
                counted = source == finding["url"]
                keep(RedirectRow(source, evidence.get("suggested_target"),
                                 evidence.get("confidence"), reason,
                                 evidence.get("referring_domains") if counted else None,
                                 evidence.get("inbound_link_count") if counted else None,
                                 finding["id"]))
    for finding in findings_of_rule(document["findings"], CHAIN_RULE):
        evidence = finding["evidence"]
        hops, final = evidence.get("hops") or [], evidence.get("final_url")
        if finding.get("accepted") is not None or evidence.get("final_status") != 200 \
                or not final:
            continue
        for index, hop in enumerate(hops):
            keep(RedirectRow(hop["url"], final, "high",
                             f"one hop instead of a chain of {len(hops)}", None,
                             evidence.get("inbound_link_count") if index == 0 else None,
                             finding["id"]))
    return [rows[source] for source in sorted(rows)]


def request_uri(url: str) -> str:
    """The path and query a request for ``url`` carries (what servers match on)."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def location(source: str, target: str) -> str:
    """The Location to send: a path on the same origin, the whole URL on another."""
    a, b = urlsplit(source), urlsplit(target)
    if (a.scheme, a.netloc) == (b.scheme, b.netloc):
        return request_uri(target)
    return target


# -- nginx --------------------------------------------------------------------------------

def nginx_string(text: str) -> str:
    """A double-quoted nginx string: backslash and quote escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def nginx_value(text: str) -> str:
    # A map value is interpolated: a "$" would name a variable.
    return nginx_string(text.replace("$", "%24"))


def nginx_key(uri: str) -> str:
    """The map key matching ``uri``: a string (nginx compares those ignoring case), or, when the
    URI has capitals, a case-sensitive regular expression, so that "/About" dead does not also
    send a live "/about" away."""
    if uri == uri.lower():
        return nginx_string(uri)
    return nginx_string("~^" + re.escape(uri) + "$")


def nginx_conf(rows: list[RedirectRow]) -> str:
    lines = [
        "# readiness redirect map for nginx (docs/redirect-map.md).",
        "# 1. Include this file in the http { } block (a map is only allowed there):",
        "#        include /etc/nginx/redirects.nginx.conf;",
        "# 2. Paste this line into the server { } block of the site, before any location:",
        f"#        if ({NGINX_VARIABLE}) {{ return 301 {NGINX_VARIABLE}; }}",
        "# $request_uri is the path and query as the browser sent them (still percent-encoded);",
        "# nginx matches strings ignoring case, so a path with capitals is a regular expression.",
        f"map $request_uri {NGINX_VARIABLE} {{",
        '    default "";',
    ]
    for row in rows:
        key, note = nginx_key(request_uri(row.source)), comment_of(row)
        if row.applied:
            lines.append(f"    {key} {nginx_value(location(row.source, row.target))};"
                         f"  # {note}")
        else:
            target = nginx_value(location(row.source, row.target)) if row.target else '"?"'
            lines.append(f"    # {key} {target};  # {note}")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Apache -------------------------------------------------------------------------------

def apache_string(text: str) -> str:
    """A double-quoted Apache argument (a quote escaped)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def apache_pattern(text: str) -> str:
    """A literal as a PCRE pattern: every character that is not a word character escaped, a
    control character (a decoded %0A) as \\xNN so that it cannot end the config line."""
    return "".join(char if char == "/" or (char.isalnum() or char == "_") and char.isprintable()
                   else f"\\x{ord(char):02x}" if ord(char) < 0x20 or ord(char) == 0x7f
                   else "\\" + char for char in text)


def apache_lines(row: RedirectRow) -> list[str]:
    parts = urlsplit(row.source)
    # mod_alias and mod_rewrite match the decoded path; the query string stays encoded.
    path = unquote(parts.path or "/")
    target = location(row.source, row.target) if row.target else "?"
    goal = urlsplit(target)
    # RedirectMatch percent-encodes the target's path itself (ap_escape_uri): it is written
    # decoded, unless decoding would make a "?", a "#" or a control character of it.
    if parts.query or re.search(r"%(3f|23|[01][0-9a-f]|7f)", goal.path, re.I):
        # RewriteRule: % and $ in the substitution are back-references; NE keeps the target's
        # own percent-encoding as it is; the target's query (or none, "?") replaces the old.
        substitution = target.replace("%", "\\%").replace("$", "\\$")
        if "?" not in substitution:
            substitution += "?"
        query = [f"RewriteCond %{{QUERY_STRING}} "
                 f"{apache_string('^' + apache_pattern(parts.query) + '$')}"] if parts.query else []
        return query + [
            f"RewriteRule {apache_string('^/?' + apache_pattern(path.lstrip('/')) + '$')} "
            f"{apache_string(substitution)} [R=301,NE,L]"]
    origin = f"{goal.scheme}://{goal.netloc}" if goal.netloc else ""
    decoded = origin + unquote(goal.path) + (f"?{goal.query}" if goal.query else "")
    # "$1" and "&" in a RedirectMatch target are back-references.
    decoded = decoded.replace("$", "\\$").replace("&", "\\&")
    # RedirectMatch, anchored: "Redirect 301 /services /new" would also send every page below
    # /services/ away (mod_alias's Redirect matches a path prefix).
    return [f"RedirectMatch 301 {apache_string('^' + apache_pattern(path) + '$')} "
            f"{apache_string(decoded)}"]


def apache_conf(rows: list[RedirectRow]) -> str:
    lines = [
        "# readiness redirect map for Apache httpd (docs/redirect-map.md).",
        "# Paste into the <VirtualHost> of the site (or its .htaccess, with AllowOverride",
        "# FileInfo). Needs mod_alias; rows with a query string need mod_rewrite:",
        "RewriteEngine On" if any(r.applied and "RewriteRule" in "".join(apache_lines(r))
                                  for r in rows) else "# (no row needs mod_rewrite)",
    ]
    for row in rows:
        lines.append(f"# {comment_of(row)}")
        prefix = "" if row.applied else "# "
        lines.extend(prefix + line for line in apache_lines(row))
    return "\n".join(lines) + "\n"


# -- Netlify / Cloudflare Pages -----------------------------------------------------------

def netlify_redirects(rows: list[RedirectRow]) -> str:
    lines = ["# readiness redirect map for Netlify and Cloudflare Pages (docs/redirect-map.md).",
             "# Save as _redirects in the folder the site is published from."]
    for row in rows:
        parts = urlsplit(row.source)
        target = location(row.source, row.target) if row.target else "?"
        # One whitespace-separated field each: the path is percent-encoded (no space). A
        # comment has a line of its own: after a rule it would read as more fields.
        line = f"{parts.path or '/'} {target.replace(' ', '%20')} 301"
        if parts.query:
            lines += [f"# {comment_of(row)}; the source has a query string, which _redirects "
                      "cannot match: redirect it in the site's code", f"# {line}"]
        else:
            lines += [f"# {comment_of(row)}", line if row.applied else f"# {line}"]
    return "\n".join(lines) + "\n"


def comment_of(row: RedirectRow) -> str:
    confidence = row.confidence or "no suggestion"
    text = f"{confidence}: {row.reason}" if row.target else f"{row.reason}"
    # One line, no characters a config comment could end on.
    return " ".join(text.replace("\n", " ").split())


# -- the files ----------------------------------------------------------------------------

def csv_rows(rows: list[RedirectRow]) -> Iterator[list[Any]]:
    for row in rows:
        yield [row.source, row.target or "", 301, row.confidence or "", row.reason,
               "" if row.referring_domains is None else row.referring_domains,
               "" if row.inbound_links is None else row.inbound_links, row.finding]


def write_redirect_map(document: dict[str, Any], run_dir: Path) -> Path:
    """The four files in ``run_dir``; the path of redirects.csv."""
    rows = redirect_rows(document)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / REDIRECT_FILES[0]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(rows))
    write_text(run_dir / REDIRECT_FILES[1], nginx_conf(rows))
    write_text(run_dir / REDIRECT_FILES[2], apache_conf(rows))
    write_text(run_dir / REDIRECT_FILES[3], netlify_redirects(rows))
    return path


def remove_redirect_map(run_dir: Path) -> None:
    for name in REDIRECT_FILES:
        (run_dir / name).unlink(missing_ok=True)
