"""``edgehar distill``: train the IMU-only edge student from a run's teacher (knowledge distillation)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("distill")
    def distill(
        run_dir: Path = typer.Argument(..., help="Run directory written by `edgehar train`."),
        teacher: Optional[str] = typer.Option(None, "--teacher", help="multimodal (default: skeleton + IMU) or imu."),
        profile: str = typer.Option("mcu-256k", "--profile", "-p", help="Profile (student size, distillation settings)."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Which trained seed's teacher (default: the first finished)."),
        overrides: List[str] = typer.Option([], "--set", help="Override a profile key: --set distill.alpha=0.5."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder (default: RUN_DIR/distill)."),
    ) -> None:
        """Train the IMU-only edge student from a run's teacher (knowledge distillation).

        Writes student.pt and student.json; `edgehar export --student DIR` converts them.
        """
        from edgehar.errors import EdgeharError
        from edgehar.export.distill import distill as run_distill
        from edgehar.export.profile import load_profile
        from edgehar.train.run_dir import RunDir

        extra = list(overrides) + ([f"distill.teacher={teacher}"] if teacher else [])
        cfg = load_profile(profile, extra)
        run = RunDir.open(run_dir)
        if not run.seeds:
            raise EdgeharError(f"{run.path}: no seed has finished training")
        chosen = run.seeds[0] if seed is None else seed
        if chosen not in run.seeds:
            raise EdgeharError(f"--seed {chosen}: not a finished seed of {run.path} (finished: {run.seeds})")
        log = lambda msg: typer.echo(msg, err=True)  # noqa: E731
        result = run_distill(run, run.load_data(), chosen, cfg.student, cfg.distill, log)
        target = out if out is not None else run.path / "distill"
        result.save(target)
        typer.echo(str(target))
