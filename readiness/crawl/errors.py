"""Name the reason a request got no response: a network error of the store's FetchOutcome.

``dns`` and ``refused`` mean nobody is there (a broken link); ``timeout``, ``tls`` and
``connection`` are conditions a retry or a browser may get past; ``too-large`` is our own
DOWNLOAD_MAXSIZE cut-off (huge or endless pages, on the wire or once decompressed);
``private-address`` a request never sent (readiness.crawl.addresses).
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from twisted.internet import error as tx_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from readiness.crawl.addresses import PrivateAddressRefused
from readiness.store.records import FetchOutcome

_CLASSES: tuple[tuple[tuple[type[BaseException], ...], FetchOutcome], ...] = (
    ((PrivateAddressRefused,), FetchOutcome.PRIVATE_ADDRESS),
    ((CannotResolveHostError, tx_error.DNSLookupError), FetchOutcome.DNS),
    ((DownloadConnectionRefusedError, tx_error.ConnectionRefusedError), FetchOutcome.REFUSED),
    ((DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError),
     FetchOutcome.TIMEOUT),
    ((DownloadCancelledError,), FetchOutcome.TOO_LARGE),
    ((ResponseDataLossError, ResponseFailed, ResponseNeverReceived, DownloadFailedError,
      tx_error.ConnectionLost, tx_error.ConnectionDone, tx_error.ConnectError),
     FetchOutcome.CONNECTION),
)


def classify_failure(failure: Failure) -> tuple[FetchOutcome, str]:
    """(network error, one-line detail) for a download failure."""
    exc = failure.value
    detail = f"{type(exc).__name__}: {exc}".strip()[:500]
    name = type(exc).__name__.lower()
    if "ssl" in name or "tls" in name or "certificate" in detail.lower():
        return FetchOutcome.TLS, detail
    if isinstance(exc, IgnoreRequest) and isinstance(exc.__cause__,
                                                     _DecompressionMaxSizeExceeded):
        # HttpCompressionMiddleware's cut-off: the same DOWNLOAD_MAXSIZE overrun as an
        # uncompressed page's, found after the download instead of during it.
        return FetchOutcome.TOO_LARGE, detail
    for types, outcome in _CLASSES:
        if isinstance(exc, types):
            if outcome == FetchOutcome.CONNECTION and "ssl" in detail.lower():
                return FetchOutcome.TLS, detail
            return outcome, detail
    return FetchOutcome.ERROR, detail
