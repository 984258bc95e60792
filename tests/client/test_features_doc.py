"""
`docs/features.md`: one section per feature of the client, and examples that
are valid Python, formatted as `ruff format` would.
"""

from __future__ import annotations

import ast
import pathlib
import re

FEATURES = pathlib.Path(__file__).resolve().parents[2] / "docs" / "features.md"


def blocks() -> list[str]:
    text = FEATURES.read_text(encoding="utf-8")
    return re.findall(r"^```python[ \t]*\n(.*?)^```", text, re.M | re.S)


def test_every_feature_has_a_section():
    text = FEATURES.read_text(encoding="utf-8")
    sections = re.findall(r"^## (.+)$", text, re.M)
    assert sections == [
        "Redirects",
        "Cookies",
        "Authentication",
        "Uploads",
        "Decompression",
        "Text",
        "Event hooks",
    ]
    for name in ("DigestAuth", "NetRCAuth", "stream_lines", "files=", "event_hooks"):
        assert name in text


def test_examples_are_valid_python():
    found = blocks()
    assert len(found) >= 8
    for index, block in enumerate(found):
        ast.parse(block, f"features.md block {index + 1}")
