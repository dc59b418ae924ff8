"""Downloader middleware that times each fetch and keeps what compression hides.

Ordered at 990 (closest to the network), so ``process_response`` runs before
HttpCompressionMiddleware has decompressed the body: the byte count stored is what crossed
the wire, and Content-Encoding is still visible. ``_timing_sample`` reads a response's timing (Scrapy's
``download_latency``: time to first byte; this middleware's ``readiness_elapsed``: the whole
download) for the fetch row and the quiet re-measurement.
"""

from __future__ import annotations

from time import monotonic


class FetchTimingMiddleware:
    def process_request(self, request, spider=None):
        request.meta["readiness_t0"] = monotonic()

    def process_response(self, request, response, spider=None):
        t0 = request.meta.get("readiness_t0")
        if t0 is not None:
            request.meta["readiness_elapsed"] = monotonic() - t0
        request.meta["readiness_wire_bytes"] = len(response.body)
        # HttpCompressionMiddleware drops this header once it has decompressed the body.
        request.meta["readiness_content_encoding"] = response.headers.getlist(b"Content-Encoding")
        return response


def _timing_sample(response) -> dict[str, float | None]:
    meta = response.meta
    return {"ttfb_ms": _ms(meta.get("download_latency")),
            "elapsed_ms": _ms(meta.get("readiness_elapsed"))}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)
