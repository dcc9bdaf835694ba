"""Severity words in seven languages, and triage flagging by them whatever the model says."""

from datetime import UTC, datetime

import pytest

from sentiment.base import Prediction
from sentiment.severity_words import BY_LANGUAGE, LANGUAGES, find, fold
from tests.sentiment.triaging import triage_at

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
POSITIVE = Prediction("positive", 0.97, {"negative": 0.01, "neutral": 0.02, "positive": 0.97})
NEUTRAL = Prediction("neutral", 0.8, {"negative": 0.12, "neutral": 0.8, "positive": 0.08})


def _triage(text, prediction=NEUTRAL, **kw):
    return triage_at(NOW, text, prediction, **kw)


def test_the_issues_two_sentences_are_critical_whatever_the_model_says():
    glass = _triage("Found a piece of glass in the sandwich. My lawyer will be in touch.", POSITIVE)
    leak = _triage("The app showed me another customer's home address and card digits", NEUTRAL)
    assert glass.flagged and glass.severity == "critical"
    assert glass.reasons[0] == (
        "critical: safety ('piece of glass') — flagged by its words, whatever the model says"
    )
    assert "critical: legal threat ('My lawyer')" in glass.reasons
    assert leak.flagged and leak.severity == "critical"
    assert leak.reasons[0].startswith('critical: data leak ("another customer\'s home address")')
    curly = find("The app showed me another customer\u2019s home address and card digits")
    assert curly[0] == "critical" and "another customer\u2019s" in curly[1][0]


def test_high_words_flag_alone_and_the_model_reason_comes_first_when_it_agrees():
    alone = _triage("I want to cancel my subscription and get a refund", POSITIVE)
    assert alone.flagged and alone.severity == "high"
    assert alone.reasons[0].endswith("— flagged by its words, whatever the model says")
    negative = Prediction("negative", 0.9, {"negative": 0.9, "neutral": 0.05, "positive": 0.05})
    agreed = _triage("I want to cancel my subscription", negative)
    assert agreed.reasons[0].startswith("negative (builtin, P(negative) 0.90")
    assert "high: cancellation ('want to cancel')" in agreed.reasons


@pytest.mark.parametrize(
    "text",
    [
        "This new feature is fire 🔥",
        "As a lawyer I love this app",
        "Sue from support was lovely, thanks Sue!",
        "My new noise cancelling headphones are amazing",
        "Got my refund quickly, great service!",
        "Refund policy is clear and fair",
        "switching to dark mode was easy",
        "I'm done with my exams, celebrating with a pizza",
        "Last time I checked, it was the best app",
        "How do I change my personal details?",
        "We grabbed lunch at the food court",
        "Enjoying a glass in the garden, cheers",
        "My heart is melting, such a cute ad",
        "Our sales exploded after we started using it",
        "The money back guarantee made me try it",
        "Great fraud protection from my bank",
        "Watched the reporter's piece on TV, nice",
        "Great brand, great product",
    ],
)
def test_praise_and_slang_with_severity_looking_words_is_not_flagged(text):
    assert find(text) == ("medium", [])
    assert not _triage(text, POSITIVE).flagged


@pytest.mark.parametrize(
    ("language", "text", "level", "reason"),
    [
        ("de", "Ich will eine Rückerstattung!", "high", "high: refund or money ('Rückerstattung')"),
        ("de", "Ich will eine Rueckerstattung!", "high", "high: refund or money ('Rueckerstattung')"),
        ("de", "Mein Rechtsanwalt meldet sich.", "critical", "critical: legal threat ('Rechtsanwalt')"),
        ("de", "Ich habe den Vertrag gekündigt.", "high", "high: cancellation ('gekündigt')"),
        ("de", "Der Akku ist explodiert!", "critical", "critical: safety ('explodiert')"),
        ("de", "Die Lieferung kam nie an. Nie wieder!", "high", "high: never again ('Nie wieder')"),
        ("fr", "Je veux un remboursement.", "high", "high: refund or money ('remboursement')"),
        ("fr", "Mon avocat vous contactera.", "critical", "critical: legal threat ('Mon avocat')"),
        ("fr", "Des éclats de verre dans ma salade", "critical", "critical: safety ('éclats de verre')"),
        ("fr", "Vous m'avez débité deux fois", "high", "high: refund or money ('débité deux fois')"),
        ("es", "Quiero un reembolso ya", "high", "high: refund or money ('reembolso')"),
        ("es", "Hablaré con mi abogado", "critical", "critical: legal threat ('abogado')"),
        ("es", "Me han discriminado por mi acento", "critical", "critical: discrimination ('discrimin')"),
        ("pt", "Quero o reembolso", "high", "high: refund or money ('reembolso')"),
        ("pt", "Vou falar com o meu advogado", "critical", "critical: legal threat ('advogado')"),
        ("pt", "Houve um vazamento de dados", "critical", "critical: data leak ('vazamento de dados')"),
        ("it", "Voglio un rimborso", "high", "high: refund or money ('rimborso')"),
        ("it", "Il mio avvocato vi contatterà", "critical", "critical: legal threat ('avvocato')"),
        ("it", "Mai più con voi", "high", "high: never again ('Mai più')"),
        ("nl", "Ik wil een terugbetaling", "high", "high: refund or money ('terugbetaling')"),
        ("nl", "Mijn advocaat neemt contact op", "critical", "critical: legal threat ('advocaat')"),
        ("nl", "Ik wil mijn abonnement opzeggen", "high", "high: cancellation ('opzeggen')"),
        ("nl", "Het is levensgevaarlijk", "critical", "critical: safety ('levensgevaarlijk')"),
    ],
)
def test_each_language_has_its_own_words(language, text, level, reason):
    assert find(text, language) == (level, [reason])


def test_every_language_covers_the_required_topics():
    assert set(LANGUAGES) == {"en", "de", "fr", "es", "pt", "it", "nl"}
    for language in LANGUAGES:
        assert {"safety", "legal threat", "data leak", "discrimination"} <= set(
            BY_LANGUAGE[language]["critical"]
        )
        assert {"cancellation", "refund or money", "never again"} <= set(BY_LANGUAGE[language]["high"])


def test_a_languages_words_count_only_for_that_language_and_respect_word_boundaries():
    assert find("Our brand is on fire this year")[0] == "medium"  # Dutch "brand" is fire; English post
    assert find("Het huis vloog in brand", "nl")[0] == "critical"
    assert find("J'adore l'avocat toast de ce café", "fr") == ("medium", [])  # the fruit
    assert find("Die Lieferung wurde pünktlich angekündigt", "de") == ("medium", [])  # not "kündigt"
    assert find("Ich habe gekündigt", "en")[0] == "medium"  # German words need a German text
    assert find("I want my money back, REFUND NOW", "de")[0] == "high"  # English counts in any text


def test_fold_keeps_length_so_the_reason_quotes_the_original_words():
    text = "RÜCKERSTATTUNG für die Bestellung, ça suffit \u2019"
    assert len(fold(text)) == len(text) and fold(text).startswith("RUCKERSTATTUNG") and fold(text)[-1] == "'"
    assert find("RÜCKERSTATTUNG sofort!", "de") == ("high", ["high: refund or money ('RÜCKERSTATTUNG')"])


def test_unsupported_language_gets_a_real_severity_and_priority():
    common = dict(prediction=None, language="de", unsupported_language=True)
    words = _triage("Ich will eine Rückerstattung, sonst geht das an meinen Anwalt.", **common)
    low_stars = _triage("Das Paket kam zu spät.", rating=2, **common)
    unread = _triage("Das Paket kam heute an.", **common)
    praise = _triage("Hervorragender Service!", rating=5, **common)
    assert words.flagged and words.severity == "critical" and words.priority >= 150
    assert words.reasons[0] == "language not supported (de): a person should read it"
    assert low_stars.severity == "medium" and low_stars.reasons[0].startswith("rating 2 of 5")
    assert unread.flagged and unread.severity == "medium" and unread.priority >= 50
    assert praise.flagged and praise.severity == "low"
    assert "low: rating 5 of 5 and no severity words" in praise.reasons


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("de", "Der Mitarbeiter war sehr kundig und freundlich"),  # knowledgeable, not "kündig"
        ("de", "Die Wartezeit betrug nur fünf Minuten"),  # "betrug": amounted to
        ("de", "Völlig ungefährlich für Kinder, super"),
        ("de", "Nie wieder ohne diese App!"),
        ("fr", "Une explosion de saveurs, merci"),
        ("fr", "J'ai explosé de rire en lisant la réponse"),
        ("fr", "Pirates des Caraïbes ce soir, génial"),
        ("es", "A mi juicio el servicio es excelente"),
        ("es", "Timo del soporte fue genial"),
        ("pt", "Que golpe de sorte, chegou cedo!"),
        ("it", "Mai più senza questo servizio!"),
        ("it", "Un'esplosione di gusto"),
        ("nl", "Nooit meer zonder, top service"),
        ("nl", "Met geld-terug-garantie, dus geen risico"),
        ("nl", "Helemaal ongevaarlijk speelgoed"),
    ],
)
def test_praise_and_homographs_in_other_languages_are_not_severe(language, text):
    assert find(text, language) == ("medium", [])


@pytest.mark.parametrize(
    ("language", "text", "reason"),
    [
        ("de", "Ich kündige sofort", "high: cancellation ('kündige')"),
        ("de", "Die Kuendigung ist raus", "high: cancellation ('Kuendigung')"),
        ("de", "Das ist Betrug!", "high: refund or money ('ist Betrug')"),
        ("es", "Menudo timo de tienda", "high: refund or money ('Menudo timo')"),
        ("pt", "Caí no golpe da entrega", "high: refund or money ('Caí no golpe')"),
    ],
)
def test_the_guarded_words_still_count_in_a_complaint(language, text, reason):
    assert find(text, language) == ("high", [reason])
