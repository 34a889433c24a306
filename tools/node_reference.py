"""Writes docs/NODES.md, the node reference, from the nodes' own schemas (`make docs`).

    .venv/bin/python -m tools.node_reference [--check]

Boots ComfyUI (CPU) on a temporary base, reads every node of the pack's NODES list through its V3
`define_schema()`, and writes each node's name, id, category and description, a table of its
inputs (type, default, range or choices, tooltip) and one of its outputs. The tooltips are the
text users see in the editor, so the page never restates them by hand. --check exits 1 when the
committed page differs from what the schemas say (tests/in_comfyui/test_node_reference.py checks the same).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from scripts import host

PAGE = host.REPO / "docs" / "NODES.md"
HEADER = """# Node reference

Generated from the nodes' own schemas by `make docs` (`python -m tools.node_reference`) on ComfyUI
0.3.75: every node of the pack, its description, and each input and output with the tooltip the
editor shows (choices read from the host, such as the Walk Sampler's samplers, are 0.3.75's; newer
hosts list more).
Edit the schemas in `nodes/`, never this page; `tests/in_comfyui/test_node_reference.py` fails when
it is stale. The formulas behind the walks are in [SPEC.md](SPEC.md).
"""


def type_name(port: Any) -> str:
    """A schema input's or output's ComfyUI type (INT, COMBO, LATENT, ...)."""
    return str(port.get_io_type())


def _cell(text: Any) -> str:
    """A table cell: pipes escaped, on one line."""
    return " ".join(str(text).split()).replace("|", "\\|")


def value_range(port: Any) -> str:
    """min .. max (step) of a number input, the choices of a combo, '' otherwise."""
    options = getattr(port, "options", None)
    if options:
        return ", ".join(f"`{o}`" for o in options)
    low, high, step = (getattr(port, name, None) for name in ("min", "max", "step"))
    if low is None and high is None:
        return ""
    text = f"{'' if low is None else low} .. {'' if high is None else high}"
    return text + (f" (step {step})" if step is not None else "")


def default_of(port: Any) -> str:
    value = getattr(port, "default", None)
    if value is None:
        return "(connect)" if not getattr(port, "optional", False) else "(optional)"
    return f"`{value!r}`" if isinstance(value, str) else f"`{value}`"


def node_section(node: type) -> str:
    """One node's part of the page."""
    schema = node.define_schema()
    lines = [f"## {schema.display_name} — `{schema.node_id}`", "", f"Category `{schema.category}`"
             + (", output node" if schema.is_output_node else "") + ".", "", _cell(schema.description), "",
             "| input | type | default | range or choices | what it does |", "| --- | --- | --- | --- | --- |"]
    for port in schema.inputs:
        lines.append(f"| `{port.id}` | {type_name(port)} | {default_of(port)} | {_cell(value_range(port))} | "
                     f"{_cell(port.tooltip or '')} |")
    if schema.outputs:
        lines += ["", "| output | type | what it is |", "| --- | --- | --- |"]
        for port in schema.outputs:
            lines.append(f"| `{port.display_name}` | {type_name(port)} | {_cell(port.tooltip or '')} |")
    return "\n".join(lines) + "\n"


def page(nodes: list[type]) -> str:
    """The whole reference: the header, a table of contents, then every node in the pack's order."""
    schemas = [n.define_schema() for n in nodes]
    contents = [f"- [{s.display_name}](#{anchor(s.display_name, s.node_id)})" for s in schemas]
    return "\n".join([HEADER, *contents, ""]) + "\n" + "\n".join(node_section(n) for n in nodes)


def anchor(display_name: str, node_id: str) -> str:
    """GitHub's anchor of a '## NAME — `ID`' heading."""
    text = f"{display_name} — {node_id}".lower()
    return "".join(c for c in text if c.isalnum() or c in " -_").replace(" ", "-")


def pack_nodes() -> list[type]:
    """The pack's NODES list (nodes/__init__.py) as ComfyUI loaded it."""
    package = host.node_classes()["MeanderSeedWalk"].__module__.rsplit(".", 1)[0]
    return list(sys.modules[package].NODES)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when docs/NODES.md is stale; write nothing")
    args = parser.parse_args(argv)
    host.boot(Path(tempfile.mkdtemp(prefix="meander-docs-")))
    text = page(pack_nodes())
    if args.check:
        if not PAGE.is_file() or PAGE.read_text() != text:
            print(f"{PAGE.relative_to(host.REPO)} is stale: run make docs", file=sys.stderr)
            sys.exit(1)
        return
    PAGE.write_text(text)
    print(f"wrote {PAGE.relative_to(host.REPO)}")


if __name__ == "__main__":
    main()
