"""Share links: a design and its lesson in the address, compressed; bad links and big designs refused with the
reason, before any work."""

import base64
import json
import zlib

import pytest

from builder.design import Design, Node, dumps
from builder.share import MAX_BYTES, MAX_LINK, PREFIX, ShareError, decode, encode
from builder.templates import load_template


def test_a_design_and_its_lesson_round_trip_through_a_link():
    design = load_template("resnet18")  # blocks and all: 60 top-level nodes
    text = encode(design, "cnn_family")
    assert (
        len(text) < MAX_LINK
        and text.startswith(PREFIX)
        and set(text[2:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    )
    back, lesson = decode(text)
    assert dumps(back) == dumps(design) and lesson == "cnn_family"
    assert decode(encode(load_template("mlp_xor")))[1] is None


def test_a_design_too_big_for_an_address_says_so_and_what_to_do():
    rng = __import__("random").Random(0)
    nodes = [Node(f"n{k}_{rng.random():.12f}", "ReLU", {}) for k in range(3000)]  # ids that do not compress
    with pytest.raises(ShareError, match="links hold at most 8,000.*Save to a file"):
        encode(Design("big", nodes, []))


def pack(payload: bytes) -> str:
    return PREFIX + base64.urlsafe_b64encode(zlib.compress(payload, 9)).decode().rstrip("=")


@pytest.mark.parametrize(
    "text, message",
    [
        ("https://example.com/x", "not a LayerLoom share link"),
        (PREFIX + "A" * (MAX_LINK + 1), "share links hold at most"),
        (PREFIX + "not*base64", "damaged"),
        (pack(b"{" + b" " * (MAX_BYTES + 10) + b"}"), "inflates past"),  # a small link that inflates without end
        (pack(b"[1, 2]"), "holds no design"),
        (pack(json.dumps({"design": {"name": "x", "nodes": [{"id": 1}]}}).encode()), "not a valid design"),
        (pack(json.dumps({"design": json.loads(dumps(load_template("mlp_xor"))), "lesson": 3}).encode()), "lesson"),
    ],
)
def test_a_bad_link_is_refused_with_the_reason(text, message):
    with pytest.raises(ShareError, match=message):
        decode(text)
    if message != "share links hold at most":
        assert len(text) <= MAX_LINK  # each was refused for what it holds, not its length
