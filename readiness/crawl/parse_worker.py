"""A parse worker process: pages in on stdin, their facts out, one frame at a time.

Started by ParseWorkerPool (readiness/crawl/workers.py) as ``python -m
readiness.crawl.parse_worker``; not a command for people. Every frame, both ways, is a
4-byte big-endian length and a pickle:

- in, first: ``{"extractor": PageExtractor keyword arguments, "keep_html": bool,
  "normalizer": the crawl's UrlNormalizer}``
- out, once set up: ``("ready", None, None)``
- in, per page: ``(seq, url, body, encoding)``
- out, per page: ``("ok", seq, ParsedPage)``, ``("unparsable", seq, message)``,
  ``("too-complex", seq, reason)`` or ``("failed", seq, traceback text)``

The worker ends when its stdin closes. It ignores SIGINT: Ctrl-C reaches the whole process
group, and stopping is the crawl's decision (it closes the pipe when it is done).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import sys
import traceback
from typing import Any, BinaryIO

FRAME_HEADER = struct.Struct("!I")
# Fault injection for the tests: the worker exits, as if it crashed, on a URL containing this.
EXIT_ON_ENV = "READINESS_PARSE_WORKER_EXIT_ON"
# ... or never answers, as if the parse took forever (crawl.parse_timeout's deadline).
STALL_ON_ENV = "READINESS_PARSE_WORKER_STALL_ON"


def encode_frame(message: Any) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME_HEADER.pack(len(payload)) + payload


def read_frame(stream: BinaryIO) -> Any | None:
    """The next message, or None at the end of the stream."""
    header = stream.read(FRAME_HEADER.size)
    if len(header) < FRAME_HEADER.size:
        return None
    (size,) = FRAME_HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return pickle.loads(payload)


def main() -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Frames go out on a private copy of stdout; anything a library prints goes to stderr
    # (which the crawl logs) instead of corrupting the frames.
    frames_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    frames_in = sys.stdin.buffer
    # Imported before the setup frame is read: the crawl process only writes that frame once
    # its reactor runs, and these imports (~0.4 s) then overlap its own start-up.
    from readiness.crawl.extract import PageExtractor
    from readiness.crawl.parsing import PageParseError, PageTooComplex, parse_html

    # What the imports built lives as long as the worker: frozen, the cycle collector skips
    # it while pages are parsed and when the worker exits (~0.1 s CPU each start-up).
    gc.freeze()
    setup = read_frame(frames_in)
    if setup is None:
        return 0
    extractor = PageExtractor(**setup["extractor"])
    normalizer = setup["normalizer"]
    keep_html = setup["keep_html"]
    exit_on = os.environ.get(EXIT_ON_ENV)
    stall_on = os.environ.get(STALL_ON_ENV)
    frames_out.write(encode_frame(("ready", None, None)))
    frames_out.flush()
    while (page := read_frame(frames_in)) is not None:
        seq, url, body, encoding = page
        if exit_on and exit_on in url:
            os._exit(3)
        while stall_on and stall_on in url:
            signal.pause()  # until the crawl kills this worker
        try:
            reply = ("ok", seq, parse_html(extractor, url, body, encoding, keep_html,
                                           normalizer))
        except PageTooComplex as exc:
            reply = ("too-complex", seq, str(exc))
        except PageParseError as exc:
            reply = ("unparsable", seq, str(exc))
        except Exception:  # noqa: BLE001 - a bug in extraction: the crawl logs it with the URL
            reply = ("failed", seq, traceback.format_exc())
        frames_out.write(encode_frame(reply))
        frames_out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
