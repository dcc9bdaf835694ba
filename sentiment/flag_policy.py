"""The flag policy: the P(negative) at or above which the model's opinion flags a mention, set by recall.

The operator names a share of complaints to catch (``BOUNCEBACK_FLAG_RECALL_TARGET``, default 0.9).
Training measures an operating curve on its model-selection data (recall, precision and flagged share
at each P(negative) threshold), picks the highest threshold that still reaches the target, and stores
both in ``bounceback_model.json``::

    {"flag_policy": {"threshold": 0.27, "recall_target": 0.9, "temperature": 1.3, "selected_on": "...",
                     "curve": [{"threshold": 0.0, "recall": 1.0, "precision": 0.41, "flagged_share": 1.0},
                               ...]}}

At scoring time the threshold is re-derived from the stored curve for the operator's own target
(`effective_threshold`), so changing the target needs no retraining. A model without a policy
(huggingface, vader, an older builtin model) uses ``BOUNCEBACK_NEGATIVE_THRESHOLD`` instead.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_STEPS = 101


@dataclass(frozen=True)
class CurvePoint:
    """At ``threshold``: the share of complaints caught, the share of flags that were complaints, and
    the share of all mentions flagged."""

    threshold: float
    recall: float
    precision: float
    flagged_share: float


@dataclass(frozen=True)
class FlagPolicy:
    """How a model's P(negative) becomes a flag; see the module docstring."""

    threshold: float  # P(negative) at or above which the model's opinion flags a mention
    recall_target: float  # the share of complaints the threshold was chosen to catch
    temperature: float = 1.0  # logits are divided by this before softmax (calibration); 1.0 = none
    curve: tuple[CurvePoint, ...] = ()  # measured on the model-selection data
    selected_on: str = ""  # which data the curve was measured on, in words


def operating_curve(
    is_negative: Sequence[bool], p_negative: Sequence[float], steps: int = DEFAULT_STEPS
) -> list[CurvePoint]:
    """Recall, precision and flagged share at ``steps`` evenly spaced thresholds from 0 to 1.

    A mention is flagged when its P(negative) >= the threshold. Precision with nothing flagged is 1.0
    (no false alarm). ValueError when the lengths differ, there are no rows, no complaint among them,
    or fewer than two steps.
    """
    if len(is_negative) != len(p_negative):
        raise ValueError(f"{len(is_negative)} labels but {len(p_negative)} probabilities")
    if steps < 2:
        raise ValueError("an operating curve needs at least 2 steps")
    if not p_negative:
        raise ValueError("no rows to measure an operating curve on")
    for p in p_negative:
        if not (0.0 <= p <= 1.0) or math.isnan(p):
            raise ValueError(f"P(negative) {p!r} is not a probability")
    every = sorted(float(p) for p in p_negative)
    complaints = sorted(float(p) for p, neg in zip(p_negative, is_negative, strict=True) if neg)
    if not complaints:
        raise ValueError("no complaint (negative row) to measure recall on")
    n, positives = len(every), len(complaints)
    curve = []
    for i in range(steps):
        threshold = round(i / (steps - 1), 6)
        flagged = n - bisect_left(every, threshold)
        caught = positives - bisect_left(complaints, threshold)
        curve.append(
            CurvePoint(
                threshold=threshold,
                recall=round(caught / positives, 6),
                precision=round(caught / flagged, 6) if flagged else 1.0,
                flagged_share=round(flagged / n, 6),
            )
        )
    return curve


def threshold_for(curve: Sequence[CurvePoint], recall_target: float) -> float:
    """The highest threshold whose recall reaches ``recall_target``; the curve's lowest if none does."""
    if not curve:
        raise ValueError("empty operating curve")
    reaching = [point.threshold for point in curve if point.recall >= recall_target]
    return max(reaching) if reaching else min(point.threshold for point in curve)


def effective_threshold(policy: FlagPolicy | None, recall_target: float, fallback: float) -> float:
    """The P(negative) threshold to flag at: re-derived from the policy's curve for ``recall_target``;
    the policy's own threshold if it has no curve; ``fallback`` when there is no policy."""
    if policy is None:
        return fallback
    if policy.curve:
        return threshold_for(policy.curve, recall_target)
    return policy.threshold


def policy_to_meta(policy: FlagPolicy) -> dict[str, Any]:
    """``{"flag_policy": {...}}`` for ``bounceback_model.json`` (merge it into the metadata)."""
    return {
        "flag_policy": {
            "threshold": float(policy.threshold),
            "recall_target": float(policy.recall_target),
            "temperature": float(policy.temperature),
            "selected_on": policy.selected_on,
            "curve": [
                {
                    "threshold": float(p.threshold),
                    "recall": float(p.recall),
                    "precision": float(p.precision),
                    "flagged_share": float(p.flagged_share),
                }
                for p in policy.curve
            ],
        }
    }


def _fraction(raw: dict[str, Any], key: str, *, low_open: bool = False) -> float:
    try:
        value = float(raw[key])
    except KeyError:
        raise ValueError(f"flag_policy: {key!r} is missing") from None
    except (TypeError, ValueError):
        raise ValueError(f"flag_policy: {key!r} is not a number: {raw[key]!r}") from None
    if math.isnan(value) or value > 1.0 or value < 0.0 or (low_open and value == 0.0):
        bounds = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"flag_policy: {key!r} must be in {bounds}, not {value!r}")
    return value


def policy_from_meta(meta: dict[str, Any]) -> FlagPolicy | None:
    """The policy in ``meta["flag_policy"]`` (a model's metadata); None if absent.

    ValueError names the field when the policy is malformed (a model must not silently flag at a
    threshold nobody chose).
    """
    raw = meta.get("flag_policy")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValueError("flag_policy must be an object")
    try:
        temperature = float(raw.get("temperature", 1.0))
    except (TypeError, ValueError):
        raise ValueError(f"flag_policy: 'temperature' is not a number: {raw['temperature']!r}") from None
    if not (temperature > 0.0 and math.isfinite(temperature)):
        raise ValueError(f"flag_policy: 'temperature' must be a positive number, not {temperature!r}")
    points = raw.get("curve", [])
    if not isinstance(points, list) or not all(isinstance(p, dict) for p in points):
        raise ValueError("flag_policy: 'curve' must be a list of objects")
    curve = tuple(
        sorted(
            (
                CurvePoint(
                    threshold=_fraction(p, "threshold"),
                    recall=_fraction(p, "recall"),
                    precision=_fraction(p, "precision"),
                    flagged_share=_fraction(p, "flagged_share"),
                )
                for p in points
            ),
            key=lambda point: point.threshold,
        )
    )
    return FlagPolicy(
        threshold=_fraction(raw, "threshold"),
        recall_target=_fraction(raw, "recall_target", low_open=True),
        temperature=temperature,
        curve=curve,
        selected_on=str(raw.get("selected_on", "")),
    )
