"""The monitored-query language of the listening module ("veilles").

A community manager writes, for example::

    (maison OR boutique) lumière -bougie* "cire végétale" #MaisonLumiere @maisonlumiere lang:fr

- words, matched folded: "societe" finds "Société" and "Societe" finds "société";
- "quoted phrases": the words in a row, punctuation between them ignored;
- #hashtag: that hashtag only; the plain word `lumiere` also finds "#Lumière";
- @handle: a mentioned handle or the author's, compared folded, without the "@";
- AND / OR / NOT (French ET / OU / SAUF), `-term` for NOT, parentheses; adjacent terms are
  joined by AND; NOT binds tighter than AND, AND tighter than OR; lowercase "and", "or",
  "not" are plain words;
- `bougie*`: words starting with "bougie"; `lang:fr`, `network:bluesky`: fields.

`parse` turns an expression into a `Query` once; `make_document` prepares a mention once;
`Query.matches(document)` then costs a few set lookups. `compile_queries` indexes the active
queries of a workspace so that a mention only evaluates those it can match. For a preview,
`highlight_spans` gives the places of a query's terms in the original text.

Pure Python, no Django import. Error messages are English templates marked with
`gettext_noop` (extracted by makemessages); translate them with `gettext(error.template) %
error.params`, or by `error.code`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from parvis.listening.text import (
    ELISIONS,
    analyse,
    fold,
    fold_with_offsets,
    iter_word_spans,
    tokenize,
)

__all__ = [
    "ERROR_MESSAGES",
    "FIELDS",
    "MAX_DEPTH",
    "MAX_EXPRESSION_CHARS",
    "Document",
    "MultiMatcher",
    "Query",
    "QuerySyntaxError",
    "compile_queries",
    "fold",
    "highlight_spans",
    "make_document",
    "parse",
    "tokenize",
]

# Hostile or accidental input stays cheap to parse and to evaluate.
MAX_EXPRESSION_CHARS = 4000
MAX_DEPTH = 50
MIN_PREFIX_CHARS = 2

FIELDS = ("lang", "network")
# Networks people call by another name.
NETWORK_ALIASES = {"twitter": "x"}


def gettext_noop(message: str) -> str:
    """Marks a message for translation without importing Django (makemessages finds it)."""
    return message


ERROR_MESSAGES: dict[str, str] = {
    "empty_query": gettext_noop("The query is empty: write at least one word."),
    "too_long": gettext_noop("The query is too long: %(limit)s characters at most."),
    "too_deep": gettext_noop(
        "Too many nested parentheses at character %(character)s: %(limit)s levels at most."
    ),
    "unbalanced_paren": gettext_noop(
        "Unbalanced parenthesis at character %(character)s: each ( needs a matching )."
    ),
    "empty_group": gettext_noop(
        "Empty parentheses at character %(character)s: put a term inside or remove them."
    ),
    "unterminated_quote": gettext_noop(
        "The quotation mark at character %(character)s is never closed."
    ),
    "empty_phrase": gettext_noop(
        "The quoted phrase at character %(character)s has no word to search for."
    ),
    "dangling_operator": gettext_noop(
        '"%(operator)s" at character %(character)s is missing a term to apply to.'
    ),
    "unknown_field": gettext_noop(
        'Unknown field "%(field)s:" at character %(character)s. Known fields: %(known)s.'
    ),
    "missing_value": gettext_noop(
        'The field "%(field)s:" at character %(character)s needs a value, as in %(example)s.'
    ),
    "invalid_value": gettext_noop(
        '"%(value)s" at character %(character)s is not a valid value for "%(field)s:".'
    ),
    "misplaced_wildcard": gettext_noop(
        "The * at character %(character)s can only end a single word, as in bougie*."
    ),
    "short_prefix": gettext_noop(
        "The word before * at character %(character)s is too short: use at least %(limit)s letters."
    ),
    "unsearchable_term": gettext_noop(
        '"%(term)s" at character %(character)s has no letter or digit to search for.'
    ),
    "invalid_hashtag": gettext_noop(
        '"%(term)s" at character %(character)s is not a hashtag: '
        "after # use only letters, digits and _."
    ),
    "invalid_handle": gettext_noop(
        '"%(term)s" at character %(character)s is not a handle: '
        "after @ use letters, digits, _, - and dots."
    ),
}


class QuerySyntaxError(ValueError):
    """An expression that cannot be parsed: where (`position`, 0-based) and why.

    `message` is English and counts characters from 1 for people ("at character 3" for
    position 2). `code` names the error for translation, `template` and `params` rebuild the
    message (`template % params`) after translating the template.
    """

    def __init__(
        self,
        message: str,
        position: int,
        *,
        code: str = "syntax_error",
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.code = code
        self.template = ERROR_MESSAGES.get(code, message)
        self.params = dict(params or {})

    def __str__(self) -> str:
        return self.message


def _error(code: str, position: int, **params: object) -> QuerySyntaxError:
    params = {"character": position + 1, **params}
    return QuerySyntaxError(ERROR_MESSAGES[code] % params, position, code=code, params=params)


# --- documents ----------------------------------------------------------------------------


@dataclass(slots=True)
class Document:
    """What a query looks at in a mention; build it once with `make_document`.

    tokens: every folded token (words, compound parts and wholes, hashtag and handle
    bodies, URL domains); sequence: the words in order, for phrases; hashtags and handles:
    folded, without "#" / "@" (handles include the author's); lang: folded language tag with
    "-" ("fr", "fr-ca"), network: folded network code.
    """

    tokens: frozenset[str]
    sequence: tuple[str, ...]
    hashtags: frozenset[str]
    handles: frozenset[str]
    lang: str | None = None
    network: str | None = None


def make_document(
    text: str,
    *,
    lang: str | None = None,
    network: str | None = None,
    author_handle: str | None = None,
) -> Document:
    """Fold and tokenize a mention once, for any number of queries."""
    parts = analyse(fold(text))
    handles = parts.handles
    if author_handle:
        author = fold(author_handle).strip().lstrip("@")
        if author:
            handles.append(author)
            if "@" in author:  # Mastodon "user@instance": "@user" finds it too
                handles.append(author.split("@", 1)[0])
    sequence = parts.sequence
    tokens = frozenset(sequence)
    if parts.extras:
        tokens = tokens.union(parts.extras)
    return Document(
        tokens=tokens,
        sequence=tuple(sequence),
        hashtags=frozenset(parts.hashtags),
        handles=frozenset(handles),
        lang=_normalise_lang(lang),
        network=_normalise_network(network),
    )


def _normalise_lang(lang: str | None) -> str | None:
    if not lang:
        return None
    return fold(lang).strip().replace("_", "-") or None


def _normalise_network(network: str | None) -> str | None:
    if not network:
        return None
    value = fold(network).strip()
    return NETWORK_ALIASES.get(value, value) or None


def _phrase_in(phrase: tuple[str, ...], sequence: tuple[str, ...]) -> bool:
    """Whether `phrase` occurs as consecutive items of `sequence` (C-level index scans)."""
    first = phrase[0]
    size = len(phrase)
    index = -1
    try:
        while True:
            index = sequence.index(first, index + 1)
            if sequence[index : index + size] == phrase:
                return True
    except ValueError:
        return False


# --- query tree ---------------------------------------------------------------------------
#
# Each node knows how to match a Document, its canonical text, an order-insensitive key for
# equality, and its anchors: keys one of which any matching document must have, used by
# MultiMatcher to skip queries ("t" token, "p" token prefix, "h" handle, "l" lang,
# "n" network); None when there is no such set (NOT).

Anchor = tuple[str, str]
_ANCHOR_COST = {"t": 1, "h": 1, "p": 4, "n": 50, "l": 50}


class Node:
    __slots__ = ()
    cost = 1  # relative evaluation cost, to try cheap children first

    def matches(self, doc: Document) -> bool:
        raise NotImplementedError

    def key(self) -> tuple:
        raise NotImplementedError

    def render(self) -> str:
        raise NotImplementedError

    def anchors(self) -> frozenset[Anchor] | None:
        raise NotImplementedError

    def positive(self) -> Iterable[Node]:
        """The terms that must or may appear (not under a NOT)."""
        yield self


class Word(Node):
    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    def matches(self, doc: Document) -> bool:
        return self.token in doc.tokens

    def key(self) -> tuple:
        return ("word", self.token)

    def render(self) -> str:
        if "@" in self.token:
            return f'"@{self.token}"'  # a Mastodon handle quoted in a phrase
        return self.token

    def anchors(self) -> frozenset[Anchor]:
        return frozenset({("t", self.token)})


class Phrase(Node):
    """Consecutive words; also a compound like "saint-etienne" (its whole or its parts)."""

    __slots__ = ("_set", "tokens", "whole")
    cost = 3

    def __init__(self, tokens: tuple[str, ...], whole: str | None = None) -> None:
        self.tokens = tokens
        self.whole = whole
        self._set = frozenset(tokens)

    def matches(self, doc: Document) -> bool:
        if self.whole is not None and self.whole in doc.tokens:
            return True  # also covers a URL domain, which has no parts in the sequence
        return self._set <= doc.tokens and _phrase_in(self.tokens, doc.sequence)

    def key(self) -> tuple:
        return ("phrase", self.tokens, self.whole)

    def render(self) -> str:
        if self.whole is not None:
            return self.whole
        out = []
        for index, token in enumerate(self.tokens):
            if "@" in token or _has_joiner(token):
                token = "@" + token  # only handles keep joiners in the word sequence
            if index:
                elided = self.tokens[index - 1] in ELISIONS and token[0] != "@"
                out.append("'" if elided else " ")
            out.append(token)
        return '"' + "".join(out) + '"'

    def anchors(self) -> frozenset[Anchor]:
        # The longest word is the likeliest to be rare, hence the best to index on.
        longest = max(self.tokens, key=len)
        if self.whole is None:
            return frozenset({("t", longest)})
        return frozenset({("t", longest), ("t", self.whole)})


class Prefix(Node):
    __slots__ = ("stem",)
    cost = 4

    def __init__(self, stem: str) -> None:
        self.stem = stem

    def matches(self, doc: Document) -> bool:
        stem = self.stem
        return any(token.startswith(stem) for token in doc.tokens)

    def key(self) -> tuple:
        return ("prefix", self.stem)

    def render(self) -> str:
        return self.stem + "*"

    def anchors(self) -> frozenset[Anchor]:
        return frozenset({("p", self.stem)})


class Hashtag(Node):
    __slots__ = ("prefix", "tag")

    def __init__(self, tag: str, *, prefix: bool = False) -> None:
        self.tag = tag
        self.prefix = prefix

    def matches(self, doc: Document) -> bool:
        if self.prefix:
            tag = self.tag
            return any(h.startswith(tag) for h in doc.hashtags)
        return self.tag in doc.hashtags

    def key(self) -> tuple:
        return ("hashtag", self.tag, self.prefix)

    def render(self) -> str:
        return "#" + self.tag + ("*" if self.prefix else "")

    def anchors(self) -> frozenset[Anchor]:
        # A hashtag's body is always one of the document's tokens.
        return frozenset({("p" if self.prefix else "t", self.tag)})


class Handle(Node):
    __slots__ = ("handle",)

    def __init__(self, handle: str) -> None:
        self.handle = handle

    def matches(self, doc: Document) -> bool:
        return self.handle in doc.handles

    def key(self) -> tuple:
        return ("handle", self.handle)

    def render(self) -> str:
        return "@" + self.handle

    def anchors(self) -> frozenset[Anchor]:
        return frozenset({("h", self.handle)})


class Field(Node):
    __slots__ = ("name", "value")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.value = value

    def matches(self, doc: Document) -> bool:
        if self.name == "lang":
            lang = doc.lang
            # "lang:fr" also finds "fr-ca"; "lang:fr-ca" only "fr-ca".
            return lang is not None and (lang == self.value or lang.startswith(self.value + "-"))
        return doc.network == self.value

    def key(self) -> tuple:
        return ("field", self.name, self.value)

    def render(self) -> str:
        return f"{self.name}:{self.value}"

    def anchors(self) -> frozenset[Anchor]:
        return frozenset({("l" if self.name == "lang" else "n", self.value)})

    def positive(self) -> Iterable[Node]:
        return ()


class Not(Node):
    __slots__ = ("child", "cost")

    def __init__(self, child: Node) -> None:
        self.child = child
        self.cost = child.cost

    def matches(self, doc: Document) -> bool:
        return not self.child.matches(doc)

    def key(self) -> tuple:
        return ("not", self.child.key())

    def render(self) -> str:
        inner = self.child.render()
        return f"NOT ({inner})" if isinstance(self.child, And | Or) else f"NOT {inner}"

    def anchors(self) -> None:
        return None

    def positive(self) -> Iterable[Node]:
        return ()


class _Group(Node):
    """AND / OR over children. Plain words are checked together with one set operation."""

    __slots__ = ("_others", "_words", "children", "cost")
    operator = ""

    def __init__(self, children: list[Node]) -> None:
        self.children = tuple(children)
        words = [c.token for c in children if type(c) is Word]
        self._words = frozenset(words)
        others = [c for c in children if type(c) is not Word]
        self._others = tuple(sorted(others, key=lambda c: c.cost))
        self.cost = sum(c.cost for c in children)

    def key(self) -> tuple:
        return (self.operator, frozenset(c.key() for c in self.children))

    def render(self) -> str:
        return f" {self.operator} ".join(self._render_child(c) for c in self.children)

    def _render_child(self, child: Node) -> str:
        return child.render()

    def positive(self) -> Iterable[Node]:
        for child in self.children:
            yield from child.positive()


class And(_Group):
    __slots__ = ()
    operator = "AND"

    def matches(self, doc: Document) -> bool:
        if self._words and not self._words <= doc.tokens:
            return False
        return all(child.matches(doc) for child in self._others)

    def _render_child(self, child: Node) -> str:
        return f"({child.render()})" if isinstance(child, Or) else child.render()

    def anchors(self) -> frozenset[Anchor] | None:
        # Every child must match: the most selective child's anchors are enough.
        options = [a for a in (c.anchors() for c in self.children) if a]
        return min(options, key=_anchor_cost) if options else None


class Or(_Group):
    __slots__ = ()
    operator = "OR"

    def _render_child(self, child: Node) -> str:
        # Not needed by precedence, but "(a AND b) OR c" is what a reader expects to see.
        return f"({child.render()})" if isinstance(child, And) else child.render()

    def matches(self, doc: Document) -> bool:
        if self._words and not self._words.isdisjoint(doc.tokens):
            return True
        return any(child.matches(doc) for child in self._others)

    def anchors(self) -> frozenset[Anchor] | None:
        # Any child may match: the document needs one anchor of one of them.
        union: set[Anchor] = set()
        for child in self.children:
            anchors = child.anchors()
            if anchors is None:
                return None
            union |= anchors
        return frozenset(union)


def _anchor_cost(anchors: frozenset[Anchor]) -> float:
    # Longer tokens are rarer, so a slightly better index key.
    return sum(_ANCHOR_COST[kind] + 1 / (1 + len(value)) for kind, value in anchors)


def _has_joiner(token: str) -> bool:
    return "." in token or "-" in token or "_" in token


def _make_group(kind: type[_Group], children: list[Node]) -> Node:
    """Flatten nested groups of the same kind and drop duplicates (canonical form)."""
    flat: list[Node] = []
    seen: set[tuple] = set()
    for child in children:
        for item in child.children if type(child) is kind else (child,):
            key = item.key()
            if key not in seen:
                seen.add(key)
                flat.append(item)
    return flat[0] if len(flat) == 1 else kind(flat)


def _make_not(child: Node) -> Node:
    return child.child if isinstance(child, Not) else Not(child)


class Query:
    """A parsed expression. Compare with ==: same meaning up to spelling and term order."""

    __slots__ = ("_key", "expression", "root")

    def __init__(self, root: Node, expression: str = "") -> None:
        self.root = root
        self.expression = expression
        self._key = root.key()

    def matches(self, doc: Document) -> bool:
        return self.root.matches(doc)

    def matches_text(
        self,
        text: str,
        *,
        lang: str | None = None,
        network: str | None = None,
        author_handle: str | None = None,
    ) -> bool:
        """Convenience for previews and tests; the pipeline builds the Document once."""
        doc = make_document(text, lang=lang, network=network, author_handle=author_handle)
        return self.root.matches(doc)

    def positive_terms(self) -> list[str]:
        """Terms not under a NOT, in canonical spelling, without duplicates.

        Words ("lumiere"), prefixes ("bougie*"), phrases ('"cire vegetale"' rendered without
        quotes: "cire vegetale"), compounds ("saint-etienne"), hashtags ("#lumiere"),
        handles ("@brand"). Fields are left out. All folded: compare with `fold(text)`.
        """
        terms: list[str] = []
        for node in self.root.positive():
            text = node.render()
            if isinstance(node, Phrase) and node.whole is None:
                text = text[1:-1]
            if text not in terms:
                terms.append(text)
        return terms

    def anchors(self) -> frozenset[Anchor] | None:
        """Keys one of which every matching document has; None if there are none (NOT)."""
        return self.root.anchors()

    @property
    def needs_term(self) -> bool:
        """Whether every matching document contains a word, hashtag or handle of the query.

        When False (e.g. "NOT bougie", "lang:fr"), a text prefilter on `positive_terms()`
        would wrongly drop matches.
        """
        anchors = self.anchors()
        return anchors is not None and all(kind in "tph" for kind, _ in anchors)

    def describe(self) -> str:
        return self.root.render()

    def __str__(self) -> str:
        return self.root.render()

    def __repr__(self) -> str:
        return f"Query({self.root.render()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Query) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)


# --- lexer --------------------------------------------------------------------------------

_KEYWORDS = {"AND": "AND", "ET": "AND", "OR": "OR", "OU": "OR", "NOT": "NOT", "SAUF": "NOT"}
# Straight, curly and French quotation marks all open and close a phrase.
_QUOTES = frozenset('"“”„«»')
_CHUNK_END = frozenset("()") | _QUOTES
_FIELD_RE = re.compile(r"([^\W\d_]+):(.*)", re.S)
_URL_RE = re.compile(r"(?:https?://|www\.)", re.I)
_HASHTAG_RE = re.compile(r"\w+")
_HANDLE_RE = re.compile(r"\w(?:[\w.\-]*\w)?(?:@\w(?:[\w.\-]*\w)?)?")
_VALUE_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_TRAILING_PUNCTUATION = ".,;:!?"
_EXAMPLES = {"lang": "lang:fr", "network": "network:bluesky"}


@dataclass(slots=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "TERM"
    position: int
    text: str = ""
    node: Node | None = None


def _lex(expression: str) -> list[_Token]:
    tokens: list[_Token] = []
    index, size = 0, len(expression)
    while index < size:
        char = expression[index]
        if char.isspace():
            index += 1
        elif char in "()":
            tokens.append(_Token(char, index))
            index += 1
        elif char in _QUOTES:
            end = _find_quote(expression, index + 1)
            if end < 0:
                raise _error("unterminated_quote", index)
            node = _phrase_term(expression[index + 1 : end], index)
            tokens.append(_Token("TERM", index, expression[index : end + 1], node))
            index = end + 1
        elif char == "-":
            # "-word", "-(group)", '-"phrase"': NOT. A lone "-" is a mistake worth saying.
            if index + 1 >= size or expression[index + 1].isspace() or expression[index + 1] == ")":
                raise _error("dangling_operator", index, operator="-")
            tokens.append(_Token("NOT", index, "-"))
            index += 1
        else:
            end = index
            while (
                end < size and not expression[end].isspace() and expression[end] not in _CHUNK_END
            ):
                end += 1
            chunk = expression[index:end]
            keyword = _KEYWORDS.get(chunk)
            if keyword:
                tokens.append(_Token(keyword, index, chunk))
            else:
                tokens.append(_Token("TERM", index, chunk, _chunk_term(chunk, index)))
            index = end
    return tokens


def _find_quote(expression: str, start: int) -> int:
    for index in range(start, len(expression)):
        if expression[index] in _QUOTES:
            return index
    return -1


def _phrase_term(inner: str, position: int) -> Node:
    node = _text_term(fold(inner))
    if node is None:
        raise _error("empty_phrase", position)
    return node


def _chunk_term(chunk: str, position: int) -> Node:
    """One unquoted term: URL, hashtag, handle, field, prefix or word(s)."""
    if _URL_RE.match(chunk):
        node = _text_term(fold(chunk))
        if node is None:
            raise _error("unsearchable_term", position, term=chunk)
        return node
    if chunk[0] == "#":
        return _hashtag_term(chunk, position)
    if chunk[0] == "@":
        return _handle_term(chunk, position)
    field = _FIELD_RE.fullmatch(chunk)
    if field:
        return _field_term(fold(field.group(1)), field.group(2), position)
    if "*" in chunk:
        return _prefix_term(chunk, position)
    node = _text_term(fold(chunk))
    if node is None:
        raise _error("unsearchable_term", position, term=chunk)
    return node


def _text_term(folded: str) -> Node | None:
    """A word, a compound or a phrase, from the same tokenizer as documents."""
    parts = analyse(folded)
    sequence = parts.sequence
    if not sequence:
        # Only a URL: its domain.
        return _single(parts.extras[0]) if len(parts.extras) == 1 else None
    if len(sequence) == 1:
        return _single(sequence[0])
    if len(parts.extras) == 1:
        whole = parts.extras[0]
        if re.split(r"[._\-]", whole) == sequence:
            return Phrase(tuple(sequence), whole)
    return Phrase(tuple(sequence))


def _single(token: str) -> Node:
    if "@" not in token and _has_joiner(token):
        # A handle or domain in quotes: the same as typing it, a compound.
        return Phrase(tuple(re.split(r"[._\-]", token)), token)
    return Word(token)


def _hashtag_term(chunk: str, position: int) -> Node:
    prefix = chunk.endswith("*")
    body = fold(chunk[1:-1] if prefix else chunk[1:].rstrip(_TRAILING_PUNCTUATION))
    if not _HASHTAG_RE.fullmatch(body):
        star = chunk.find("*")
        if star >= 0 and (star != len(chunk) - 1 or chunk.count("*") > 1):
            raise _error("misplaced_wildcard", position + star)
        raise _error("invalid_hashtag", position, term=chunk)
    if prefix and len(body) < MIN_PREFIX_CHARS:
        raise _error("short_prefix", position, limit=MIN_PREFIX_CHARS)
    return Hashtag(body, prefix=prefix)


def _handle_term(chunk: str, position: int) -> Node:
    star = chunk.find("*")
    if star >= 0:
        raise _error("misplaced_wildcard", position + star)
    body = fold(chunk.rstrip(_TRAILING_PUNCTUATION)).lstrip("@")
    if not _HANDLE_RE.fullmatch(body):
        raise _error("invalid_handle", position, term=chunk)
    return Handle(body)


def _field_term(name: str, raw_value: str, position: int) -> Node:
    if name not in FIELDS:
        known = ", ".join(f"{f}:" for f in FIELDS)
        raise _error("unknown_field", position, field=name, known=known)
    if not raw_value:
        raise _error("missing_value", position, field=name, example=_EXAMPLES[name])
    value = fold(raw_value).replace("_", "-")
    if not _VALUE_RE.fullmatch(value):
        raise _error("invalid_value", position, field=name, value=raw_value)
    if name == "network":
        value = NETWORK_ALIASES.get(value, value)
    return Field(name, value)


def _prefix_term(chunk: str, position: int) -> Node:
    star = chunk.find("*")
    if star != len(chunk) - 1 or star == 0:
        raise _error("misplaced_wildcard", position + star)
    parts = analyse(fold(chunk[:-1]))
    if not parts.sequence:
        raise _error("unsearchable_term", position, term=chunk)
    if len(parts.sequence) != 1 or parts.extras:
        raise _error("misplaced_wildcard", position + star)  # "saint-eti*", "l'hot*"
    stem = parts.sequence[0]
    if len(stem) < MIN_PREFIX_CHARS:
        raise _error("short_prefix", position, limit=MIN_PREFIX_CHARS)
    return Prefix(stem)


# --- parser -------------------------------------------------------------------------------
#
#   expression := and_expr ("OR" and_expr)*
#   and_expr   := unary (["AND"] unary)*        adjacency is AND
#   unary      := ("NOT" | "-")* primary
#   primary    := TERM | "(" expression ")"


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expression(self, depth: int) -> Node:
        children = [self.and_expr(depth)]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            self.expect_operand(token)
            children.append(self.and_expr(depth))
        return _make_group(Or, children)

    def and_expr(self, depth: int) -> Node:
        children = [self.unary(depth)]
        while (token := self.peek()) is not None:
            if token.kind == "AND":
                self.take()
                self.expect_operand(token)
            elif token.kind not in ("TERM", "(", "NOT"):
                break
            children.append(self.unary(depth))
        return _make_group(And, children)

    def unary(self, depth: int) -> Node:
        negations = 0
        while (token := self.peek()) is not None and token.kind == "NOT":
            self.take()
            self.expect_operand(token)
            negations += 1
        node = self.primary(depth)
        return _make_not(node) if negations % 2 else node

    def primary(self, depth: int) -> Node:
        token = self.peek()
        if token is None:  # operators and "(" check for a following term first
            raise _error("empty_query", 0)
        if token.kind in ("AND", "OR"):
            raise _error("dangling_operator", token.position, operator=token.text)
        if token.kind == ")":
            raise _error("unbalanced_paren", token.position)
        self.take()
        if token.kind == "TERM":
            assert token.node is not None
            return token.node
        if depth + 1 > MAX_DEPTH:
            raise _error("too_deep", token.position, limit=MAX_DEPTH)
        closing = self.peek()
        if closing is None:
            raise _error("unbalanced_paren", token.position)
        if closing.kind == ")":
            raise _error("empty_group", token.position)
        node = self.expression(depth + 1)
        closing = self.peek()
        if closing is None or closing.kind != ")":
            raise _error("unbalanced_paren", token.position)
        self.take()
        return node

    def expect_operand(self, operator: _Token) -> None:
        following = self.peek()
        if following is None or following.kind in (")", "AND", "OR"):
            raise _error("dangling_operator", operator.position, operator=operator.text)


def parse(expression: str) -> Query:
    """Parse a query expression; raises QuerySyntaxError saying where and why."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise _error("too_long", MAX_EXPRESSION_CHARS, limit=MAX_EXPRESSION_CHARS)
    tokens = _lex(expression)
    if not tokens:
        raise _error("empty_query", 0)
    parser = _Parser(tokens)
    root = parser.expression(0)
    leftover = parser.peek()
    if leftover is not None:
        # expression() only stops early on a ")" that closes nothing.
        raise _error("unbalanced_paren", leftover.position)
    return Query(root, expression)


# --- many queries at once -----------------------------------------------------------------


class MultiMatcher:
    """The active queries of a workspace, indexed by their anchors.

    A document evaluates only the queries one of whose anchors it has (a token, a token
    prefix, a handle, a language, a network), plus those without anchors (NOT-only).
    Expressions that do not parse are left out and kept in `errors` (one bad query must not
    stop the pipeline for the others).
    """

    def __init__(self, queries: Mapping[int, Query], errors: Mapping[int, QuerySyntaxError]):
        self.queries = dict(queries)
        self.errors = dict(errors)
        self._ids = list(self.queries)
        self._matchers = [q.root.matches for q in self.queries.values()]
        self._always: list[int] = []
        tokens: dict[str, list[int]] = {}
        handles: dict[str, list[int]] = {}
        fields: dict[tuple[str, str], list[int]] = {}
        prefixes: dict[str, list[int]] = {}
        by_kind = {"t": tokens, "h": handles, "p": prefixes}
        for slot, query in enumerate(self.queries.values()):
            anchors = query.anchors()
            if anchors is None:
                self._always.append(slot)
                continue
            for kind, value in anchors:
                index = by_kind.get(kind)
                if index is None:
                    fields.setdefault((kind, value), []).append(slot)
                else:
                    index.setdefault(value, []).append(slot)
        self._tokens = tokens
        self._token_keys = frozenset(tokens)
        self._handles = handles
        self._handle_keys = frozenset(handles)
        self._fields = fields
        self._prefixes = list(prefixes.items())
        self._prefix_tuple = tuple(prefixes)

    def __len__(self) -> int:
        return len(self._ids)

    def candidates(self, doc: Document) -> set[int]:
        """Slots of the queries worth evaluating for `doc`."""
        slots = set(self._always)
        for token in doc.tokens & self._token_keys:
            slots.update(self._tokens[token])
        if self._handle_keys:
            for handle in doc.handles & self._handle_keys:
                slots.update(self._handles[handle])
        if self._prefix_tuple:
            starts = self._prefix_tuple
            for token in doc.tokens:
                if token.startswith(starts):
                    for stem, ids in self._prefixes:
                        if token.startswith(stem):
                            slots.update(ids)
        if self._fields:
            fields = self._fields
            if doc.network is not None:
                slots.update(fields.get(("n", doc.network), ()))
            if doc.lang is not None:
                slots.update(fields.get(("l", doc.lang), ()))
                if "-" in doc.lang:  # "fr-ca" is also anchored by "lang:fr"
                    subtags = doc.lang.split("-")
                    for size in range(1, len(subtags)):
                        slots.update(fields.get(("l", "-".join(subtags[:size])), ()))
        return slots

    def match(self, doc: Document) -> list[int]:
        """Ids of the queries that match `doc`, in the order they were given."""
        matchers = self._matchers
        ids = self._ids
        return [ids[slot] for slot in sorted(self.candidates(doc)) if matchers[slot](doc)]


def compile_queries(expressions: Mapping[int, str | Query]) -> MultiMatcher:
    """Parse (if needed) and index queries by id; see MultiMatcher for invalid ones."""
    queries: dict[int, Query] = {}
    errors: dict[int, QuerySyntaxError] = {}
    for query_id, expression in expressions.items():
        if isinstance(expression, Query):
            queries[query_id] = expression
            continue
        try:
            queries[query_id] = parse(expression)
        except QuerySyntaxError as exc:
            errors[query_id] = exc
    return MultiMatcher(queries, errors)


# --- preview ------------------------------------------------------------------------------


def highlight_spans(query: Query, text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of `text` showing the query's positive terms.

    For a preview: spans are in the original (unfolded) text, sorted and merged.
    """
    folded, offsets = fold_with_offsets(text)
    terms = _Highlight(query)
    spans = list(iter_word_spans(folded))
    found = [(start, end) for token, start, end, _ in spans if terms.shows(token, folded[start])]
    sequence = [(token, start, end) for token, start, end, in_sequence in spans if in_sequence]
    found.extend(_phrase_spans(terms.phrases, sequence))
    # Map back to the original text; characters folded to nothing (combining marks) that
    # follow a span belong to it.
    size = len(offsets)
    return _merge([(offsets[s], offsets[e] if e < size else len(text)) for s, e in found])


class _Highlight:
    """The positive terms of a query, sorted by how a token is compared with them."""

    def __init__(self, query: Query) -> None:
        self.words: set[str] = set()
        self.stems: list[str] = []
        self.tags: set[str] = set()
        self.tag_stems: list[str] = []
        self.handles: set[str] = set()
        self.phrases: list[tuple[str, ...]] = []
        for node in query.root.positive():
            if isinstance(node, Word):
                self.words.add(node.token)
            elif isinstance(node, Prefix):
                self.stems.append(node.stem)
            elif isinstance(node, Hashtag) and node.prefix:
                self.tag_stems.append(node.tag)
            elif isinstance(node, Hashtag):
                self.tags.add(node.tag)
            elif isinstance(node, Handle):
                self.handles.add(node.handle)
            elif isinstance(node, Phrase):
                if node.whole is not None:
                    self.words.add(node.whole)
                self.phrases.append(node.tokens)

    def shows(self, token: str, first_char: str) -> bool:
        if first_char == "#":
            return token in self.tags or any(token.startswith(s) for s in self.tag_stems)
        if first_char == "@":
            return token in self.handles or token in self.words
        return token in self.words or any(token.startswith(s) for s in self.stems)


def _phrase_spans(
    phrases: list[tuple[str, ...]], sequence: list[tuple[str, int, int]]
) -> list[tuple[int, int]]:
    tokens = tuple(token for token, _, _ in sequence)
    found = []
    for phrase in phrases:
        size = len(phrase)
        for index in range(len(tokens) - size + 1):
            if tokens[index : index + size] == phrase:
                found.append((sequence[index][1], sequence[index + size - 1][2]))
    return found


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def match_mention(
    matcher: MultiMatcher,
    text: str,
    *,
    lang: str | None,
    network: str | None,
    author_handle: str | None,
) -> list[int]:
    """Ids of the queries a mention (its title and text, language, network, author) matches.
    The pipeline and its enrichment helper process both match with this, so a long import
    matches exactly as a short one."""
    doc = make_document(text, lang=lang, network=network, author_handle=author_handle)
    return matcher.match(doc)
