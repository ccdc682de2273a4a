"""Named evaluation protocols, so every result says exactly which split it was measured on.

Protocols depend on the dataset family (``PreparedDataset.layout``): UTD-layout datasets (UTD-MHAD
and the synthetic set, 8 subjects), MMAct, and recordings. Two generic protocols work everywhere:
``subjects:TRAIN/VAL/TEST`` (comma-separated subject ids, VAL may be empty) and ``random`` (a
class-stratified seeded 70/15/15 split, for single-subject recordings).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from edgehar.data.preprocess import PreparedDataset
from edgehar.errors import EdgeharError

Split = dict[str, np.ndarray]


def _by_subject(ds: PreparedDataset, train: set[int], val: set[int], test: set[int]) -> Split:
    return {
        "train": np.flatnonzero(np.isin(ds.subjects, list(train))),
        "val": np.flatnonzero(np.isin(ds.subjects, list(val))),
        "test": np.flatnonzero(np.isin(ds.subjects, list(test))),
    }


def _mmact_cross_session(ds: PreparedDataset) -> Split:
    """Paper text: per subject, the first 80 % of that subject's sessions (by id) train, the rest test."""
    train, test = [], []
    for subject in np.unique(ds.subjects):
        members = np.flatnonzero(ds.subjects == subject)
        sessions = np.unique(ds.sessions[members])
        n_train = int(np.floor(0.8 * len(sessions)))
        if len(sessions) > 1:
            n_train = max(1, min(n_train, len(sessions) - 1))
        train_sessions = sessions[:n_train]
        in_train = np.isin(ds.sessions[members], train_sessions)
        train.append(members[in_train])
        test.append(members[~in_train])
    return {"train": np.sort(np.concatenate(train)), "val": np.array([], dtype=np.int64), "test": np.sort(np.concatenate(test))}


def _mmact_cross_session_ref(ds: PreparedDataset) -> Split:
    """Reference code: sessions 1-4 train (subjects 1-16) / val (subjects 17-20); session 5 test."""
    early = ds.sessions <= 4
    return {
        "train": np.flatnonzero(early & (ds.subjects <= 16)),
        "val": np.flatnonzero(early & (ds.subjects >= 17)),
        "test": np.flatnonzero(ds.sessions == 5),
    }


def _random(ds: PreparedDataset, seed: int = 0, fractions: tuple[float, float] = (0.7, 0.15)) -> Split:
    """Per class: shuffle, then cut into train/val/test by ``fractions`` (at least one train sample)."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "val": [], "test": []}
    for label in np.unique(ds.labels):
        idx = rng.permutation(np.flatnonzero(ds.labels == label))
        n_train = max(1, int(round(fractions[0] * len(idx))))
        n_val = int(round(fractions[1] * len(idx)))
        parts["train"].append(idx[:n_train])
        parts["val"].append(idx[n_train:n_train + n_val])
        parts["test"].append(idx[n_train + n_val:])
    return {k: np.sort(np.concatenate(v)).astype(np.int64) for k, v in parts.items()}


PROTOCOLS: dict[str, dict[str, Callable[[PreparedDataset], Split]]] = {
    "utd_mhad": {
        "cross_subject": lambda ds: _by_subject(ds, {1, 3, 5}, {7}, {2, 4, 6, 8}),
        "cross_subject_paper": lambda ds: _by_subject(ds, {1, 3, 5, 7}, set(), {2, 4, 6, 8}),
    },
    "mmact": {
        "cross_subject": lambda ds: _by_subject(ds, set(range(1, 17)), set(), set(range(17, 21))),
        "cross_subject_ref": lambda ds: _by_subject(ds, set(range(1, 13)), set(range(13, 16)), set(range(17, 21))),
        "cross_session": _mmact_cross_session,
        "cross_session_ref": _mmact_cross_session_ref,
    },
    "recordings": {},
}
DEFAULT_PROTOCOL = {"utd_mhad": "cross_subject", "mmact": "cross_subject", "recordings": "random"}


def protocol_names(layout: str) -> list[str]:
    """Protocols available for a dataset family, named ones first."""
    return list(PROTOCOLS.get(layout, {})) + ["random", "subjects:TRAIN/VAL/TEST"]


def _parse_subjects(spec: str) -> tuple[set[int], set[int], set[int]]:
    body = spec.split(":", 1)[1]
    parts = body.split("/")
    if len(parts) != 3:
        raise EdgeharError(f"protocol '{spec}': expected subjects:TRAIN/VAL/TEST, e.g. subjects:1,3,5/7/2,4,6,8")
    try:
        sets = tuple({int(v) for v in p.split(",") if v.strip()} for p in parts)
    except ValueError as exc:
        raise EdgeharError(f"protocol '{spec}': subject ids must be integers") from exc
    return sets  # type: ignore[return-value]


def split_indices(ds: PreparedDataset, protocol: str | None = None, *, seed: int = 0) -> Split:
    """Index arrays ``{"train", "val", "test"}`` of ``ds`` for ``protocol`` (None: the family default).

    Raises when the protocol is unknown for this dataset or leaves train or test empty.
    """
    protocol = protocol or DEFAULT_PROTOCOL.get(ds.layout, "random")
    if protocol.startswith("subjects:"):
        split = _by_subject(ds, *_parse_subjects(protocol))
    elif protocol == "random":
        split = _random(ds, seed)
    elif protocol in PROTOCOLS.get(ds.layout, {}):
        split = PROTOCOLS[ds.layout][protocol](ds)
    else:
        raise EdgeharError(
            f"unknown protocol '{protocol}' for dataset '{ds.name}' ({ds.layout}); "
            f"choose one of: {', '.join(protocol_names(ds.layout))}"
        )
    split = {k: v.astype(np.int64) for k, v in split.items()}
    for part in ("train", "test"):
        if split[part].size == 0:
            present = sorted({int(s) for s in ds.subjects})
            raise EdgeharError(
                f"protocol '{protocol}' leaves the {part} split of dataset '{ds.name}' empty "
                f"(subjects present: {present})"
            )
    return split
