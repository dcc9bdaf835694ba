"""Any product or business page carrying schema.org ``Review`` / ``AggregateRating`` markup.

JSON-LD, microdata and RDFa are read with extruct. Reviews may sit at the top level, inside a
Product's ``review`` list, or in an ``@graph``; RDFa names properties by full schema.org URI and
wraps values in ``{"@value": …}``, so every node is normalised first. Ratings on other scales
(``bestRating`` 10, ``worstRating`` 0) are mapped to 1-5. Reviews rarely carry an id: the external
id is then a hash of the page URL, author, date, title and body. The page's AggregateRating is kept
in the source's state. Params: ``url``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import Any

import extruct
from scrapy import Request
from scrapy.http import Response, TextResponse

from crawlers.base import SourceSpider, html_text, parse_time
from crawlers.items import MentionItem

SYNTAXES = ["json-ld", "microdata", "rdfa"]
REVIEW_TYPES = {"Review", "UserReview", "CriticReview", "EmployerReview"}
_SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/")


def _bare(name: str) -> str:
    for prefix in _SCHEMA_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def normalise(node: Any) -> Any:
    """Strip schema.org URI prefixes from keys and types and unwrap RDFa ``@value`` lists."""
    if isinstance(node, list):
        items = [normalise(n) for n in node]
        return items[0] if len(items) == 1 and isinstance(node[0], dict) and "@value" in node[0] else items
    if not isinstance(node, dict):
        return node
    if set(node) <= {"@value", "@language", "@type"} and "@value" in node:
        return node["@value"]
    out: dict[str, Any] = {}
    for key, value in node.items():
        key = _bare(key)
        if key == "@type":
            types = value if isinstance(value, list) else [value]
            out[key] = [_bare(str(t)) for t in types]
        else:
            out[key] = normalise(value)
    return out


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type") or []
    return {str(t) for t in (value if isinstance(value, list) else [value])}


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a nested structure, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def _first_text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or ""
    return str(value or "").strip()


def _number(value: Any) -> float | None:
    text = _first_text(value).replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def five_star(rating: Any) -> float | None:
    """A ``Rating`` (or bare number) on its own scale mapped to 1-5; None when absent."""
    if isinstance(rating, list):
        rating = rating[0] if rating else None
    if isinstance(rating, dict):
        value, best, worst = (
            _number(rating.get("ratingValue")),
            _number(rating.get("bestRating")),
            _number(rating.get("worstRating")),
        )
    else:
        value, best, worst = _number(rating), None, None
    if value is None:
        return None
    best = best if best is not None else (10.0 if value > 5 else 5.0)
    worst = worst if worst is not None else 1.0
    if best <= worst or not worst <= value <= best:
        raise ValueError(f"rating {value} outside its scale {worst}-{best}")
    if best == 5 and worst == 1:
        return value
    return round(1 + (value - worst) * 4 / (best - worst), 2)


def resolve_references(nodes: Any, depth: int = 4) -> Any:
    """Replace ``{"@id": x}`` references by the node with that id (RDFa comes out flattened)."""
    index = {n["@id"]: n for n in walk(nodes) if isinstance(n.get("@id"), str) and len(n) > 1}

    def resolve(value: Any, level: int) -> Any:
        if isinstance(value, list):
            return [resolve(v, level) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"@id"} and value["@id"] in index and level < depth:
            value = index[value["@id"]]
        if level >= depth:
            return value
        return {k: resolve(v, level + 1) for k, v in value.items()}

    return resolve(nodes, 0)


def extract_reviews(html: str, url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(Review nodes, AggregateRating nodes) of a page, normalised, duplicates removed."""
    data = extruct.extract(html, base_url=url, syntaxes=SYNTAXES, uniform=True, errors="log")
    reviews: list[dict[str, Any]] = []
    aggregates: list[dict[str, Any]] = []
    seen: set[str] = set()
    for syntax in SYNTAXES:
        for node in walk(resolve_references(normalise(data.get(syntax) or []))):
            types = _types(node)
            if types & REVIEW_TYPES and (
                "reviewBody" in node or "reviewRating" in node or "description" in node
            ):
                key = repr(
                    (
                        _first_text(node.get("author")),
                        _first_text(node.get("datePublished")),
                        _first_text(node.get("reviewBody") or node.get("description")),
                    )
                )
                if key not in seen:
                    seen.add(key)
                    reviews.append(node)
            elif "AggregateRating" in types:
                aggregates.append(node)
    return reviews, aggregates


class SchemaOrgSpider(SourceSpider):
    """The reviews marked up on one page."""

    name = "schemaorg"

    def first_requests(self) -> Iterable[Request]:
        """The page itself."""
        yield self.request(self.param("url"), self.parse)

    def parse(self, response: Response) -> Iterator[Any]:
        """Every review on the page; a page without any schema.org review markup is a layout error."""
        if not isinstance(response, TextResponse):
            self.report.pages += 1
            self.report.error("parse", "not a text page (binary content)", response.url)
            return
        reviews, aggregates = extract_reviews(response.text, response.url)
        language = (response.css("html::attr(lang)").get() or "").split("-")[0].lower() or None
        if aggregates:
            agg = aggregates[0]
            self.state_updates["aggregate_rating"] = {
                "rating": five_star(agg),
                "count": _number(agg.get("reviewCount") or agg.get("ratingCount")),
            }
        if not reviews:
            self.report.pages += 1
            why = "an AggregateRating but no Review objects" if aggregates else "no schema.org Review markup"
            self.report.error("layout", f"0 items parsed from a non-empty page: {why}", response.url)
            return

        def to_item(review: dict[str, Any]) -> MentionItem:
            return self.to_item(review, response, language)

        yield from self.page(response, reviews, to_item)

    def to_item(self, review: dict[str, Any], response: Response, language: str | None) -> MentionItem:
        """One review node as a mention."""
        author = review.get("author")
        name = _first_text(author) or None
        title = _first_text(review.get("name") or review.get("headline")) or None
        body = html_text(_first_text(review.get("reviewBody") or review.get("description")))
        date = _first_text(review.get("datePublished"))
        ident = _first_text(review.get("@id") or review.get("url"))
        if not ident or ident.startswith("_:"):  # a blank node's id changes on every parse
            fingerprint = "\x1f".join((response.url, name or "", date, title or "", body))
            ident = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
        return MentionItem(
            source_id=self.source_id,
            external_id=ident,
            text=body,
            title=title,
            url=response.url,
            author_handle=name,
            author_name=name,
            author_url=(_first_text(author.get("url")) or None) if isinstance(author, dict) else None,
            rating=five_star(review.get("reviewRating")),
            language=_first_text(review.get("inLanguage")) or language,
            published_at=parse_time(date),
            raw_ref=self.ref(response, f"review-{ident[:12]}"),
        )
