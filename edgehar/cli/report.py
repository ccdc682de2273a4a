"""``edgehar report``: trained runs side by side, as a markdown table and the paper's figures."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        runs: List[Path] = typer.Argument(..., help="Run directories written by `edgehar train`."),
        out: Path = typer.Option(Path("report"), "--out", "-o", help="Folder for report.md and the figures."),
        split: str = typer.Option("test", "--split", help="Split to report: train, val or test."),
        metric: str = typer.Option("accuracy", "--metric", help="Metric of the figures: accuracy or macro_f1."),
    ) -> None:
        """Markdown table of every run's heads (mean ± 95% CI over seeds), beta curve, label-fraction curve."""
        from edgehar.errors import EdgeharError
        from edgehar.train.report import write_report

        if split not in ("train", "val", "test"):
            raise EdgeharError(f"--split {split}: choose train, val or test")
        if metric not in ("accuracy", "macro_f1"):
            raise EdgeharError(f"--metric {metric}: choose accuracy or macro_f1")
        result = write_report(runs, out, split=split, metric=metric)
        typer.echo(result["table"], nl=False)
        for fig in result["figures"]:
            typer.echo(f"figure: {out / fig}")
        typer.echo(f"report: {out / 'report.md'}")
