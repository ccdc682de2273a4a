"""``edgehar eval``: accuracy and macro F1 of an exported model file, run as a device runs it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def evaluate(
        model_file: Path = typer.Argument(..., help="Exported .tflite or .onnx (with its edgehar model card)."),
        data_dir: Path = typer.Option(..., "--data-dir", help="Dataset folder to score on."),
        split: str = typer.Option("test", "--split", help="train, val or test."),
        protocol: Optional[str] = typer.Option(None, "--protocol", help="Split protocol (default: the card's)."),
        backend: str = typer.Option("auto", "--backend", help="auto, litert, tflite or onnx."),
        json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the full scores as JSON here."),
    ) -> None:
        """Accuracy and macro F1 of an exported .tflite/.onnx, run as a device runs it.

        Preprocesses with the card only (resample, standardise, quantize), one window per invoke.
        """
        import json

        from edgehar.export.evaluate import evaluate_file

        result = evaluate_file(model_file, data_dir, split, protocol, backend)
        typer.echo(
            f"{model_file.name}: {result['split']} ({result['protocol'] or 'default'}, n={result['n']}) "
            f"accuracy {100 * result['accuracy']:.2f}%, macro F1 {100 * result['macro_f1']:.2f}%"
        )
        if json_out is not None:
            json_out.write_text(json.dumps(result, indent=1))
