"""Plain text out of the HTML that feeds and APIs send: what a person would read."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

BLOCKS = {"p", "br", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "tr"}
SKIPPED = {"script", "style", "template"}
SPACES = re.compile(r"[ \t\r\f\v]+")
LINES = re.compile(r"\n\s*\n+")


class TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def to_text(markup: str) -> str:
    if "<" not in markup and "&" not in markup:
        return markup.strip()
    parser = TextExtractor()
    parser.feed(markup)
    parser.close()
    text = html.unescape("".join(parser.parts))
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return LINES.sub("\n\n", "\n".join(lines)).strip()
