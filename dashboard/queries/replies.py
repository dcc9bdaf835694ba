"""Reply templates: apology first, personal (name, product, what went wrong), compensation gated.

Service-recovery research: a sincere, specific apology does more than compensation, and
compensation offered too readily teaches people to complain. So every draft opens with an apology,
names the person, the product and the problem; compensation is an option only for severe cases,
and its size is capped by severity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# What the agent may offer, by severity; severities not listed get no compensation option.
COMPENSATION_BY_SEVERITY: dict[str, str] = {
    "critical": "a full refund of the affected order",
    "high": "a credit on your account",
}

# Words in a complaint → how to name the problem back to the customer.
PROBLEMS: list[tuple[str, str]] = [
    (
        r"\b(refund|refunded|charged|charge|billing|bill|invoice|payment|paid)\b",
        "the problem with your payment",
    ),
    (r"\b(deliver\w*|shipping|shipped|parcel|package|courier|arrived|late)\b", "the late delivery"),
    (r"\b(order|ordered|cart|checkout)\b", "the problem with your order"),
    (r"\b(crash\w*|bug\w*|freez\w*|broken|error|doesn'?t work|not working)\b", "the app not working"),
    (r"\b(log ?in|password|account|locked out|sign ?in)\b", "the trouble with your account"),
    (r"\b(support|agent|wait\w*|hold|no one|nobody|ignored|respon\w*)\b", "how long you waited for help"),
    (r"\b(cancel\w*|subscription)\b", "the trouble cancelling"),
    (r"\b(rude|unsafe|safety|danger\w*)\b", "how you were treated"),
]
DEFAULT_PROBLEM = "what happened"

TEMPLATES: dict[str, str] = {
    "apology": (
        "Hi {name}, I'm so sorry about {problem} with {product}. That is not the experience we want "
        "for you, and I understand how frustrating it is. I'm looking into it personally right now."
    ),
    "fixing": (
        "Hi {name}, I'm sorry about {problem} with {product}, and thank you for telling us. "
        "We've found the cause and are fixing it; I'll let you know as soon as it's sorted."
    ),
    "more_details": (
        "Hi {name}, I'm sorry about {problem} with {product}. Could you send us a private message "
        "with your order or account email? Then I can fix it without you having to repeat anything."
    ),
    "follow_up": (
        "Hi {name}, I'm sorry again about {problem} with {product}. I wanted to check in: "
        "is everything working for you now?"
    ),
}
TEMPLATE_LABELS: dict[str, str] = {
    "apology": "Apology",
    "fixing": "Apology + we're fixing it",
    "more_details": "Apology + ask for details privately",
    "follow_up": "Follow-up after resolving",
}


@dataclass(frozen=True)
class ReplyContext:
    """Who and what a reply is about."""

    name: str
    product: str
    problem: str
    severity: str | None


def guess_problem(text: str) -> str:
    """A short phrase naming what went wrong, from the complaint's words."""
    lowered = text.lower()
    for pattern, phrase in PROBLEMS:
        if re.search(pattern, lowered):
            return phrase
    return DEFAULT_PROBLEM


def compensation_option(severity: str | None) -> str | None:
    """What may be offered for this severity (None: compensation is not an option)."""
    return COMPENSATION_BY_SEVERITY.get(severity or "")


def _first_name(name: str) -> str:
    name = " ".join(name.split()).lstrip("@")
    return name.split(" ")[0] if name else "there"


def draft_reply(template: str, ctx: ReplyContext, *, offer_compensation: bool = False) -> str:
    """The reply text for ``template``; adds compensation only when the severity allows it."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown template {template!r}")
    text = TEMPLATES[template].format(
        name=_first_name(ctx.name), product=ctx.product or "our service", problem=ctx.problem
    )
    offer = compensation_option(ctx.severity)
    if offer_compensation and offer:
        text += f" To make up for it, we'd like to offer you {offer}."
    return text
