"""The flag policy: operating curve, threshold for a recall target, metadata round trip."""

import json

import pytest

from sentiment.flag_policy import (
    CurvePoint,
    FlagPolicy,
    effective_threshold,
    operating_curve,
    policy_from_meta,
    policy_to_meta,
    threshold_for,
)

# four complaints at P(negative) 0.9, 0.7, 0.35, 0.1; four others at 0.6, 0.3, 0.2, 0.05
LABELS = [True, True, True, True, False, False, False, False]
P_NEG = [0.9, 0.7, 0.35, 0.1, 0.6, 0.3, 0.2, 0.05]


def _at(curve, threshold):
    return next(p for p in curve if p.threshold == threshold)


def test_curve_counts_what_each_threshold_flags():
    curve = operating_curve(LABELS, P_NEG, steps=21)
    assert [p.threshold for p in curve][:3] == [0.0, 0.05, 0.1] and curve[-1].threshold == 1.0
    assert _at(curve, 0.0) == CurvePoint(0.0, 1.0, 0.5, 1.0)
    # >= 0.35 flags 0.9, 0.7, 0.35 (complaints) and 0.6: recall 3/4, precision 3/4, half of all
    assert _at(curve, 0.35) == CurvePoint(0.35, 0.75, 0.75, 0.5)
    # the threshold itself counts (>=): 0.1 is caught at 0.1
    assert _at(curve, 0.1).recall == 1.0 and _at(curve, 0.15).recall == 0.75
    assert _at(curve, 1.0) == CurvePoint(1.0, 0.0, 1.0, 0.0)  # nothing flagged: no false alarm
    recalls = [p.recall for p in curve]
    assert recalls == sorted(recalls, reverse=True)


def test_threshold_for_is_the_highest_that_reaches_the_target():
    curve = operating_curve(LABELS, P_NEG, steps=21)
    assert threshold_for(curve, 0.75) == 0.35
    assert threshold_for(curve, 0.9) == 0.1
    assert threshold_for(curve, 0.5) == 0.7
    unreachable = [CurvePoint(0.2, 0.8, 0.5, 0.6), CurvePoint(0.5, 0.4, 0.9, 0.2)]
    assert threshold_for(unreachable, 0.95) == 0.2  # none reaches it: the lowest threshold
    with pytest.raises(ValueError):
        threshold_for([], 0.9)


@pytest.mark.parametrize(
    ("labels", "probs", "steps"),
    [
        ([True], [0.5, 0.2], 11),
        ([], [], 11),
        ([False, False], [0.1, 0.9], 11),
        ([True], [1.5], 11),
        ([True], [0.5], 1),
    ],
)
def test_curve_refuses_what_it_cannot_measure(labels, probs, steps):
    with pytest.raises(ValueError):
        operating_curve(labels, probs, steps)


def test_metadata_round_trip_through_json():
    curve = tuple(operating_curve(LABELS, P_NEG, steps=11))
    policy = FlagPolicy(0.3, 0.75, temperature=1.4, curve=curve, selected_on="leave-one-source-out folds")
    meta = json.loads(json.dumps({"labels": ["negative"], **policy_to_meta(policy)}))
    assert set(meta["flag_policy"]) == {"threshold", "recall_target", "temperature", "selected_on", "curve"}
    assert set(meta["flag_policy"]["curve"][0]) == {"threshold", "recall", "precision", "flagged_share"}
    assert policy_from_meta(meta) == policy
    assert policy_from_meta({"labels": ["negative"]}) is None


def test_metadata_defaults_and_unsorted_curve():
    meta = {
        "flag_policy": {
            "threshold": 0.4,
            "recall_target": 0.9,
            "curve": [
                {"threshold": 0.5, "recall": 0.6, "precision": 0.9, "flagged_share": 0.2},
                {"threshold": 0.1, "recall": 0.95, "precision": 0.7, "flagged_share": 0.5},
            ],
        }
    }
    policy = policy_from_meta(meta)
    assert policy is not None and policy.temperature == 1.0 and policy.selected_on == ""
    assert [p.threshold for p in policy.curve] == [0.1, 0.5]


@pytest.mark.parametrize(
    "raw",
    [
        "0.3",
        {"recall_target": 0.9},
        {"threshold": 1.2, "recall_target": 0.9},
        {"threshold": 0.3, "recall_target": 0.0},
        {"threshold": 0.3, "recall_target": 0.9, "temperature": 0},
        {"threshold": 0.3, "recall_target": 0.9, "temperature": "hot"},
        {"threshold": 0.3, "recall_target": 0.9, "curve": [{"threshold": 0.1}]},
        {"threshold": "low", "recall_target": 0.9},
    ],
)
def test_malformed_policy_is_refused(raw):
    with pytest.raises(ValueError, match="flag_policy"):
        policy_from_meta({"flag_policy": raw})


def test_effective_threshold_follows_the_operators_target():
    curve = tuple(operating_curve(LABELS, P_NEG, steps=21))
    policy = FlagPolicy(0.1, 0.9, curve=curve)
    assert effective_threshold(policy, 0.9, fallback=0.6) == 0.1
    assert effective_threshold(policy, 0.75, fallback=0.6) == 0.35  # re-derived, not the stored 0.1
    assert effective_threshold(FlagPolicy(0.27, 0.9), 0.5, fallback=0.6) == 0.27  # no curve: as stored
    assert effective_threshold(None, 0.9, fallback=0.6) == 0.6
