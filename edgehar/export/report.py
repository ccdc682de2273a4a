"""The parity report that ends every export: one row per model, JSON for tools and Markdown for people."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

COLUMNS = (
    ("name", "model"),
    ("runs_on", "runs on"),
    ("accuracy", "test acc"),
    ("macro_f1", "macro F1"),
    ("agreement", "agree w/ float"),
    ("size_bytes", "size (B)"),
    ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"),
    ("arena_bytes", "arena (B)"),
)


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in ("accuracy", "macro_f1", "agreement"):
        return f"{100 * value:.2f}"
    if key in ("p50_ms", "p99_ms"):
        return f"{value:.3f}"
    return str(value)


def render_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Export report: {report['run_id']} ({report['profile']})",
        "",
        f"Dataset {report['dataset']}, protocol {report['protocol']}, split {report['split']} "
        f"({report['n_test']} windows); calibration: {report['calibration_windows']} training windows. "
        "Accuracy, macro F1 and agreement in %; latency is one single-window invoke on this machine "
        "(one thread); arena is the TensorFlow Lite Micro tensor arena measured with TFLM.",
        "",
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in report["rows"]:
        lines.append("| " + " | ".join(_cell(key, row.get(key)) for key, _ in COLUMNS) + " |")
    if report.get("limits"):
        lines += ["", "Limits of the profile:"]
        for check in report["limits"]:
            mark = "ok" if check["ok"] else "EXCEEDED"
            lines.append(f"- {check['what']}: {check['value']} <= {check['limit']} ... {mark}")
    if report.get("notes"):
        lines += ["", "Notes:"] + [f"- {note}" for note in report["notes"]]
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    json_path, md_path = out / "export_report.json", out / "export_report.md"
    json_path.write_text(json.dumps(report, indent=1))
    md_path.write_text(render_markdown(report))
    return json_path, md_path
