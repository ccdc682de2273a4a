"""``edgehar export``: a trained run -> int8/float device files (.tflite, .onnx, C) and a parity report."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def _csv(value: Optional[str], allowed: tuple[str, ...], option: str) -> Optional[list[str]]:
    from edgehar.errors import EdgeharError

    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise EdgeharError(f"{option} takes a comma-separated list of {', '.join(allowed)}; got {value!r}")
    return items


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export(
        run_dir: Path = typer.Argument(..., help="Run directory written by `edgehar train`."),
        int8: bool = typer.Option(False, "--int8", help="Full-integer int8 (int8 weights, activations, input and output)."),
        float32: bool = typer.Option(False, "--float32", help="Also/instead export float32."),
        float16: bool = typer.Option(False, "--float16", help="Also/instead export float16 weights (.tflite)."),
        formats: Optional[str] = typer.Option(None, "--format", help="Comma-separated: tflite,onnx,c (default: the profile's)."),
        model: Optional[str] = typer.Option(None, "--model", help="student (distilled, default) or encoder (the run's IMU encoder + head)."),
        profile: str = typer.Option("mcu-256k", "--profile", "-p", help="Profile name in export/ or a YAML path."),
        teacher: Optional[str] = typer.Option(None, "--teacher", help="Distillation teacher: multimodal (default) or imu."),
        student: Optional[Path] = typer.Option(None, "--student", help="Use a student saved by `edgehar distill` instead of distilling."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Which trained seed to export (default: the first finished)."),
        overrides: List[str] = typer.Option([], "--set", help="Override a profile key: --set distill.epochs=100."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder (default: RUN_DIR/export/<profile>)."),
    ) -> None:
        """Turn a run into int8/float .tflite, .onnx and C files with model cards and a parity report.

        Distils the student (or takes the encoder), quantizes, converts, embeds the model card and
        scores every file through the interpreter a device uses.
        """
        from edgehar.errors import EdgeharError
        from edgehar.export.profile import FORMATS, load_profile

        extra = list(overrides)
        precisions = [p for p, on in (("int8", int8), ("float32", float32), ("float16", float16)) if on]
        if precisions:
            extra.append(f"precisions=[{', '.join(precisions)}]")
        chosen = _csv(formats, FORMATS, "--format")
        if chosen:
            extra.append(f"formats=[{', '.join(chosen)}]")
        if model is not None:
            if model not in ("student", "encoder"):
                raise EdgeharError(f"--model must be student or encoder, got {model!r}")
            extra.append(f"model={model}")
        if teacher is not None:
            extra.append(f"distill.teacher={teacher}")
        cfg = load_profile(profile, extra)
        if student is not None and cfg.model != "student":
            raise EdgeharError("--student only applies to --model student")

        from edgehar.export.pipeline import export_run
        from edgehar.export.report import render_markdown

        report = export_run(run_dir, cfg, out=out, seed=seed, student_dir=student, log=lambda msg: typer.echo(msg, err=True))
        typer.echo(render_markdown(report), nl=False)
