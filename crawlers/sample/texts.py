# ruff: noqa: E501, RUF001  (prose data: long lines and full-width punctuation are the point)
"""The words of the sample data set: a fictional coffee brand, Northwind Coffee, its app and its shop.

Everything here was written for this project (no scraped text). Templates take ``{brand}``,
``{drink}``, ``{store}``, ``{minutes}``, ``{amount}`` and ``{tag}``; each category carries the star
ratings a reviewer in that mood would give. The generator in :mod:`crawlers.sample.generate` picks
from these with a seeded random generator, so the same seed always gives the same data set.
"""

from __future__ import annotations

BRANDS = ("Northwind Coffee", "Northwind Coffee", "@northwindcoffee", "the Northwind Coffee app", "Northwind")
DRINKS = (
    "oat flat white",
    "cold brew",
    "cardamom bun",
    "house blend beans",
    "iced maple latte",
    "single-origin Ethiopia pour-over",
    "chai",
    "decaf cortado",
    "almond croissant",
    "nitro cold brew",
)
STORES = ("Market Street", "Harbour Square", "Central Station", "the airport", "Elm Park", "Riverside Mall")
TAG = "northwindcoffee"

# category -> (ratings a reviewer would give, [(title, text), ...])
CATEGORIES: dict[str, tuple[tuple[int, ...], list[tuple[str, str]]]] = {
    "praise": (
        (5, 5, 4),
        [
            ("Best {drink} in town", "The {drink} at {brand} {store} is honestly the best in town ☕️😍"),
            ("Love the new app", "{brand} app update is so smooth, ordered a {drink} in 10 seconds 👏"),
            (
                "Friendly baristas",
                "Shout-out to the crew at {brand} {store}, remembered my name AND my order 🙌",
            ),
            ("Great beans", "Bought the {drink} from {brand} online, arrived in two days and smells amazing"),
            ("Solid", "{brand} never misses. {drink} + rainy morning = perfect #{tag}"),
            ("Five stars", "Mobile order was ready before I got there. {brand} gets it right ⭐⭐⭐⭐⭐"),
            ("Rewards are worth it", "Free {drink} from {brand} rewards today, small joys ☀️"),
        ],
    ),
    "question": (
        (4, 3),
        [
            ("Apple Pay?", "Does {brand} take Apple Pay in the app yet?"),
            ("Opening hours", "Anyone know if {brand} {store} is open on Sunday mornings?"),
            ("Decaf options", "Is the {drink} at {brand} available decaf? Asking for my pregnant wife"),
            ("Gift cards", "Can you use {brand} gift cards for online bean orders?"),
            ("Wifi", "Does {brand} {store} have decent wifi for working a few hours?"),
            ("Oat milk price", "Why does oat milk cost extra at {brand}? Genuinely curious, not mad"),
        ],
    ),
    "complaint": (
        (1, 2, 2, 3),
        [
            (
                "Waited forever",
                "Waited {minutes} minutes for a {drink} at {brand} {store}. Staff just ignored us.",
            ),
            (
                "Charged twice",
                "{brand} charged my card twice for one {drink}. I want a refund, not a coupon.",
            ),
            (
                "Order never came",
                "My {brand} bean order never arrived after 3 weeks. Support keeps closing my ticket.",
            ),
            (
                "Cancel my subscription",
                "Trying to cancel my {brand} subscription for a month and they keep billing me ${amount}. Cancel it!",
            ),
            ("Never again", "Cold {drink}, wrong size, rude reply when I asked. {brand} never again."),
            (
                "App keeps crashing",
                "{brand} app crashes every time I hit checkout. Lost my reward points too 😡",
            ),
            (
                "Refund please",
                "Still no refund for the ${amount} order {brand} cancelled on me. Two weeks now.",
            ),
            ("Downhill", "{brand} used to be my place. Prices up, {drink} tastes burnt, staff miserable 👎"),
        ],
    ),
    "safety": (
        (1,),
        [
            (
                "Allergic reaction",
                "Ordered a {drink} with oat milk at {brand} {store}, got dairy and had an allergic reaction. "
                "This is a safety issue, someone could die.",
            ),
            (
                "Burned by a loose lid",
                "The lid on my {brand} {drink} popped off and I got burned on my hand. Lids are unsafe.",
            ),
            (
                "Glass in my food",
                "Found a piece of glass in my {drink} from {brand} {store}. Kept it and the receipt.",
            ),
        ],
    ),
    "legal": (
        (1,),
        [
            (
                "My lawyer will be in touch",
                "{brand} refuses to refund ${amount} they charged without consent. My lawyer will be in touch; "
                "small claims is next.",
            ),
            (
                "Consumer protection complaint",
                "Filed a complaint with consumer protection against {brand}. Sue me.",
            ),
        ],
    ),
    "data_leak": (
        (1,),
        [
            (
                "App showed someone else's account",
                "{brand} app just showed me another customer's name, home address and last 4 card digits. "
                "Data leak?? Screenshots taken.",
            ),
            (
                "Got other people's emails",
                "Got a {brand} receipt email with 40 other customers' email addresses in CC. Privacy breach.",
            ),
        ],
    ),
    "outage": (
        (1, 1, 2),
        [
            ("App down", "{brand} app is down, can't pay at the counter, error 503 at checkout"),
            ("Payments failing", "Is {brand} down? Payment failed three times, error 503 again"),
            ("Rewards gone", "{brand} app outage wiped my rewards and checkout shows error 503"),
            ("Can't order", "{brand} checkout broken for everyone at {store}? 503 error, queue out the door"),
            ("Outage", "Third time this month the {brand} app is down at checkout. Error 503. Fix it."),
        ],
    ),
    # not about the brand: tests exclusion terms (disambiguation)
    "offtopic": (
        (3,),
        [
            (
                "Northwind Traders sample DB",
                "Still using the Northwind Traders sample database to teach SQL joins",
            ),
            ("Sailing", "Great regatta at the Northwind Sailing Club today, north wind 20 knots"),
        ],
    ),
}

# category -> language -> [(title, text)]; non-English posts in the same moods
FOREIGN: dict[str, dict[str, list[tuple[str, str]]]] = {
    "praise": {
        "de": [("Super Kaffee", "Der {drink} bei {brand} ist einfach der beste. Gerne wieder! ☕")],
        "fr": [("Excellent", "Le {drink} de {brand} est délicieux, service rapide et souriant 😊")],
        "es": [("Me encanta", "El {drink} de {brand} es buenísimo, el personal muy amable 💛")],
        "ja": [("最高", "{brand}の{drink}が本当に美味しい！また行きます☕")],
        "pt": [("Adorei", "O {drink} da {brand} é maravilhoso, atendimento nota 10")],
    },
    "complaint": {
        "de": [
            ("Nie wieder", "{brand} hat mir zweimal abgebucht und verweigert die Rückerstattung. Nie wieder!")
        ],
        "fr": [
            ("Déçu", "Commande {brand} jamais livrée, service client injoignable. Je veux un remboursement.")
        ],
        "es": [
            ("Pésimo", "La app de {brand} se cae al pagar y nadie responde. Quiero cancelar mi suscripción.")
        ],
        "pl": [("Porażka", "{brand} pobrał opłatę dwa razy i nie chce oddać pieniędzy. Nigdy więcej.")],
        "nl": [
            ("Slecht", "Mijn bestelling bij {brand} kwam nooit aan en ik wacht nog steeds op terugbetaling.")
        ],
    },
}

HANDLE_FIRST = (
    "alex", "sam", "jordan", "priya", "li", "mateo", "fatima", "noah", "emma", "kenji", "olga", "tariq",
    "grace", "lucas", "amara", "ben", "chloe", "diego", "hana", "ivan", "jasmine", "kofi", "lena", "omar",
)  # fmt: skip
HANDLE_LAST = (
    "brewer", "k", "rivera", "nguyen", "okafor", "smith", "tanaka", "muller", "rossi", "dubois",
    "sato", "walsh", "haddad", "novak", "berg", "costa",
)  # fmt: skip

# Strings crafted to break careless renderers: HTML/JS, Slack mentions, header injection, bidi, NUL.
HOSTILE: list[tuple[str, str]] = [
    (
        "<script>alert('xss')</script> Northwind Coffee",
        "Northwind Coffee refund please <img src=x onerror=alert(1)> <script>document.location='//evil'</script>",
    ),
    (
        "Northwind Coffee <!channel> URGENT",
        "<!channel> <!here> <@U024BE7LH> Northwind Coffee *charged me twice* _again_ ~fix it~ `rm -rf`",
    ),
    (
        "Northwind Coffee\r\nBcc: everyone@example.org",
        "Line one about Northwind Coffee\r\nSubject: injected\r\n\r\nrefund or I post your data",
    ),
    (
        "Northwind Coffee \u202egnp.exe",
        "Northwind Coffee app\u200b\u200b zero-width and bidi \u202eoverride\u202c text ]]> </item> \u0000 NUL",
    ),
]
