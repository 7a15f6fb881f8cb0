"""Print the column tables of docs/data-model.md from store/schema.py.

    python scripts/data_model_doc.py > /tmp/tables.md

The doc's generated part sits between the GENERATED markers; a test checks it is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store.schema import TABLES


def render() -> str:
    lines = []
    for spec in TABLES.values():
        lines.append(f"### `{spec.name}`")
        lines.append("")
        lines.append(spec.doc)
        lines.append("")
        lines.append(f"Key: {', '.join(f'`{k}`' for k in spec.key)} (newest `fetched_at` wins).")
        lines.append("")
        lines.append("| column | dtype | required | meaning |")
        lines.append("|---|---|---|---|")
        for column in spec.columns:
            required = "yes" if column.required else ""
            lines.append(f"| `{column.name}` | `{column.dtype}` | {required} | {column.doc} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
