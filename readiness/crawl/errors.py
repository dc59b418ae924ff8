"""Name the reason a request got no response, in the store's vocabulary.

``dns`` and ``refused`` mean nobody is there (a broken link); ``timeout``, ``tls`` and
``connection`` are conditions a retry or a browser may get past; ``too-large`` is our own
DOWNLOAD_MAXSIZE cut-off (huge or endless pages).
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from twisted.internet import error as tx_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

_CLASSES: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    ((CannotResolveHostError, tx_error.DNSLookupError), "dns"),
    ((DownloadConnectionRefusedError, tx_error.ConnectionRefusedError), "refused"),
    ((DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError), "timeout"),
    ((DownloadCancelledError,), "too-large"),
    ((ResponseDataLossError, ResponseFailed, ResponseNeverReceived, DownloadFailedError,
      tx_error.ConnectionLost, tx_error.ConnectionDone, tx_error.ConnectError), "connection"),
)


def classify_failure(failure: Failure) -> tuple[str, str]:
    """(error class, one-line detail) for a download failure."""
    exc = failure.value
    detail = f"{type(exc).__name__}: {exc}".strip()[:500]
    name = type(exc).__name__.lower()
    if "ssl" in name or "tls" in name or "certificate" in detail.lower():
        return "tls", detail
    for types, label in _CLASSES:
        if isinstance(exc, types):
            if label == "connection" and "ssl" in detail.lower():
                return "tls", detail
            return label, detail
    return "error", detail
