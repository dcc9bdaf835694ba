"""Watch terms match whole words, also where the text around them is written without spaces."""

from __future__ import annotations

import pytest

from bounceback.tables import Watch
from crawlers.items import MentionItem
from crawlers.watching import WatchRule

RULE = WatchRule.from_watch(
    Watch(
        id=1,
        name="northwind",
        terms=["Northwind Coffee", "Northwind", "@northwindcoffee"],
        exclude_terms=["Northwind Traders"],
    )
)


def _match(text: str) -> str | None:
    return RULE.match(MentionItem(source_id=1, external_id="x", text=text))


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("Northwindのchaiが本当に美味しい", "Northwind"),  # Japanese: no space after the brand
        ("@northwindcoffeeのcold brewが最高", "@northwindcoffee"),
        ("我喜欢Northwind的咖啡", "Northwind"),
        ("Northwind는 최고예요", "Northwind"),  # a Korean particle attached to the name
        ("กาแฟNorthwindอร่อยมาก", "Northwind"),
        ("Tried the new Northwind Coffee blend.", "Northwind Coffee"),
        ("café Northwind, again", "Northwind"),
    ],
)
def test_a_term_next_to_a_script_without_spaces_matches(text, term):
    assert _match(text) == f'watch "northwind": term "{term}" in text'


@pytest.mark.parametrize(
    "text",
    [
        "Northwindy weather again",  # the word goes on: not our brand
        "the Northwind_Coffee bot",
        "Ünorthwind is a band",
        "Northwind Tradersのデータベース",  # an exclusion term matches in the same way
        "nothing about us",
    ],
)
def test_a_term_inside_a_longer_word_or_an_excluded_phrase_does_not_match(text):
    assert _match(text) is None
