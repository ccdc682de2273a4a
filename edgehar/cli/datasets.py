"""``edgehar datasets``: inspect datasets (and, as commands are added to ``datasets_app``, create them)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

datasets_app = typer.Typer(
    name="datasets",
    help="Inspect the datasets edgehar can load (UTD-MHAD, MMAct, synthetic, recordings).",
    no_args_is_help=True,
)


@datasets_app.command("info")
def info(
    data_dir: Path = typer.Argument(..., help="Dataset root folder."),
    protocol: Optional[str] = typer.Option(None, "--protocol", "-p", help="Split protocol (default: the dataset's)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Parse the source files even if a cache entry exists."),
) -> None:
    """Print pairs, classes, subjects and split sizes of a dataset."""
    from rich.console import Console
    from rich.table import Table

    from edgehar.data import DEFAULT_PROTOCOL, detect_layout, load_dataset, protocol_names, split_indices

    layout = detect_layout(data_dir)
    ds = load_dataset(data_dir, use_cache=not no_cache)
    protocol = protocol or DEFAULT_PROTOCOL.get(ds.layout, "random")
    split = split_indices(ds, protocol)
    console = Console()
    subjects = sorted({int(s) for s in ds.subjects if s >= 0})
    modalities = "IMU + skeleton" if ds.skeleton is not None else "IMU only"
    unit = "pairs" if ds.skeleton is not None else "samples"

    summary = Table(title=f"{ds.name} ({layout})", show_header=False)
    summary.add_column("key", style="bold")
    summary.add_column("value")
    summary.add_row(unit, str(len(ds)))
    summary.add_row("modalities", modalities)
    summary.add_row("classes", str(ds.num_classes))
    summary.add_row("subjects", f"{len(subjects)} ({', '.join(map(str, subjects))})" if subjects else "unknown")
    summary.add_row("imu", f"{len(ds.imu_channels)} channels @ {ds.imu_rate_hz:g} Hz: "
                    + ", ".join(f"{c} ({u})" for c, u in zip(ds.imu_channels, ds.imu_units)))
    if ds.skeleton is not None:
        summary.add_row("skeleton", f"{len(ds.joint_names)} joints, {ds.skeleton.shape[1]}-D")
    summary.add_row("clip duration", f"{ds.durations_s.min():.2f}-{ds.durations_s.max():.2f} s "
                    f"(mean {ds.durations_s.mean():.2f} s)")
    summary.add_row("skipped", str(len(ds.skipped)))
    summary.add_row("protocols", ", ".join(protocol_names(ds.layout)))
    console.print(summary)

    table = Table(title=f"protocol {protocol}")
    for col in ("split", unit, "classes", "subjects"):
        table.add_column(col)
    for part in ("train", "val", "test"):
        idx = split[part]
        table.add_row(part, str(len(idx)), str(len(set(ds.labels[idx].tolist()))),
                      ",".join(map(str, sorted({int(s) for s in ds.subjects[idx]}))))
    console.print(table)
    for line in ds.skipped[:10]:
        console.print(f"skipped {line}", style="yellow", markup=False)
    if len(ds.skipped) > 10:
        console.print(f"... and {len(ds.skipped) - 10} more skipped", style="yellow")


@datasets_app.command("synth")
def synth(
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the dataset into (UTD-MHAD layout)."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same numbers."),
    subjects: int = typer.Option(8, "--subjects", min=1, help="Number of simulated subjects."),
    trials: Optional[int] = typer.Option(None, "--trials", min=1, help="Repetitions of each activity per subject [default: 5]."),
    force: bool = typer.Option(False, "--force", help="Overwrite the dataset files in a non-empty folder."),
) -> None:
    """Generate the synthetic paired IMU + skeleton dataset (physically simulated)."""
    import time

    from edgehar.data.synth import ACTIVITIES, DEFAULT_TRIALS, write_synthetic_dataset

    trials = DEFAULT_TRIALS if trials is None else trials
    start = time.perf_counter()
    root = write_synthetic_dataset(out, seed=seed, subjects=subjects, trials=trials, overwrite=force)
    pairs = len(ACTIVITIES) * subjects * trials
    typer.echo(f"wrote {pairs} pairs ({len(ACTIVITIES)} activities x {subjects} subjects x {trials} trials) "
               f"to {root} in {time.perf_counter() - start:.1f} s")


def register(app: typer.Typer) -> None:
    app.add_typer(datasets_app, name="datasets")
