"""Runs side by side: a markdown table and the paper's two figures.

Reads only ``metrics.json``, ``config.yaml`` and ``run.json`` of each run, so reports can be
rebuilt without retraining. Figures: test accuracy against the hard-negative concentration beta (runs
that differ only in beta), and accuracy against the fraction of labels (runs with several label
budgets), both with 95% confidence intervals over seeds.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from edgehar.train.run_dir import RunDir


@dataclass
class Row:
    """One evaluation of one run."""

    run: str
    dataset: str
    protocol: str
    framework: str
    beta: float
    evaluation: str
    head: str
    label_percent: float
    seeds: int
    stats: dict[str, dict[str, Any]]  # metric -> {mean, ci95, ...} on the chosen split


def collect(paths: Sequence[Path], split: str = "test") -> list[Row]:
    """Every evaluation of every run, on ``split``."""
    rows = []
    for path in paths:
        run = RunDir.open(path)
        metrics = run.metrics
        for name, ev in metrics["evaluations"].items():
            summary = ev["summary"].get(split)
            if summary is None:
                continue
            rows.append(Row(
                run=run.path.name, dataset=metrics["dataset"], protocol=metrics["protocol"],
                framework=metrics["framework"], beta=run.config.loss.beta, evaluation=name, head=ev["head"],
                label_percent=float(ev["label_percent"]), seeds=len(ev["per_seed"]), stats=summary,
            ))
    return rows


def _fmt(stat: dict[str, Any]) -> str:
    mean = 100 * stat["mean"]
    if stat.get("ci95") is None:
        return f"{mean:.2f}"
    return f"{mean:.2f} ± {100 * stat['ci95']:.2f}"


def markdown(rows: list[Row], split: str = "test") -> str:
    """One table row per evaluation: accuracy and macro F1 in %, mean ± 95% CI half-width over seeds."""
    lines = [
        f"| run | dataset / protocol | framework | head | labels | seeds | {split} accuracy (%) | {split} macro F1 (%) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.run} | {r.dataset} / {r.protocol} | {r.framework} | {r.head} | {r.label_percent:g}% | {r.seeds} | "
            f"{_fmt(r.stats['accuracy'])} | {_fmt(r.stats['macro_f1'])} |"
        )
    return "\n".join(lines) + "\n"


def _errorbar(ax: Any, xs: list[float], stats: list[dict[str, Any]], label: str) -> None:
    ys = [100 * s["mean"] for s in stats]
    err = [100 * (s["ci95"] or 0.0) for s in stats]
    ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=label)


def beta_figure(rows: list[Row], out: Path, metric: str = "accuracy") -> bool:
    """Accuracy against beta for CMC-HNL runs (one line per head); False if fewer than two betas."""
    series: dict[str, dict[float, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        if r.framework == "cmc_hnl" and r.label_percent == 100.0:
            series[f"{r.dataset} {r.head}"][r.beta] = r.stats[metric]
    series = {k: v for k, v in series.items() if len(v) >= 2}
    if not series:
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, points in sorted(series.items()):
        betas = sorted(points)
        _errorbar(ax, betas, [points[b] for b in betas], label)
    ax.set_xlabel("beta (hard-negative concentration)")
    ax.set_ylabel(f"test {metric} (%)")
    ax.set_title("CMC-HNL: effect of beta (mean, 95% CI over seeds)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def label_fraction_figure(rows: list[Row], out: Path, metric: str = "accuracy") -> bool:
    """Accuracy against label percentage, one line per run and head; False if no run has two budgets."""
    series: dict[str, dict[float, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        series[f"{r.run} {r.head}"][r.label_percent] = r.stats[metric]
    series = {k: v for k, v in series.items() if len(v) >= 2}
    if not series:
        return False
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    for label, points in sorted(series.items()):
        pcts = sorted(points)
        ys = [100 * points[p]["mean"] for p in pcts]
        err = [100 * (points[p]["ci95"] or 0.0) for p in pcts]
        ax.plot(pcts, ys, marker="o", label=label)
        ax.fill_between(pcts, [y - e for y, e in zip(ys, err)], [y + e for y, e in zip(ys, err)], alpha=0.2)
    ax.set_xscale("log")
    ax.set_xticks([1, 2, 5, 10, 25, 50, 100], ["1", "2", "5", "10", "25", "50", "100"])
    ax.set_xlabel("labelled training data (%)")
    ax.set_ylabel(f"test {metric} (%)")
    ax.set_title("Limited labels (mean, 95% CI over seeds)", fontsize=9)
    ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return True


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write_report(paths: Sequence[Path], out: Path, *, split: str = "test", metric: str = "accuracy") -> dict[str, Any]:
    """report.md plus whichever figures the runs support; returns what was written."""
    rows = collect(paths, split)
    out.mkdir(parents=True, exist_ok=True)
    table = markdown(rows, split)
    figures = []
    parts = ["# edgehar training report\n", table]
    if beta_figure(rows, out / "beta_curve.png", metric):
        figures.append("beta_curve.png")
    if label_fraction_figure(rows, out / "label_fraction.png", metric):
        figures.append("label_fraction.png")
    parts += [f"\n![{f}]({f})\n" for f in figures]
    (out / "report.md").write_text("\n".join(parts))
    return {"table": table, "figures": figures, "rows": len(rows)}
