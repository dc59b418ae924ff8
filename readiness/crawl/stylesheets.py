"""The URLs a stylesheet loads: ``url(...)`` references (background images, fonts, @import).

A regular expression over the text, after CSS comments are removed: the url() token is
simple enough (CSS Syntax Level 3, §4.3.6), and no CSS parser is a dependency of readiness.
"""

from __future__ import annotations

import re
import string

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
# url(x), url('x'), url("x"); also the bare string form of @import "x.css".
_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)"""
                  r"""|@import\s+(?:"([^"]*)"|'([^']*)')""", re.I)
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}\s?|.)")


def css_urls(text: str) -> list[str]:
    """Every URL ``text`` references, in order, as written (escapes resolved); data: URLs
    and empty references are left out (nothing to fetch)."""
    urls = []
    for match in _URL.finditer(_COMMENT.sub("", text)):
        raw = _ESCAPE.sub(_unescape, next(group for group in match.groups() if group is not None)
                          ).strip()
        if raw and not raw[:5].lower() == "data:":
            urls.append(raw)
    return urls


def _unescape(match: re.Match[str]) -> str:
    """A CSS escape: ``\\2f`` (hex, one optional space after it) or ``\\.`` (that character)."""
    code = match.group(1)
    digits = code.rstrip()
    if digits and all(char in string.hexdigits for char in digits):
        value = int(digits, 16)
        return chr(value) if 0 < value <= 0x10FFFF else "\ufffd"
    return code
