"""``edgehar train``: pretraining, fine-tuning and evaluation from a recipe into one run directory."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

# edgehar/recipes is the top-level train/ folder (a link in the source tree, copied into wheels).
DEFAULT_RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "default.yaml"


def _default_out(name: str) -> Path:
    """runs/train/<name>, or <name>2, <name>3, ... when taken (a new run never overwrites an old one)."""
    base = Path("runs") / "train"
    safe = name.replace("/", "_")
    out, n = base / safe, 2
    while out.exists() and any(out.iterdir()):
        out, n = base / f"{safe}{n}", n + 1
    return out


def register(app: typer.Typer) -> None:
    @app.command("train")
    def train(
        recipe: Optional[Path] = typer.Option(
            None, "--recipe", "-r", help="Recipe YAML (default: the small synthetic recipe train/default.yaml)."
        ),
        data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Dataset folder (overrides data.dir)."),
        seeds: Optional[int] = typer.Option(None, "--seeds", min=1, help="Use seeds 0..N-1 (overrides seeds)."),
        overrides: List[str] = typer.Option([], "--set", help="Override a recipe key: --set pretrain.epochs=10."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory (default: runs/train/<name>)."),
        resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in --out."),
        print_config: bool = typer.Option(False, "--print-config", help="Print the resolved recipe and exit."),
    ) -> None:
        """Pretrain, fine-tune and evaluate; writes config, checkpoints, metrics.json and plots."""
        import yaml

        from edgehar.errors import EdgeharError
        from edgehar.train.recipe import load_recipe

        path = recipe if recipe is not None else DEFAULT_RECIPE
        extra = list(overrides)
        if data_dir is not None:
            extra.append(f"data.dir={data_dir.expanduser().resolve()}")
        if seeds is not None:
            extra.append(f"seeds=[{', '.join(str(s) for s in range(seeds))}]")
        cfg = load_recipe(path, extra)
        if print_config:
            typer.echo(yaml.safe_dump(cfg.to_dict(), sort_keys=False), nl=False)
            return
        if resume and out is None:
            raise EdgeharError("--resume needs --out naming the run to continue")
        target = out if out is not None else _default_out(cfg.name)

        from edgehar.train.pipeline import is_global_zero, train_run

        run = train_run(cfg, target, resume=resume, log=lambda msg: typer.echo(msg, err=True))
        if is_global_zero():  # under DDP every process runs this command; one answer is enough
            typer.echo(str(run))
