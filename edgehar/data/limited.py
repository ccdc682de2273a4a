"""Limited-label subsets of a training split, for semi-supervised fine-tuning curves.

``stratified`` (default): per class, a seeded random ``percent`` of its samples, at least one, so
every class is seen even at 1 %. ``stride`` reproduces the reference code: sort by
(label, subject, trial) and keep every ``int(100 / percent)``-th sample; deterministic, not
stratified (at 2 % on UTD-MHAD it sees 7 of 27 classes).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from edgehar.data.preprocess import PreparedDataset
from edgehar.errors import EdgeharError

STANDARD_PERCENTS = (1, 2, 5, 10, 25, 50)


def limited_labels(
    ds: PreparedDataset,
    indices: np.ndarray,
    percent: float,
    *,
    seed: int = 0,
    method: Literal["stratified", "stride"] = "stratified",
) -> np.ndarray:
    """Sorted subset of ``indices`` (into ``ds``) keeping ``percent`` % of the labels."""
    idx = np.asarray(indices, dtype=np.int64)
    if not 0 < percent <= 100:
        raise EdgeharError(f"limited-label percent must be in (0, 100], got {percent}")
    if idx.size == 0:
        raise EdgeharError("cannot take a limited-label subset of an empty split")
    if percent == 100:
        return np.sort(idx)
    if method == "stride":
        order = np.lexsort((ds.trials[idx], ds.subjects[idx], ds.labels[idx]))
        step = int(100 / percent)
        return np.sort(idx[order][::step])
    if method != "stratified":
        raise EdgeharError(f"unknown limited-label method '{method}' (stratified, stride)")
    rng = np.random.default_rng(seed)
    kept = []
    for label in np.unique(ds.labels[idx]):
        members = idx[ds.labels[idx] == label]
        k = max(1, int(round(members.size * percent / 100.0)))
        kept.append(rng.choice(members, size=k, replace=False))
    return np.sort(np.concatenate(kept))
