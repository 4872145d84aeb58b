"""Share links: a design (and the lesson it is for) carried in the address itself, compressed.

``encode(design, lesson)`` gives a URL-safe text (zlib, then base64url) for ``?share=…``; ``decode(text)``
reads it back through the design format's own checks — nothing in it is executed or used as a path — and
refuses, before any work, a link longer than :data:`MAX_LINK` characters or one that would inflate past
:data:`MAX_BYTES`. Opening a link makes a copy in the recipient's workspace (the app's part).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib

from .design import Design, DesignFormatError, dumps, from_dict

MAX_LINK = 8000  # characters of the ?share= value: what browsers, proxies and servers all pass through
MAX_BYTES = 1 << 20  # the design's JSON once inflated
PREFIX = "1."  # the link format's version


class ShareError(ValueError):
    """A design too big to share as a link, or a link that is not one (cut short, altered)."""


def encode(design: Design, lesson: str | None = None) -> str:
    """The share text for ``design`` (and ``lesson``); ShareError, naming the size, when it is over the limit."""
    payload = {"design": json.loads(dumps(design)), **({"lesson": lesson} if lesson else {})}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    text = PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")
    if len(text) > MAX_LINK:
        raise ShareError(
            f"this design makes a link of {len(text):,} characters; links hold at most {MAX_LINK:,}. Share it as a "
            f"file instead (My designs → Save to a file): {len(design.nodes):,} nodes is too many for an address."
        )
    return text


def decode(text: str) -> tuple[Design, str | None]:
    """(design, lesson or None) from a share text; ShareError saying what is wrong with it."""
    if not isinstance(text, str) or not text.startswith(PREFIX):
        raise ShareError("this is not a LayerLoom share link (it does not start with the link format's version)")
    if len(text) > MAX_LINK:
        raise ShareError(f"the link is {len(text):,} characters; share links hold at most {MAX_LINK:,}")
    body = text[len(PREFIX) :]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflate = zlib.decompressobj()
        raw = inflate.decompress(packed, MAX_BYTES)
        if inflate.unconsumed_tail:
            raise ShareError(f"the link's design inflates past {MAX_BYTES:,} bytes, the limit for a shared design")
        payload = json.loads(raw)
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError) as e:
        if isinstance(e, ShareError):
            raise
        raise ShareError("the link is damaged (cut short or altered): its design cannot be read") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("design"), dict):
        raise ShareError("the link holds no design")
    lesson = payload.get("lesson")
    if lesson is not None and not isinstance(lesson, str):
        raise ShareError("the link's lesson is not a name")
    try:
        design = from_dict(payload["design"])
    except DesignFormatError as e:
        raise ShareError(f"the link's design is not a valid design: {e}") from None
    return design, lesson
