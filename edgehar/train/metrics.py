"""Classification scores and their summary over seeds.

Numpy only, so reports can be rebuilt without torch. Macro F1 follows torchmetrics'
``average="macro"`` as the reference code used it: classes that occur neither in the targets
nor in the predictions are left out of the mean instead of counting as zero.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts with true classes on rows and predicted classes on columns."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return cm


def scores(y_true: np.ndarray, y_pred: np.ndarray, label_names: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro F1, per-class precision/recall/F1/support and the confusion matrix."""
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    n = len(label_names)
    cm = confusion_matrix(y_true, y_pred, n)
    tp = np.diag(cm).astype(np.float64)
    support = cm.sum(axis=1).astype(np.float64)
    predicted = cm.sum(axis=0).astype(np.float64)
    precision = np.divide(tp, predicted, out=np.zeros(n), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(n), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros(n), where=denom > 0)
    seen = (support > 0) | (predicted > 0)
    return {
        "n": int(y_true.size),
        "accuracy": float(tp.sum() / y_true.size) if y_true.size else float("nan"),
        "macro_f1": float(f1[seen].mean()) if seen.any() else float("nan"),
        "per_class": {
            name: {
                "precision": float(precision[i]),
                "recall": float(recall[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, name in enumerate(label_names)
        },
        "confusion": cm.tolist(),
    }


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> dict[str, Any]:
    """Mean, sample standard deviation and the t-distribution confidence half-width over seeds.

    With one value the spread is unknown, so ``std`` and ``ci95`` are None rather than zero.
    """
    from scipy import stats

    v = np.asarray([x for x in values if not math.isnan(x)], dtype=np.float64)
    out: dict[str, Any] = {"mean": float(v.mean()) if v.size else float("nan"), "n": int(v.size),
                           "std": None, "ci95": None, "values": [float(x) for x in v]}
    if v.size >= 2:
        std = float(v.std(ddof=1))
        out["std"] = std
        out["ci95"] = float(stats.t.ppf(0.5 + confidence / 2, v.size - 1) * std / math.sqrt(v.size))
    return out


def summarize(per_seed: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Mean with 95% CI of accuracy and macro F1 per split, over ``{seed: {split: scores}}``."""
    splits = sorted({split for by_split in per_seed.values() for split in by_split})
    return {
        split: {
            metric: mean_ci([by_split[split][metric] for by_split in per_seed.values() if split in by_split])
            for metric in ("accuracy", "macro_f1")
        }
        for split in splits
    }
