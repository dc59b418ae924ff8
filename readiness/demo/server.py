"""A programmable static-site server on loopback: the test fixture site and ``readiness demo``.

One site directory plays several websites ("hosts"), each on its own loopback address with an
ephemeral port, so a crawl meets its site under test (127.0.0.1) and "outside" websites
(127.0.0.2, 127.0.0.3 …) with their own netlocs — and Scrapy, which keys download slots by
host name, treats them as different sites. Nothing here ever talks to a non-loopback address.

``<site_dir>/site.yaml``::

    hosts:                      # name -> loopback address; "site" is the site under test
      site: 127.0.0.1
      ext_a: 127.0.0.2
    refused: [ext_dead]         # names whose netloc accepts no connections
    defaults:                   # per host, applied under every response of that host
      site: {content_encoding: gzip, headers: {Cache-Control: max-age=60}}
    routes:
      site:
        /old: {status: 301, location: "/new"}
        /calendar/*: {body: "..."}  # every path under /calendar/
        ...

A route is matched on path + query first, then on path only, then on the longest path key
ending in ``*`` whose prefix starts the path (endless URL spaces such as calendar traps).
The keys of a route:

=================  ==============================================================================
status             HTTP status (default 200)
body               inline body text (templated)
file               file in ``<site_dir>/<host>/`` to serve (text files are templated)
location           Location header (templated)
headers            extra response headers (values templated)
content_type       Content-Type (default from the file extension)
encoding           encode the text (UTF-8 in the source) in this charset before sending
delay              seconds to wait before sending the headers
trickle            seconds over which to send the body, in 10 parts after the headers (a fast
                   first byte, a slow download)
gzip_file          true: body gzipped, Content-Type application/gzip, no Content-Encoding
content_encoding   gzip: HTTP compression (gzip body + Content-Encoding); identity: none
size               with no file: an HTML page of about N bytes; with ``content_type: image/png``
                   a real PNG of about N bytes; with a file: that page padded to about N bytes
                   (an incompressible HTML comment before ``</body>``, so gzip cannot hide it)
stream             ``endless``: chunked HTML that never ends (the client must cut it off)
sequence           list of routes served in turn; the last one repeats
head               the route that answers HEAD requests instead (e.g. ``{status: 405}``)
=================  ==============================================================================

Unrouted paths are files under ``<site_dir>/<host>/``: ``/`` -> ``index.html``,
``/a/`` -> ``a/index.html``, ``/a`` -> ``a`` or ``a.html`` (the query is ignored);
anything else is a 404. Text bodies (inline ``body``; files ending .html .xml .txt .json),
``location`` and header values are ``string.Template`` text: ``${site}``, ``${ext_a}`` …
become that host's netloc (``127.0.0.2:41234``).
"""

from __future__ import annotations

import base64
import gzip
import http.server
import logging
import random
import socket
import socketserver
import string
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

log = logging.getLogger(__name__)

MANIFEST_NAME = "site.yaml"

RESPONSE_KEYS = frozenset({
    "status", "body", "file", "location", "headers", "content_type", "encoding", "delay",
    "gzip_file", "content_encoding", "size", "stream", "trickle",
})
ROUTE_KEYS = RESPONSE_KEYS | {"sequence", "head"}
DEFAULTS_KEYS = frozenset({"headers", "content_encoding", "delay"})
BODY_KEYS = frozenset({"body", "file", "size", "stream", "content_type"})
CONTENT_ENCODINGS = frozenset({"gzip", "identity"})
STREAMS = frozenset({"endless"})

TEMPLATED_SUFFIXES = frozenset({".html", ".xml", ".txt", ".json"})
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".pdf": "application/pdf",
    ".gz": "application/gzip",
}
HTML_TYPE = CONTENT_TYPES[".html"]
OCTET_STREAM = "application/octet-stream"

NOT_FOUND_BODY = (
    "<!doctype html><html lang=\"en\"><head><title>404 Not Found</title></head>"
    "<body><h1>Not Found</h1><p>Nothing is served at this address.</p></body></html>"
)

# A client that hangs up mid-answer is normal here (probes cut off big and endless pages,
# timeouts give up on slow ones): such errors are not worth a traceback.
CLIENT_GONE = (ConnectionError, TimeoutError)


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server received it."""

    host: str               # host name from the manifest ("site", "ext_a" …)
    method: str
    path: str               # path + "?query" exactly as received
    headers: dict[str, str]
    time: float             # unix time the request line arrived


@dataclass
class Reply:
    """What to send for one request."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    delay: float = 0.0
    stream: str | None = None
    trickle: float = 0.0


class ManifestError(ValueError):
    """site.yaml is malformed: an unknown key, host or file is an error, never ignored."""


# --- the manifest -------------------------------------------------------------------------


@dataclass
class SiteManifest:
    """``site.yaml`` after validation."""

    site_dir: Path
    hosts: dict[str, str]                       # name -> loopback address
    refused: list[str]
    routes: dict[str, dict[str, dict[str, Any]]]  # host name -> route key -> route
    defaults: dict[str, dict[str, Any]]         # host name -> response defaults

    @classmethod
    def load(cls, site_dir: str | Path) -> SiteManifest:
        site_dir = Path(site_dir)
        manifest_path = site_dir / MANIFEST_NAME
        try:
            raw = yaml.safe_load(manifest_path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ManifestError(f"{manifest_path}: cannot read: {exc}") from exc
        unknown = set(raw) - {"hosts", "refused", "routes", "defaults"}
        if unknown:
            raise ManifestError(f"{manifest_path}: unknown top-level keys {sorted(unknown)}")
        hosts = {str(name): str(address) for name, address in (raw.get("hosts") or {}).items()}
        refused = [str(name) for name in raw.get("refused") or []]
        if not hosts:
            raise ManifestError(f"{manifest_path}: no hosts")
        if both := set(hosts) & set(refused):
            raise ManifestError(f"{manifest_path}: {sorted(both)} both served and refused")
        manifest = cls(site_dir, hosts, refused, raw.get("routes") or {}, raw.get("defaults") or {})
        manifest._validate(manifest_path)
        return manifest

    def host_dir(self, host: str) -> Path:
        return self.site_dir / host

    def _validate(self, manifest_path: Path) -> None:
        for section in ("routes", "defaults"):
            if strangers := set(getattr(self, section)) - set(self.hosts):
                raise ManifestError(
                    f"{manifest_path}: {section} for unknown hosts {sorted(strangers)}")
        for host, host_defaults in self.defaults.items():
            where = f"{manifest_path}: defaults.{host}"
            _require_mapping(host_defaults, where)
            if unknown := set(host_defaults) - DEFAULTS_KEYS:
                raise ManifestError(f"{where}: unknown keys {sorted(unknown)}")
            self._validate_response(host_defaults, host, where)
        for host, host_routes in self.routes.items():
            _require_mapping(host_routes, f"{manifest_path}: routes.{host}")
            for key, route in host_routes.items():
                where = f"{manifest_path}: routes.{host}.{key}"
                if not str(key).startswith("/"):
                    raise ManifestError(f"{where}: route keys are paths starting with /")
                self._validate_route(route, host, where, nested=False)

    def _validate_route(self, route: Any, host: str, where: str, nested: bool) -> None:
        _require_mapping(route, where)
        allowed = RESPONSE_KEYS if nested else ROUTE_KEYS
        if unknown := set(route) - allowed:
            raise ManifestError(f"{where}: unknown keys {sorted(unknown)}")
        if "sequence" in route:
            steps = route["sequence"]
            if not isinstance(steps, list) or not steps or len(route) > 1:
                raise ManifestError(f"{where}: sequence is a non-empty list and the only key")
            for index, step in enumerate(steps):
                self._validate_route(step, host, f"{where}.sequence[{index}]", nested=True)
            return
        if "head" in route:
            self._validate_route(route["head"], host, f"{where}.head", nested=True)
        self._validate_response(route, host, where)

    def _validate_response(self, spec: dict[str, Any], host: str, where: str) -> None:
        if "body" in spec and "file" in spec:
            raise ManifestError(f"{where}: body and file are exclusive")
        if "file" in spec and not (self.host_dir(host) / spec["file"]).is_file():
            raise ManifestError(f"{where}: no file {self.host_dir(host) / spec['file']}")
        if spec.get("content_encoding", "identity") not in CONTENT_ENCODINGS:
            raise ManifestError(f"{where}: content_encoding is one of {sorted(CONTENT_ENCODINGS)}")
        if "stream" in spec and spec["stream"] not in STREAMS:
            raise ManifestError(f"{where}: stream is one of {sorted(STREAMS)}")
        if "size" in spec and "file" not in spec:
            content_type = spec.get("content_type", HTML_TYPE)
            if not (content_type.startswith("text/html") or content_type == "image/png"):
                raise ManifestError(f"{where}: size without file makes text/html or image/png")
        if "encoding" in spec:
            try:
                "".encode(spec["encoding"])
            except LookupError as exc:
                raise ManifestError(f"{where}: unknown encoding {spec['encoding']!r}") from exc
        if not isinstance(spec.get("headers", {}), dict):
            raise ManifestError(f"{where}: headers is a mapping")


def _require_mapping(value: Any, where: str) -> None:
    if not isinstance(value, dict):
        raise ManifestError(f"{where}: expected a mapping, got {type(value).__name__}")


# --- generated bodies ---------------------------------------------------------------------

FILLER_WORDS = (
    "patient dental care clinic appointment smile tooth cleaning visit gentle family team "
    "modern treatment comfortable friendly insurance plan checkup hygiene bright healthy"
).split()


@lru_cache(maxsize=8)
def generated_html_page(size: int) -> bytes:
    """An HTML page of about ``size`` bytes of plain paragraphs (deterministic)."""
    rng = random.Random(size)
    head = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Generated page of {size} bytes</title></head><body><main><h1>Big page</h1>\n")
    tail = "</main></body></html>\n"
    paragraphs, length = [], len(head) + len(tail)
    while length < size:
        paragraph = "<p>" + " ".join(rng.choices(FILLER_WORDS, k=120)) + ".</p>\n"
        paragraphs.append(paragraph)
        length += len(paragraph)
    return (head + "".join(paragraphs) + tail).encode()


@lru_cache(maxsize=8)
def incompressible_padding(size: int) -> str:
    """An HTML comment of about ``size`` bytes that gzip cannot shrink much (base64 noise)."""
    noise = base64.b64encode(random.Random(size).randbytes(max(size, 0) * 3 // 4)).decode()
    return f"<!-- padding: inline data that makes this page heavy\n{noise}\n-->\n"


@lru_cache(maxsize=4)
def generated_png(size: int) -> bytes:
    """A valid, uncompressed RGB PNG of about ``size`` bytes (a noise pattern)."""
    width = 1024
    row_bytes = 1 + width * 3  # filter byte + pixels
    height = max(1, size // row_bytes)
    rng = random.Random(size)
    raw = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b""))


def endless_chunks() -> tuple[bytes, bytes]:
    """The opening of the endless page and the paragraph block repeated forever after it."""
    opening = (b"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
               b"<title>Endless page</title></head><body><main><h1>Endless page</h1>\n")
    block = generated_html_page(64 * 1024).split(b"<h1>Big page</h1>\n", 1)[1]
    return opening, block.rsplit(b"</main>", 1)[0]


# --- answering requests -------------------------------------------------------------------


class SiteResponder:
    """Turns (host, method, path) into a :class:`Reply`, following the manifest."""

    def __init__(self, manifest: SiteManifest, netlocs: dict[str, str]) -> None:
        self.manifest = manifest
        self.netlocs = netlocs
        self._sequence_lock = threading.Lock()
        self._sequence_served: dict[tuple[str, str], int] = {}

    def reply(self, host: str, method: str, raw_path: str) -> Reply:
        host_routes = self.manifest.routes.get(host, {})
        path_only = raw_path.split("?", 1)[0]
        route_key = raw_path if raw_path in host_routes else path_only
        route = host_routes.get(route_key)
        if route is None:
            route_key = self._prefix_route(host_routes, path_only)
            route = host_routes.get(route_key) if route_key else None
        if route is None:
            return self._file_reply(host, path_only)
        if "sequence" in route:
            route = self._next_step(host, route_key, route["sequence"])
        if method == "HEAD" and "head" in route:
            route = route["head"]
        return self._route_reply(host, route)

    @staticmethod
    def _prefix_route(host_routes: dict[str, Any], path: str) -> str | None:
        """A ``/prefix/*`` route key matching ``path`` (the longest one), for endless URL
        spaces such as calendar traps."""
        matches = [key for key in host_routes
                   if key.endswith("*") and path.startswith(key[:-1])]
        return max(matches, key=len) if matches else None

    def reset_sequences(self) -> None:
        with self._sequence_lock:
            self._sequence_served.clear()

    def _next_step(self, host: str, route_key: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
        with self._sequence_lock:
            served = self._sequence_served.get((host, route_key), 0)
            self._sequence_served[(host, route_key)] = served + 1
        return steps[min(served, len(steps) - 1)]

    def _file_reply(self, host: str, path: str) -> Reply:
        file = self._find_file(host, unquote(path))
        if file is None:
            return self._route_reply(host, {"status": 404, "body": NOT_FOUND_BODY})
        return self._route_reply(host, {"file": file})

    def _find_file(self, host: str, path: str) -> str | None:
        """The file serving ``path``, relative to the host's directory, or None."""
        host_dir = self.manifest.host_dir(host).resolve()
        relative = path.lstrip("/")
        if path.endswith("/"):
            candidates = [relative + "index.html"]
        else:
            candidates = [relative, relative + ".html"]
        for candidate in candidates:
            try:
                file = (host_dir / candidate).resolve()
                found = file.is_file()
            except (OSError, ValueError):
                # A path the filesystem cannot represent (a NUL byte, a huge name) is no file.
                continue
            # Never serve outside the host's directory (``/../site.yaml``).
            if found and file.is_relative_to(host_dir):
                return candidate
        return None

    def _route_reply(self, host: str, route: dict[str, Any]) -> Reply:
        spec = {**self.manifest.defaults.get(host, {}), **route}
        spec["headers"] = {**self.manifest.defaults.get(host, {}).get("headers", {}),
                           **route.get("headers", {})}
        body, content_type = self._body(host, spec)
        headers: list[tuple[str, str]] = []
        if body or BODY_KEYS & spec.keys():
            headers.append(("Content-Type", content_type))
        if "location" in spec:
            headers.append(("Location", self._fill(spec["location"])))
        if spec.get("gzip_file"):
            body = gzip.compress(body, mtime=0)
        if spec.get("content_encoding") == "gzip" and body:
            body = gzip.compress(body, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
            headers.append(("Vary", "Accept-Encoding"))
        for name, value in spec["headers"].items():
            headers.append((str(name), self._fill(str(value))))
        return Reply(status=int(spec.get("status", 200)), headers=headers, body=body,
                     delay=float(spec.get("delay", 0)), stream=spec.get("stream"),
                     trickle=float(spec.get("trickle", 0)))

    def _body(self, host: str, spec: dict[str, Any]) -> tuple[bytes, str]:
        """The (uncompressed) body and its Content-Type."""
        encoding = spec.get("encoding", "utf-8")
        content_type = spec.get("content_type")
        if spec.get("gzip_file") and not content_type:
            content_type = "application/gzip"
        if "file" in spec:
            file = self.manifest.host_dir(host) / spec["file"]
            content_type = content_type or _with_charset(
                CONTENT_TYPES.get(file.suffix.lower(), OCTET_STREAM), spec.get("encoding"))
            if file.suffix.lower() not in TEMPLATED_SUFFIXES:
                return file.read_bytes(), content_type
            text = self._fill(file.read_text(encoding="utf-8"))
            if "size" in spec:
                text = _pad_page(text, int(spec["size"]))
            # Characters the charset lacks become &#...; references, as a CMS would write them.
            return text.encode(encoding, "xmlcharrefreplace"), content_type
        if "size" in spec:
            if content_type == "image/png":
                return generated_png(int(spec["size"])), content_type
            return generated_html_page(int(spec["size"])), content_type or HTML_TYPE
        text = self._fill(str(spec.get("body", "")))
        content_type = content_type or _with_charset(HTML_TYPE, spec.get("encoding"))
        return text.encode(encoding, "xmlcharrefreplace"), content_type

    def _fill(self, text: str) -> str:
        return string.Template(text).safe_substitute(self.netlocs)


def _with_charset(content_type: str, encoding: str | None) -> str:
    if encoding and "charset=" in content_type:
        return content_type.split("charset=", 1)[0] + f"charset={encoding}"
    return content_type


def _pad_page(text: str, size: int) -> str:
    missing = size - len(text.encode())
    if missing <= 0:
        return text
    padding = incompressible_padding(missing)
    head, body_end, tail = text.rpartition("</body>")
    if not body_end:
        return text + padding
    return head + padding + body_end + tail


# --- HTTP plumbing ------------------------------------------------------------------------


class SiteRequestHandler(http.server.BaseHTTPRequestHandler):
    """Answers one connection for one host; the server says which host and how to answer."""

    protocol_version = "HTTP/1.1"  # keep-alive like a real server; every reply has a length
    server_version = "readiness-site-server/1"
    timeout = 30  # a client that stops reading frees its thread eventually
    server: HostServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # Quiet by default: a crawl makes hundreds of requests; tests read SiteServer.requests.
        log.debug("%s %s", self.server.host_name, format % args)

    def _answer(self, send_body: bool) -> None:
        path = self.path
        if path.startswith(("http://", "https://")):  # absolute-form request target
            parts = urlsplit(path)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
        site = self.server.site
        site._record(RequestRecord(self.server.host_name, self.command, path,
                                   dict(self.headers.items()), time.time()))
        reply = site._responder.reply(self.server.host_name, self.command, path)
        delay = reply.delay + site._jitter()
        if delay:
            time.sleep(delay)
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.stream:
            self._send_endless(send_body)
            return
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if send_body and reply.trickle and reply.body:
            self._send_trickled(reply.body, reply.trickle)
        elif send_body and reply.body:
            self.wfile.write(reply.body)

    def _send_trickled(self, body: bytes, seconds: float, parts: int = 10) -> None:
        size = -(-len(body) // parts)
        try:
            for start in range(0, len(body), size):
                if start:
                    time.sleep(seconds / (parts - 1))
                self.wfile.write(body[start:start + size])
                self.wfile.flush()
        except CLIENT_GONE:
            log.debug("%s: client left a trickled page", self.server.host_name)

    def _send_endless(self, send_body: bool) -> None:
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.close_connection = True
        self.end_headers()
        if not send_body:
            return
        opening, block = endless_chunks()
        try:
            self._write_chunk(opening)
            while not self.server.stopping.is_set():
                self._write_chunk(block)
        except CLIENT_GONE:
            # The client cut the page off: exactly what an endless page is for.
            log.debug("%s: client left the endless page", self.server.host_name)

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


class HostServer(http.server.ThreadingHTTPServer):
    """The listening socket of one host."""

    daemon_threads = True
    # The crawler opens 16+ connections at once; socketserver's default backlog of 5 makes
    # some wait for a SYN retry (~1 s), which would show up as slow pages that are not.
    request_queue_size = 128

    def __init__(self, address: str, site: SiteServer, host_name: str) -> None:
        self.site = site
        self.host_name = host_name
        self.stopping = threading.Event()
        super().__init__((address, 0), SiteRequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse-DNS lookup that may leave
        # loopback and stall start-up; the name is not needed.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, CLIENT_GONE):
            log.debug("%s: client %s went away: %r", self.host_name, client_address, error)
            return
        log.exception("%s: error answering %s", self.host_name, client_address)


class SiteServer:
    """Serve a site directory's hosts on loopback; see the module docs for the manifest.

    Example::

        with SiteServer("tests/fixture_site") as server:
            start = server.url("site", "/redirects/chain-2-start")  # http://127.0.0.1:41234/...
            ...
            assert server.requests_for("ext_a", "/rate-limited", method="GET")
    """

    def __init__(self, site_dir: str | Path, jitter: float = 0.0, seed: int = 0) -> None:
        """``jitter``: every request waits a random 0..``jitter`` seconds more (drawn from a
        generator seeded with ``seed``), so answers arrive in a shuffled order, as from a
        real server under load; the determinism tests crawl through it."""
        self.site_dir = Path(site_dir)
        self.jitter = jitter
        self._jitter_random = random.Random(seed)
        self._jitter_lock = threading.Lock()
        self.manifest = SiteManifest.load(self.site_dir)
        self._servers: dict[str, HostServer] = {}
        self._threads: list[threading.Thread] = []
        # Bound but never listening: connections are refused, and no other program can take
        # the port while the server runs (closing it would leave a window for that).
        self._refused_sockets: dict[str, socket.socket] = {}
        self._netlocs: dict[str, str] = {}
        self._responder: SiteResponder | None = None
        self._log_lock = threading.Lock()
        self._requests: list[RequestRecord] = []

    # -- life cycle

    def start(self) -> SiteServer:
        if self._servers:
            return self
        try:
            for name, address in self.manifest.hosts.items():
                self._servers[name] = _bind_host(address, self, name)
                self._netlocs[name] = "%s:%d" % self._servers[name].server_address[:2]
            for name in self.manifest.refused:
                placeholder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                placeholder.bind(("127.0.0.1", 0))
                self._refused_sockets[name] = placeholder
                self._netlocs[name] = "127.0.0.1:%d" % placeholder.getsockname()[1]
        except BaseException:
            self.stop()
            raise
        self._responder = SiteResponder(self.manifest, dict(self._netlocs))
        for name, server in self._servers.items():
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"site-server-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.stopping.set()
        for server, thread in zip(self._servers.values(), self._threads):
            server.shutdown()
            thread.join()
        for server in self._servers.values():
            server.server_close()
        for placeholder in self._refused_sockets.values():
            placeholder.close()
        self._servers.clear()
        self._threads.clear()
        self._refused_sockets.clear()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses

    def netloc(self, host: str) -> str:
        """``address:port`` of a host (served or refused) while the server runs."""
        try:
            return self._netlocs[host]
        except KeyError:
            known = sorted(self.manifest.hosts) + sorted(self.manifest.refused)
            state = "" if self._netlocs else " (the server is not started)"
            raise KeyError(f"no host {host!r}{state}; hosts: {known}") from None

    def url(self, host: str, path: str = "/") -> str:
        if not path.startswith("/"):
            path = "/" + path
        return f"http://{self.netloc(host)}{path}"

    # -- the request log

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request received so far, oldest first."""
        with self._log_lock:
            return list(self._requests)

    def requests_for(self, host: str, path: str | None = None,
                     method: str | None = None) -> list[RequestRecord]:
        """Requests to one host; ``path`` with a ``?`` matches path + query, else the path only."""
        matches = []
        for record in self.requests:
            if record.host != host or (method and record.method != method.upper()):
                continue
            if path is not None:
                received = record.path if "?" in path else record.path.split("?", 1)[0]
                if received != path:
                    continue
            matches.append(record)
        return matches

    def reset_log(self) -> None:
        """Forget the requests received so far."""
        with self._log_lock:
            self._requests.clear()

    def reset_sequences(self) -> None:
        """Start every ``sequence`` route from its first step again."""
        if self._responder is not None:
            self._responder.reset_sequences()

    def reseed(self, seed: int) -> None:
        """Draw the jitter from a generator seeded with ``seed`` from now on: crawls of one
        server (same URLs, same finding ids) whose answers arrive in different orders."""
        with self._jitter_lock:
            self._jitter_random = random.Random(seed)

    def _jitter(self) -> float:
        if not self.jitter:
            return 0.0
        with self._jitter_lock:  # one generator for every handler thread
            return self._jitter_random.uniform(0.0, self.jitter)

    def _record(self, record: RequestRecord) -> None:
        with self._log_lock:
            self._requests.append(record)


def _bind_host(address: str, site: SiteServer, name: str) -> HostServer:
    try:
        return HostServer(address, site, name)
    except OSError as exc:
        hint = ""
        if address.startswith("127.") and address != "127.0.0.1":
            # Linux routes all of 127.0.0.0/8 to loopback; macOS only has 127.0.0.1 until told.
            hint = f" (on macOS: sudo ifconfig lo0 alias {address} up)"
        message = f"cannot serve host {name!r} on {address}: {exc.strerror}{hint}"
        raise OSError(exc.errno, message) from exc
