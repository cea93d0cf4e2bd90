"""Regenerate the README's pictures from the demo's world: the analyst notebooks' first plots.

make demo && .venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import base64
from pathlib import Path

import jupytext
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
PICTURES = {"experiment_readout": 0, "delivery_health": 1, "cohort_retention": 0}


def main() -> None:
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for name, index in PICTURES.items():
        path = ROOT / "notebooks" / f"{name}.py"
        notebook = jupytext.read(path)
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
        images = [
            output["data"]["image/png"]
            for cell in notebook.cells
            if cell.cell_type == "code"
            for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})
        ]
        (out / f"{name}.png").write_bytes(base64.b64decode(images[index]))
        print(f"docs/images/{name}.png")


if __name__ == "__main__":
    main()
