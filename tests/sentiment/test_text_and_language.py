"""Bad input is scored or parked with a reason; non-English text is recognised."""

from sentiment.language import detect, is_english
from sentiment.textprep import MAX_CHARS, prepare


def test_empty_and_whitespace_text_is_parked_with_reason():
    assert prepare(None, "").parked_reason == "empty text: nothing to score"
    assert prepare("  ", " \n\t ").text is None


def test_lone_surrogates_are_replaced_and_noted():
    prepared = prepare(None, "refund now \ud83d please")
    assert prepared.text == "refund now \ufffd please"
    assert "invalid Unicode replaced" in prepared.notes


def test_megabyte_text_is_cut_and_the_cut_is_noted():
    prepared = prepare(None, "terrible service. " * 60_000)
    assert prepared.text is not None and len(prepared.text) == MAX_CHARS
    assert any("cut to its first" in note for note in prepared.notes)


def test_emoji_only_text_is_read_through_emoji_names():
    prepared = prepare(None, "😡😡 👎")
    assert prepared.text == "pouting face pouting face thumbs down sign"


def test_punctuation_only_text_is_parked():
    assert prepare(None, "?!?! ...").parked_reason == "text has no words or emoji to read"


def test_title_and_text_are_read_together():
    assert prepare("Broken on arrival", "box was crushed").text == "Broken on arrival\nbox was crushed"


def test_german_and_french_complaints_are_not_english():
    german = detect("Der Kundenservice ist eine Katastrophe, ich will mein Geld zurück!")
    french = detect("Le colis est arrivé cassé et personne ne répond, je veux un remboursement")
    assert (german.code, french.code) == ("de", "fr")
    assert not is_english(german) and not is_english(french)


def test_short_or_handle_heavy_english_is_not_sent_away_as_foreign():
    assert is_english(detect("lol ok"))
    assert is_english(detect("@Zentaro https://t.co/abc #fail"))
    assert is_english(detect("my order never arrived and support ignores me"))
