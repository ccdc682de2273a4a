"""Figures of one run: training curves, test confusion matrix, 2-D map of the test embeddings.

Everything is read back from files the run wrote (Lightning's CSV logs, the fine-tuning
histories, ``embedding_test.npz``, metrics.json), so plots can be redrawn without training.
matplotlib runs headless (Agg).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Sequence

import numpy as np


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def read_epoch_log(stage_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """Per-epoch values of every logged quantity of a Lightning stage (all versions, later ones win)."""
    series: dict[str, dict[int, float]] = {}
    for metrics in sorted(stage_dir.glob("version_*/metrics.csv"), key=lambda p: int(p.parent.name.split("_")[1])):
        with metrics.open() as fh:
            for row in csv.DictReader(fh):
                if not row.get("epoch"):
                    continue
                epoch = int(float(row["epoch"]))
                for key, value in row.items():
                    if key in ("epoch", "step") or value in ("", None):
                        continue
                    series.setdefault(key, {})[epoch] = float(value)
    return {k: sorted(v.items()) for k, v in series.items()}


def read_history(path: Path) -> dict[str, list[tuple[int, float]]]:
    """A fine-tuning history CSV as per-epoch series."""
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    keys = [k for k in (rows[0] if rows else {}) if k != "epoch"]
    return {k: [(int(float(r["epoch"])), float(r[k])) for r in rows if r.get(k)] for k in keys}


def plot_curves(seed_dir: Path, out: Path) -> None:
    """Loss (and accuracy/lr) per epoch of every stage of one seed, one panel per stage."""
    plt = _pyplot()
    panels: list[tuple[str, dict[str, list[tuple[int, float]]]]] = []
    logs = seed_dir / "logs"
    for stage_dir in sorted(p for p in logs.glob("*") if p.is_dir() and p.name != "finetune"):
        series = read_epoch_log(stage_dir)
        if series:
            panels.append((stage_dir.name, series))
    for hist in sorted((logs / "finetune").glob("*.csv")):
        panels.append((f"fine-tune {hist.stem}", read_history(hist)))
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.4), squeeze=False)
    for ax, (title, series) in zip(axes[0], panels):
        for key, points in series.items():
            if key.startswith("lr") or not points:
                continue
            xs, ys = zip(*points)
            ax.plot(xs, ys, label=key, marker="." if len(xs) < 30 else None)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_confusion(confusion: np.ndarray, label_names: Sequence[str], out: Path, title: str) -> None:
    """Row-normalised confusion matrix (true rows, predicted columns) with counts in the title."""
    plt = _pyplot()
    cm = np.asarray(confusion, dtype=np.float64)
    rows = cm.sum(axis=1, keepdims=True)
    norm = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    n = len(label_names)
    size = max(5.0, 0.32 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), label_names, rotation=90, fontsize=7)
    ax.set_yticks(range(n), label_names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_embedding(xy: np.ndarray, labels: np.ndarray, label_names: Sequence[str], out: Path, title: str) -> None:
    """Scatter of the test set's 2-D embedding, one colour per class."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    cmap = plt.get_cmap("tab20" if len(label_names) <= 20 else "gist_ncar")
    for c in np.unique(labels):
        sel = labels == c
        ax.scatter(xy[sel, 0], xy[sel, 1], s=9, color=cmap(c / max(1, len(label_names) - 1)), label=label_names[c])
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.legend(fontsize=5, ncol=2, markerscale=1.5, loc="best")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def plot_run(run: Path, metrics: dict[str, Any], label_names: Sequence[str]) -> None:
    """All figures of a run into ``run/plots``: first seed's curves and map, confusion summed over seeds."""
    plots = run / "plots"
    plots.mkdir(exist_ok=True)
    seeds = metrics["seeds"]
    if not seeds:
        return
    first = run / f"seed_{seeds[0]}"
    plot_curves(first, plots / "training_curves.png")
    main = metrics["evaluations"].get(metrics["main"])
    if main:
        per_seed = [s["test"]["confusion"] for s in main["per_seed"].values() if "test" in s]
        if per_seed:
            acc = main["summary"]["test"]["accuracy"]["mean"]
            plot_confusion(np.sum(per_seed, axis=0), label_names, plots / "confusion_matrix.png",
                           f"{metrics['framework']} {metrics['main']}: test, {len(per_seed)} seed(s), "
                           f"mean accuracy {acc:.3f}")
    emb = first / "embedding_test.npz"
    if emb.exists():
        with np.load(emb) as z:
            plot_embedding(z["xy"], z["labels"], label_names, plots / "embedding_test.png",
                           f"{metrics['framework']} {metrics['main']} test embedding (PCA), seed {seeds[0]}")
