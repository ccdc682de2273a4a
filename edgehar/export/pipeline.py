"""``edgehar export``: a trained run in, device files plus a parity report out.

Order: open the run and its data (refusing when int8 calibration data is missing), get the model
(distil the student, load a distilled one, or take the IMU encoder + head), convert per precision
and format, put the model card into every file, then score every file through the interpreter a
device uses and write ``export_report.json`` / ``.md``.
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from edgehar import __version__
from edgehar.errors import EdgeharError
from edgehar.export.profile import MIN_CALIBRATION_WINDOWS, ExportProfile
from edgehar.modelcard import ModelCard, TensorSpec


@dataclass
class _Float:
    """The float model being exported and how it scores."""

    name: str
    module: Any
    logits: np.ndarray  # test-split logits (torch)


def calibration_windows(data: Any, wanted: int, seed: int) -> np.ndarray:
    """``wanted`` standardised training windows (at least 200), drawn without replacement."""
    train = data.splits["train"]
    if len(train) < MIN_CALIBRATION_WINDOWS:
        raise EdgeharError(
            f"int8 calibration needs at least {MIN_CALIBRATION_WINDOWS} real training windows; the run's dataset "
            f"'{data.prepared.name}' has {len(train)} in its train split (export float32/float16 instead, "
            "or train on more data)"
        )
    pick = np.random.default_rng(seed).choice(train, size=min(wanted, len(train)), replace=False)
    return data.standardizer.apply(data.prepared.imu[np.sort(pick)])


def base_card(run: Any, data: Any, profile: ExportProfile, model_name: str) -> ModelCard:
    """Everything the card says that does not depend on the file (tensor specs filled in per file)."""
    ds = run.dataset
    c, steps = data.prepared.imu.shape[1:]
    k = len(ds["label_names"])
    return ModelCard(
        label_names=tuple(ds["label_names"]),
        source_rate_hz=float(ds["imu_rate_hz"]),
        window_steps=int(steps),
        window_seconds=float(ds["window_seconds"]),
        default_hop_seconds=profile.hop_seconds,
        channels=tuple(ds["imu_channels"]),
        units=tuple(ds["imu_units"]),
        norm_mean=tuple(float(v) for v in data.standardizer.mean),
        norm_std=tuple(float(v) for v in data.standardizer.std),
        input=TensorSpec((1, int(c), int(steps)), "float32"),
        output=TensorSpec((1, k), "float32"),
        resample=str(run.config.data.preprocess.resample),
        model=model_name,
        run_id=run.path.name,
        dataset=str(ds["name"]),
        protocol=str(ds["protocol"]),
        edgehar_version=__version__,
    )


def _scores(labels: np.ndarray, logits: np.ndarray, names: list[str], reference: np.ndarray | None) -> dict[str, Any]:
    from edgehar.train.metrics import scores

    s = scores(labels, logits.argmax(1), names)
    agreement = None if reference is None else float((logits.argmax(1) == reference.argmax(1)).mean())
    return {"accuracy": s["accuracy"], "macro_f1": s["macro_f1"], "agreement": agreement}


def export_run(
    run_dir: str | Path,
    profile: ExportProfile,
    out: Path | None = None,
    seed: int | None = None,
    student_dir: Path | None = None,
    log: Callable[[str], None] = lambda msg: None,
) -> dict[str, Any]:
    """Export ``run_dir`` as ``profile`` says into ``out``; returns the report (also written there)."""
    import torch

    from edgehar.export.card_embedding import embed_card_onnx, embed_card_tflite, sha256
    from edgehar.export.distill import distill, load_student, predict_logits
    from edgehar.export.report import write_report
    from edgehar.export.tflite_convert import convert_tflite, op_summary, tensor_specs
    from edgehar.train.run_dir import RunDir

    run = RunDir.open(run_dir)
    seeds = run.seeds
    if not seeds:
        raise EdgeharError(f"{run.path}: no seed has finished training; nothing to export")
    seed = seeds[0] if seed is None else seed
    if seed not in seeds:
        raise EdgeharError(f"--seed {seed}: not a finished seed of {run.path} (finished: {seeds})")
    out = Path(out) if out is not None else run.path / "export" / profile.name
    try:
        data = run.load_data()
    except EdgeharError as exc:
        raise EdgeharError(
            f"cannot load the run's dataset, needed for int8 calibration and the parity report: {exc}"
        ) from None
    calibration = calibration_windows(data, profile.calibration_windows, seed) if "int8" in profile.precisions else None
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    names = list(data.prepared.label_names)
    test = data.splits["test"]
    if len(test) == 0:
        raise EdgeharError(f"{run.path}: the run's protocol has an empty test split; nothing to prove parity on")
    labels = data.prepared.labels[test].astype(np.int64)
    raw_test = data.prepared.imu[test].astype(np.float32)
    x_test = data.imu(test)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []

    if profile.model == "student":
        if student_dir is not None:
            result = load_student(Path(student_dir))
            c, steps = data.prepared.imu.shape[1:]
            made_for = (result.config["in_channels"], result.config["window_steps"], result.config["num_classes"])
            if made_for != (c, steps, len(names)):
                raise EdgeharError(
                    f"--student {student_dir}: made for (channels, steps, classes) = {made_for}, "
                    f"but this run has {(c, steps, len(names))}"
                )
            log(f"student: loaded from {student_dir} (teacher {result.teacher}, seed {result.seed})")
        else:
            result = distill(run, data, seed, profile.student, profile.distill, log)
            result.save(out / "student")
        teacher_test = result.teacher_scores.get("test", {})
        rows.append({"name": f"teacher ({result.teacher}, float)", "runs_on": "torch", **teacher_test,
                     "agreement": None})
        module = result.student.eval()
        source = {"teacher": result.teacher, "best_epoch": result.best_epoch, "config": result.config}
    else:
        module = run.imu_classifier(seed).eval()
        source = {"teacher": None, "encoder": type(module.encoder).__name__}
    float_model = _Float(profile.model, module, predict_logits(module, (x_test,)))
    n_params = sum(p.numel() for p in module.parameters())
    rows.append({"name": f"{profile.model} (float, torch)", "runs_on": "torch", "params": n_params,
                 **_scores(labels, float_model.logits, names, float_model.logits)})
    log(f"{profile.model}: {n_params} parameters, float test acc {rows[-1]['accuracy']:.4f}")

    card0 = base_card(run, data, profile, profile.model)
    example = x_test[:1]
    files: list[dict[str, Any]] = []
    for precision in profile.precisions:
        stem = out / f"{profile.model}_{precision}"
        tflite_bytes, tflite_card = None, None
        if "tflite" in profile.formats or "c" in profile.formats:
            raw = convert_tflite(module, example, precision, calibration)
            in_spec, out_spec = tensor_specs(raw)
            tflite_card = card0.with_updates(
                input=in_spec, output=out_spec, precision=precision, model_sha256=sha256(raw)
            )
            tflite_bytes = embed_card_tflite(raw, tflite_card)
            if "tflite" in profile.formats:
                path = stem.with_suffix(".tflite")
                path.write_bytes(tflite_bytes)
                files.append({"path": path, "format": "tflite", "precision": precision, "card": tflite_card,
                              "ops": op_summary(tflite_bytes)})
                log(f"wrote {path} ({len(tflite_bytes)} bytes)")
        if "onnx" in profile.formats:
            if precision == "float16":
                notes.append("ONNX float16 is not exported (onnxruntime's CPU kernels would upcast); use float32 or int8")
            else:
                from edgehar.export.onnx_convert import convert_onnx

                raw = convert_onnx(module, example, precision, calibration)
                card = card0.with_updates(precision=precision, model_sha256=sha256(raw))
                path = stem.with_suffix(".onnx")
                path.write_bytes(embed_card_onnx(raw, card))
                files.append({"path": path, "format": "onnx", "precision": precision, "card": card})
                log(f"wrote {path} ({path.stat().st_size} bytes)")
        if "c" in profile.formats:
            files.append({"path": stem.with_suffix(".c"), "format": "c", "precision": precision,
                          "card": tflite_card, "model_bytes": tflite_bytes, "ops": op_summary(tflite_bytes)})

    for entry in files:
        row = _file_row(entry, raw_test, labels, names, float_model, profile, notes, log)
        if row is not None:
            rows.append(row)
            if row.get("agreement") is not None and row["agreement"] < AGREEMENT_WARNING:
                notes.append(
                    f"{row['name']} agrees with the float {profile.model} on only {100 * row['agreement']:.1f}% of "
                    f"test windows: {precision_hint(row, profile.model)}"
                )

    report = {
        "run_id": run.path.name,
        "run_dir": str(run.path),
        "profile": profile.name,
        "profile_config": profile.model_dump(),
        "seed": seed,
        "model": profile.model,
        "source": source,
        "dataset": str(run.dataset["name"]),
        "protocol": str(run.dataset["protocol"]),
        "split": "test",
        "n_test": int(len(test)),
        "calibration_windows": 0 if calibration is None else int(len(calibration)),
        "machine": f"{platform.machine()} {platform.processor() or platform.system()}",
        "edgehar_version": __version__,
        "rows": rows,
        "files": [
            {"path": str(e["path"]), "format": e["format"], "precision": e["precision"],
             "input": asdict(e["card"].input), "output": asdict(e["card"].output),
             **({"ops": e["ops"]} if "ops" in e else {})}
            for e in files
            if e["path"].exists()
        ],
        "limits": _limits(rows, profile),
        "notes": notes,
    }
    json_path, md_path = write_report(report, out)
    log(f"wrote {json_path} and {md_path}")
    return report


AGREEMENT_WARNING = 0.95


def precision_hint(row: dict[str, Any], model: str) -> str:
    """What to do about a file that often disagrees with its float model."""
    if row.get("precision") != "int8":
        return "the conversion changed the model; compare the float files"
    if model == "encoder":
        return ("full-integer attention, softmax and LayerNorm lose too much; ship the distilled student, "
                "or the int8 ONNX / float32 file of the encoder")
    return "calibration does not represent the data well, or the model is too sensitive to int8"


def _file_row(entry, raw_test, labels, names, float_model: _Float, profile, notes, log) -> dict[str, Any] | None:
    from edgehar.export.c_source import write_c_source
    from edgehar.export.evaluate import invoke_latency_ms, open_model, predict_file, predict_tflm
    from edgehar.export.tflm import load_tflm

    path, fmt, precision, card = entry["path"], entry["format"], entry["precision"], entry["card"]
    row: dict[str, Any] = {"name": path.name, "format": fmt, "precision": precision}
    if fmt == "c":
        model_bytes = entry["model_bytes"]
        try:
            tflm = load_tflm(model_bytes)
        except EdgeharError as exc:
            if precision == "int8":
                raise
            notes.append(f"{path.name}: not written, {exc}")
            return None
        header, source = write_c_source(model_bytes, card, tflm.firmware_arena_bytes, tflm.arena_bytes, path.with_suffix(""))
        logits = predict_tflm(model_bytes, card, raw_test, tflm)
        x = card.prepare(raw_test[:1])
        row.update(runs_on="TFLM (reference kernels)", size_bytes=len(model_bytes), arena_bytes=tflm.arena_bytes,
                   firmware_arena_bytes=tflm.firmware_arena_bytes, files=[str(header), str(source)],
                   **invoke_latency_ms(tflm.run, x, profile.latency_runs))
        log(f"wrote {source} and {header} (TFLM arena {tflm.arena_bytes} B measured)")
    else:
        logits = predict_file(path, raw_test)
        card_, interp = open_model(path)
        x = card_.normalize(raw_test[:1])
        row.update(runs_on=interp.backend, size_bytes=path.stat().st_size,
                   **invoke_latency_ms(interp.run, x, profile.latency_runs))
        if fmt == "tflite":
            try:
                row["arena_bytes"] = load_tflm(path.read_bytes()).arena_bytes
            except EdgeharError as exc:
                notes.append(f"{path.name}: no TFLM arena ({str(exc).split(';')[0]})")
    row.update(_scores(labels, logits, names, float_model.logits))
    return row


def _limits(rows: list[dict[str, Any]], profile: ExportProfile) -> list[dict[str, Any]]:
    checks = []
    for row in rows:
        if row.get("precision") != "int8" or row.get("format") not in ("tflite", "c"):
            continue
        if profile.limits.max_file_bytes and row.get("format") == "tflite" and row.get("size_bytes"):
            checks.append({"what": f"{row['name']} file size (B)", "value": row["size_bytes"],
                           "limit": profile.limits.max_file_bytes,
                           "ok": row["size_bytes"] <= profile.limits.max_file_bytes})
        if profile.limits.max_arena_bytes and row.get("format") == "c" and row.get("firmware_arena_bytes"):
            checks.append({"what": f"{row['name']} firmware arena (B)", "value": row["firmware_arena_bytes"],
                           "limit": profile.limits.max_arena_bytes,
                           "ok": row["firmware_arena_bytes"] <= profile.limits.max_arena_bytes})
    return checks
