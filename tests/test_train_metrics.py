"""Scores and their confidence intervals, checked against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edgehar.train.metrics import confusion_matrix, mean_ci, scores, summarize


def test_scores_by_hand() -> None:
    # class a: 2 true, both right; class b: 2 true, one predicted as c; class c: 0 true, 1 predicted.
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.array([0, 0, 1, 2])
    s = scores(y_true, y_pred, ["a", "b", "c", "d"])
    assert s["accuracy"] == 0.75
    # F1: a = 1, b = 2*1*0.5/1.5 = 2/3, c = 0 (predicted, never true); d never occurs -> left out.
    assert s["macro_f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert s["per_class"]["b"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert s["per_class"]["d"]["support"] == 0
    assert s["confusion"][1] == [0, 1, 1, 0]
    assert s["n"] == 4


def test_confusion_counts_repeats() -> None:
    cm = confusion_matrix(np.array([1, 1, 1]), np.array([0, 0, 1]), 2)
    assert cm.tolist() == [[0, 0], [2, 1]]


def test_mean_ci_uses_the_t_distribution() -> None:
    out = mean_ci([1.0, 2.0, 3.0])
    assert out["mean"] == 2.0 and out["std"] == 1.0 and out["n"] == 3
    # t_{0.975, 2} = 4.302652729...; half-width = t * s / sqrt(n)
    assert out["ci95"] == pytest.approx(4.302652729911275 / math.sqrt(3))
    two = mean_ci([0.5, 0.7])
    assert two["ci95"] == pytest.approx(12.706204736174698 * two["std"] / math.sqrt(2))


def test_mean_ci_single_seed_has_no_spread() -> None:
    out = mean_ci([0.9])
    assert out == {"mean": 0.9, "n": 1, "std": None, "ci95": None, "values": [0.9]}


def test_summarize_over_seeds_and_splits() -> None:
    per_seed = {
        "0": {"test": {"accuracy": 0.8, "macro_f1": 0.7}, "val": {"accuracy": 1.0, "macro_f1": 1.0}},
        "1": {"test": {"accuracy": 0.6, "macro_f1": 0.5}},
    }
    s = summarize(per_seed)
    assert s["test"]["accuracy"]["mean"] == pytest.approx(0.7)
    assert s["test"]["macro_f1"]["values"] == [0.7, 0.5]
    assert s["val"]["accuracy"]["n"] == 1
