"""Command line: python -m builder validate | export | templates | layers."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .design import DesignFormatError, load_design, save_design
from .registry import CATEGORIES, REGISTRY, fmt_shape
from .templates import list_templates
from .validate import ERROR, validate


def _table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, r in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_validate(args) -> int:
    try:
        design = load_design(args.design)
    except DesignFormatError as e:
        if args.json:
            print(json.dumps({"valid": False, "error": str(e), "path": e.path}))
        else:
            print(f"error: {e}", file=sys.stderr)
        return 2
    report = validate(design)
    if args.json:
        out = report.to_json()
        for info in out["nodes"].values():
            info.pop("type"), info.pop("dtype")
        print(json.dumps(out))
        return 0 if report.valid else 1
    rows = [["node", "type", "output shape", "params", "MACs"]]
    for nid, info in report.nodes.items():
        rows.append([nid, info.type, fmt_shape(info.shape), f"{info.params:,}", f"{info.macs:,}"])
    rows.append(["total", "", "", f"{report.params:,}", f"{report.macs:,}"])
    print(f"{design.name}: {len(report.nodes)} nodes")
    print(_table(rows, {3, 4}))
    for issue in report.issues:
        print(f"{issue.severity}: {issue.message}", file=sys.stderr if issue.severity == ERROR else sys.stdout)
    errors = len(report.errors)
    print(f"{'invalid' if errors else 'valid'}: {errors} error(s), {len(report.issues) - errors} warning(s)")
    return 1 if errors else 0


def cmd_export(args) -> int:
    if not (args.python or args.onnx):
        print("error: say what to write: --python model.py and/or --onnx model.onnx", file=sys.stderr)
        return 2
    try:
        design = load_design(args.design)
    except DesignFormatError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    from .export import ExportError, export_onnx, export_python
    from .validate import DesignError

    results = {}
    try:
        if args.python:
            r = export_python(design, args.python, weights=args.weights)
            results["python"] = {"path": str(r.path), "weights": str(r.weights_path) if r.weights_path else None,
                                 "class": r.class_name, "params": r.params}  # fmt: skip
            if not args.json:
                extra = f" and weights {r.weights_path}" if r.weights_path else ""
                print(f"wrote {r.path}{extra}: class {r.class_name}, {r.params:,} parameters; run it: python {r.path}")
        if args.onnx:
            r = export_onnx(design, args.onnx, weights=args.weights)
            results["onnx"] = r.to_json()
            if not args.json:
                print(f"{r.summary()} [{r.exporter} exporter, {r.seconds:.2f} s]")
                if r.dropped_inputs:
                    print(f"note: unused in eval mode, so not graph inputs: {', '.join(r.dropped_inputs)}")
    except DesignError as e:
        for issue in e.issues:
            print(f"{issue.severity}: {issue.message}", file=sys.stderr)
        return 1
    except ExportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(results))
    return 0


def cmd_templates(args) -> int:
    items = list_templates()
    if args.write:
        out = Path(args.write)
        out.mkdir(parents=True, exist_ok=True)
        for t in items:
            save_design(t.load(), out / f"{t.name}.json")
        print(f"wrote {len(items)} templates to {out}")
        return 0
    if args.json:
        print(json.dumps([{"name": t.name, "title": t.title, "description": t.description} for t in items]))
        return 0
    rows = [["name", "title", "params"]]
    for t in items:
        rows.append([t.name, t.title, f"{validate(t.load()).params:,}"])
    print(_table(rows, {2}))
    return 0


def cmd_datasets(args) -> int:
    from .data import list_datasets, load_dataset

    specs = list_datasets()
    rows, out = [["name", "task", "input", "dtype", "classes / targets", "train", "val", "test"]], []
    for s in specs:
        sizes = load_dataset(s.name).sizes
        out.append({**s.to_json(), "sizes": sizes})
        labels = s.classes or s.targets
        shown = ", ".join(labels) if len(labels) <= 3 else f"{len(labels)} classes"
        rows.append([s.name, s.task, fmt_shape(s.input_shape), s.dtype, shown, *map(str, sizes.values())])
    print(json.dumps(out) if args.json else _table(rows, {5, 6, 7}))
    return 0


def cmd_layers(args) -> int:
    specs = sorted(REGISTRY.values(), key=lambda s: (CATEGORIES.index(s.category), s.type))
    if args.json:
        print(json.dumps([s.describe() for s in specs]))
        return 0
    for s in specs:
        params = ", ".join(f"{k}={p.to_json(p.default)!r}" for k, p in s.params.items())
        print(f"{s.category:14s} {s.type:24s} {params}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder", description="LayerLoom's design tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check a design file: shapes, params, MACs and every issue")
    p.add_argument("design", help="design JSON file")
    p.add_argument("--json", action="store_true", help="print a machine-readable report")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("export", help="write readable PyTorch source and/or a verified ONNX file")
    p.add_argument("design", help="design JSON file")
    p.add_argument("--python", metavar="FILE.py", help="the model's source (weights go to FILE.pt beside it)")
    p.add_argument("--onnx", metavar="FILE.onnx", help="ONNX file, verified with onnx.checker and onnxruntime")
    p.add_argument("--weights", metavar="CHECKPOINT", help="a training checkpoint or a state_dict file (.pt)")
    p.add_argument("--json", action="store_true", help="print what was written and verified as JSON")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("templates", help="list the template designs, or write them to a folder")
    p.add_argument("--write", metavar="DIR", help="write every template as DIR/<name>.json")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_templates)
    p = sub.add_parser("datasets", help="list the bundled datasets: task, input shape, classes, split sizes")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_datasets)
    p = sub.add_parser("layers", help="list every layer type with its parameters")
    p.add_argument("--json", action="store_true", help="full specs: params with ranges, choices, help")
    p.set_defaults(func=cmd_layers)
    args = parser.parse_args(argv)
    return args.func(args)
