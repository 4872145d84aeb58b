"""Command line: python -m builder validate | summary | export | train | datasets | tensorboard | templates | layers |
lesson | import | pretrained."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from .design import DesignFormatError, DiskFull, load_design, save_design
from .paths import workspace_root
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


def _design(path: str):
    """The design file, or None after saying on stderr what is wrong with it (the commands then exit 2)."""
    try:
        return load_design(path)
    except DesignFormatError as e:
        print(f"error: {e}", file=sys.stderr)
        return None


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


def cmd_summary(args) -> int:
    """A torchinfo-style table: layer, input and output shapes, params, MACs, activation memory; totals."""
    from .budget import gb
    from .summary import summarize

    design = _design(args.design)
    if design is None:
        return 2
    nets = design.networks.items() if design.multi else [(None, design)]
    status = 0
    for name, net in nets:
        report = validate(net)
        if not report.valid:
            for issue in report.errors:
                print(f"error: {issue.message}", file=sys.stderr)
            status = 1
            continue
        s = summarize(report)
        if args.json:
            print(json.dumps({"network": name, **s.to_json(), "training_bytes": s.training_bytes(args.batch_size)}))
            continue
        rows = [["layer", "type", "input shape", "output shape", "params", "MACs", "activations"]]
        for r in s.rows:
            rows.append([r.node, r.type, ", ".join(r.inputs) or "-", r.output, f"{r.params:,}", f"{r.macs:,}",
                         gb(r.activation_bytes) if r.type != "Output" else "-"])  # fmt: skip
        print(f"{design.name}{f' / {name}' if name else ''}: {len(s.rows)} layers")
        print(_table(rows, {4, 5, 6}))
        print(f"total params: {s.params:,} (trainable {s.trainable:,}, non-trainable {s.params - s.trainable:,})")
        print(f"MACs per sample: {s.macs:,}")
        print(
            f"parameter memory: {gb(s.param_bytes)} · activations per sample: {gb(s.activation_bytes)} · "
            f"training at batch {args.batch_size} (Adam): about {gb(s.training_bytes(args.batch_size))}"
        )
    return status


def cmd_export(args) -> int:
    if not (args.python or args.onnx or args.train):
        print("error: say what to write: --python model.py, --onnx model.onnx and/or --train train.py",
              file=sys.stderr)  # fmt: skip
        return 2
    design = _design(args.design)
    if design is None:
        return 2
    from .export import ExportError, export_onnx, export_python
    from .validate import DesignError

    if args.network:
        if args.network not in design.networks:
            known = ", ".join(design.networks) or "none: it holds one network"
            print(f"error: {args.design} has no network {args.network!r} (networks: {known})", file=sys.stderr)
            return 2
        design = design.networks[args.network]

    results = {}
    try:
        if args.python:
            r = export_python(design, args.python, weights=args.weights)
            results["python"] = {"path": str(r.path), "weights": str(r.weights_path) if r.weights_path else None,
                                 "class": r.class_name, "params": r.params}  # fmt: skip
            if not args.json:
                extra = f" and weights {r.weights_path}" if r.weights_path else ""
                print(f"wrote {r.path}{extra}: class {r.class_name}, {r.params:,} parameters; run it: python {r.path}")
        if args.train:
            from .export.train_script import export_train_script

            script = export_train_script(design, args.train)
            path, data = script.path, script.data_path
            results["train"] = {"path": str(path), "data": str(data) if data else None,
                                "data_problem": script.data_problem or None}  # fmt: skip
            if not args.json:
                beside = f" and its dataset, {data}" if data else f" ({script.data_problem})"
                print(f"wrote {path}{beside}: python {path}, or torchrun --nproc_per_node=N {path}")
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


def cmd_train(args) -> int:
    design = _design(args.design)
    if design is None:
        return 2
    beside = Path(args.design).with_suffix(".pt")
    if beside.is_file():  # an imported or pretrained design (`import` / `pretrained` write DESIGN.pt beside it)
        design.weights = beside
        if not args.json:
            print(f"starting from the weights in {beside.name} (every layer they fit)", file=sys.stderr)
    from .jobs import default_executor, executor_for
    from .train import TrainError
    from .train.engine import RunResult
    from .train.events import tail

    overrides = {k: v for k, v in (("dataset", args.dataset), ("epochs", args.epochs), ("device", args.device),
                                   ("lr", args.lr), ("batch_size", args.batch_size)) if v is not None}  # fmt: skip
    try:
        executor = executor_for(args.executor) if args.executor else default_executor()
        if hasattr(executor, "keep_spare"):
            executor.keep_spare = False  # one run: no spare worker to prime
        job = executor.submit(design, overrides, workspace=args.out or workspace_root())
    except TrainError as e:
        for issue in e.issues or []:
            print(f"error: {issue.message}", file=sys.stderr)
        if not e.issues:
            print(f"error: {e}", file=sys.stderr)
        return 1
    except (ValueError, ImportError, RuntimeError) as e:  # an unavailable device or dataset, a bad --executor
        print(f"error: {e}", file=sys.stderr)
        return 1
    tty = sys.stderr.isatty() and not args.json
    log, seen = tail(job.run_dir / "events.jsonl"), 0
    if not args.json:
        print(f"run {job.run_id}: {job.where or executor.name}", file=sys.stderr)
    try:
        while True:
            done = job.join(0.2)
            events = log.read()
            for event in events[seen:]:
                _print_event(event, tty, args.json)
            seen = len(events)
            if done:
                break
    except KeyboardInterrupt:  # Ctrl-C stops the run (it keeps its last checkpoint)
        job.stop()
        job.join()
    events = log.read(final=True)
    for event in events[seen:]:
        _print_event(event, tty, args.json)
    result = RunResult.from_events(job.run_id, job.run_dir, events)
    if args.json:
        print(json.dumps(result.to_json()))
    elif result.status == "finished":
        test = {k: round(v, 4) for k, v in result.metrics.get("test", {}).items() if isinstance(v, float)}
        print(f"test: {test}\ncheckpoint: {result.checkpoint}\nlogdir: {result.run_dir}")
    if result.status != "finished":
        print(f"error: {result.message}", file=sys.stderr)
        return 1
    return 0


def _print_event(event, tty: bool, quiet: bool) -> None:
    d = event.data
    if quiet:
        return
    if event.kind == "started":
        print(f"training {d['task']} on {d['dataset']} ({d['sizes']['train']} samples) on {d['device']}: "
              f"{d['params']:,} parameters, {d['epochs']} epochs, loss {d['loss']}", file=sys.stderr)  # fmt: skip
    elif event.kind == "step" and tty:
        bar = "#" * int(d["progress"] * 30)
        print(f"\r[{bar:<30s}] {d['progress']:4.0%} epoch {d['epoch']} loss {d['loss']:.4f} "
              f"{d['samples_per_s']:,.0f} samples/s ETA {d['eta']:.0f}s ", end="", file=sys.stderr)  # fmt: skip
    elif event.kind == "epoch":
        val = ", ".join(f"{k} {v:.4f}" for k, v in d["val"].items() if isinstance(v, float))
        print(f"{chr(13) if tty else ''}epoch {d['epoch']}: train loss {d['train']['loss']:.4f}; val {val}"
              f"{' (best)' if d['best'] else ''}; ETA {d['eta']:.0f}s" + " " * 10, file=sys.stderr)  # fmt: skip


def cmd_tensorboard(args) -> int:
    import subprocess

    logdir = Path(args.dir or workspace_root() / "runs")
    if not logdir.exists():
        print(f"error: {logdir} does not exist yet: train a model first", file=sys.stderr)
        return 2
    from .tensorboard import command

    cmd = command(logdir, args.host, args.port)
    print(f"TensorBoard on http://{args.host}:{args.port} for {logdir} (Ctrl+C stops it)")
    try:
        return subprocess.call(cmd)
    except KeyboardInterrupt:
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
    from .data import DatasetError, list_datasets, load_dataset

    if args.download:
        from .data.files import download

        try:
            print(f"{args.download}: files verified in {download(args.download)}")
        except (DatasetError, OSError) as e:
            print(f"error: cannot download {args.download}: {e}", file=sys.stderr)
            return 1
        return 0
    specs = list_datasets()
    rows, out = [["name", "task", "input", "dtype", "classes / targets", "train", "val", "test"]], []
    for s in specs:
        try:
            sizes = load_dataset(s.name).sizes
        except DatasetError:  # a standard dataset whose files are not here
            sizes = None
        out.append({**s.to_json(), "sizes": sizes, "available": sizes is not None})
        labels = s.classes or s.targets
        shown = ", ".join(labels) if len(labels) <= 3 else f"{len(labels)} classes"
        counts = map(str, sizes.values()) if sizes else ["(files not found)", "", ""]
        rows.append([s.name, s.task, fmt_shape(s.input_shape), s.dtype, shown, *counts])
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


def cmd_lesson(args) -> int:
    """list | show NAME | check NAME [--design FILE]: the lessons, one in full, or its check (the reference
    solution's, or a design file's)."""
    from .lessons import LessonError, check, get_lesson, list_lessons

    if args.action == "list":
        lessons = list_lessons()
        if args.json:
            print(json.dumps([x.to_json() for x in lessons]))
            return 0
        rows = [["#", "name", "title", "designs"]] + [[str(x.number), x.name, x.title, ", ".join(x.designs)]
                                                     for x in lessons]  # fmt: skip
        print(_table(rows, {0}))
        return 0
    if not args.name:
        print(f"error: lesson {args.action} needs a lesson name (see `lesson list`)", file=sys.stderr)
        return 2
    try:
        x = get_lesson(args.name)
    except LessonError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.action == "show":
        if args.json:
            print(json.dumps({**x.to_json(), "text": x.text("text"), "hint": x.text("hint")}))
            return 0
        print(f"Lesson {x.number}: {x.title}\n\n{x.text('text')}\nExercise: {x.text('exercise')}\n")
        print(f"Designs: {', '.join(x.designs)} (solution: {x.solution}). Look at: {', '.join(x.views)}.")
        settings = ", ".join(f"{k}={v}" for k, v in x.settings.items())
        print(f"The check trains with: {settings}." if settings else "")
        return 0
    design = None
    if args.design:
        design = _design(args.design)
        if design is None:
            return 2
    outcome = check(x.name, design)
    if args.json:
        print(json.dumps(outcome.to_json()))
    else:
        for c in outcome.criteria:
            print(f"{'pass' if c.passed else 'FAIL'}: {c.text}")
        if outcome.error:
            print(f"error: {outcome.error}", file=sys.stderr)
        print(f"{'passed' if outcome.passed else 'failed'} in {outcome.seconds:.1f} s"
              + ("" if outcome.passed or outcome.error else f"\nhint: {outcome.hint}"))  # fmt: skip
    return 0 if outcome.passed else 1


IMPORT_HELP = """Import a model as a design: DESIGN.json, and its weights as DESIGN.pt beside it.

A Python source is FILE.py:NAME, NAME being a class or function in FILE.py that returns the nn.Module (called
without arguments). Importing it RUNS FILE.py on this machine, like any script you run: import only code you
trust. Give one --input-shape per model input, batch first (1,3,224,224); --dtype int64 for token ids. An .onnx
file is read with onnx (no code is run). With --partial, the graph up to the first operation without an
equivalent is kept instead of refusing the whole model."""


def _json_output(args) -> Path | None:
    """The -o design file (a .json), or None after saying on stderr that it is not one."""
    out = Path(args.output)
    if out.suffix != ".json":
        print(f"error: -o must name a .json file, received {args.output!r}", file=sys.stderr)
        return None
    return out


def cmd_import(args) -> int:
    from .importer import ImportProblem

    out = _json_output(args)
    if out is None:
        return 2
    try:
        if args.source.endswith(".onnx"):
            from .importer import from_onnx

            design = from_onnx(args.source, name=args.name, partial=args.partial)
        else:
            module, examples = _python_model(args)
            if module is None:
                return 2
            from .importer import from_torch

            design = from_torch(module, examples, name=args.name, partial=args.partial)
    except (ImportProblem, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    import torch

    save_design(design, out)
    if design.weights is not None:
        torch.save(design.weights, out.with_suffix(".pt"))
    report = validate(design)
    problems = design.metadata.get("import", {}).get("problems") or []
    print(f"{out}: {design.name}, {len(report.nodes)} layers, {report.params:,} parameters, "
          f"{len(design.blocks)} blocks" + (f"; weights in {out.with_suffix('.pt').name}" if design.weights is not None
                                             else ""))  # fmt: skip
    for p in problems:
        print(f"left out (--partial): {p}")
    return 0


def cmd_pretrained(args) -> int:
    """A torchvision template with torchvision's weights (a file given, or the hub cache): design + .pt."""
    import torch

    from .importer.pretrained import WeightsError, load_pretrained

    out = _json_output(args)
    if out is None:
        return 2
    try:
        design = load_pretrained(args.template, args.weights)
    except (WeightsError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    save_design(design, out)
    torch.save(design.weights, out.with_suffix(".pt"))
    print(f"{out}: {design.name} with torchvision's weights in {out.with_suffix('.pt').name}")
    return 0


def _python_model(args):
    """The module FILE.py:NAME builds and example inputs of the given shapes, or (None, None) after saying why."""
    import importlib.util

    import torch

    path, _, attr = args.source.rpartition(":")
    if not path or not attr or not path.endswith(".py"):
        print(f"error: expected FILE.py:NAME or FILE.onnx, received {args.source!r}", file=sys.stderr)
        return None, None
    if not args.input_shape:
        print("error: give the model's input shape, batch first: --input-shape 1,3,224,224", file=sys.stderr)
        return None, None
    try:
        shapes = [tuple(int(v) for v in s.split(",")) for s in args.input_shape]
    except ValueError:
        print(f"error: --input-shape takes comma-separated integers, received {args.input_shape}", file=sys.stderr)
        return None, None
    if any(len(s) < 2 or len(s) > 5 or min(s) < 1 for s in shapes) or any(math.prod(s) > 2**26 for s in shapes):
        print("error: each --input-shape has 2 to 5 positive sizes, batch first, at most 2**26 values",
              file=sys.stderr)  # fmt: skip
        return None, None
    file = Path(path)
    if not file.is_file():
        print(f"error: {path!r} does not exist", file=sys.stderr)
        return None, None
    spec = importlib.util.spec_from_file_location(file.stem, file)
    source = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(file.resolve().parent))  # its own imports of files beside it
    try:
        spec.loader.exec_module(source)
    finally:
        sys.path.remove(str(file.resolve().parent))
    factory = getattr(source, attr, None)
    if factory is None:
        print(f"error: {path} has no {attr!r}", file=sys.stderr)
        return None, None
    module = factory()
    dtypes = args.dtype or ["float32"]
    examples = []
    for i, shape in enumerate(shapes):
        dtype = dtypes[min(i, len(dtypes) - 1)]
        examples.append(torch.zeros(shape, dtype=torch.int64) if dtype == "int64" else torch.randn(shape))
    return module, tuple(examples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m builder", description="LayerLoom's design tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check a design file: shapes, params, MACs and every issue")
    p.add_argument("design", help="design JSON file")
    p.add_argument("--json", action="store_true", help="print a machine-readable report")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("summary", help="a torchinfo-style summary: shapes in and out, params, MACs, memory per layer")
    p.add_argument("design", help="design JSON file")
    p.add_argument("--batch-size", type=int, default=64, dest="batch_size", help="for the training memory estimate")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_summary)
    p = sub.add_parser("export", help="write readable PyTorch source and/or a verified ONNX file")
    p.add_argument("design", help="design JSON file")
    p.add_argument("--python", metavar="FILE.py", help="the model's source (weights go to FILE.pt beside it)")
    p.add_argument("--onnx", metavar="FILE.onnx", help="ONNX file, verified with onnx.checker and onnxruntime")
    p.add_argument("--train", metavar="FILE.py", help="a standalone training script (runs under torchrun/DDP)")
    p.add_argument("--weights", metavar="CHECKPOINT", help="a training checkpoint or a state_dict file (.pt)")
    p.add_argument("--network", help="for a file with several networks (a GAN): which one, e.g. generator")
    p.add_argument("--json", action="store_true", help="print what was written and verified as JSON")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("train", help="train a design on a bundled dataset; progress, checkpoints, TensorBoard logs")
    p.add_argument("design", help="design JSON file (its training section sets the defaults)")
    p.add_argument("--dataset", help="bundled dataset (see `datasets`)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--lr", type=float, help="learning rate")
    p.add_argument("--batch-size", type=int, dest="batch_size")
    p.add_argument("--device", help="auto, cpu, cuda:N or mps")
    p.add_argument("--out", help="workspace folder (runs go to OUT/runs/<run-id>/; default ./workspace)")
    p.add_argument(
        "--executor",
        help="where the run trains: local (a worker process of this machine, the "
        "default) or ray://HOST:PORT (a Ray cluster; also $LAYERLOOM_RAY_ADDRESS), as in the app",
    )
    p.add_argument("--json", action="store_true", help="print only a final JSON line with the metrics and paths")
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("tensorboard", help="start TensorBoard on the workspace's runs (or DIR)")
    p.add_argument("dir", nargs="?", help="a run folder or the runs folder (default: ./workspace/runs)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=6006)
    p.set_defaults(func=cmd_tensorboard)
    p = sub.add_parser("templates", help="list the template designs, or write them to a folder")
    p.add_argument("--write", metavar="DIR", help="write every template as DIR/<name>.json")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_templates)
    p = sub.add_parser("datasets", help="list the bundled datasets: task, input shape, classes, split sizes")
    p.add_argument("--json", action="store_true")
    p.add_argument("--download", metavar="NAME", help="fetch mnist, fashion_mnist or cifar10 (online; MD5-checked)")
    p.set_defaults(func=cmd_datasets)
    p = sub.add_parser("layers", help="list every layer type with its parameters")
    p.add_argument("--json", action="store_true", help="full specs: params with ranges, choices, help")
    p.set_defaults(func=cmd_layers)
    p = sub.add_parser("lesson", help="the lessons: list them, show one, or run its check")
    p.add_argument("action", choices=("list", "show", "check"))
    p.add_argument("name", nargs="?", help="the lesson (see `lesson list`)")
    p.add_argument("--design", metavar="FILE", help="check: judge this design file (default: the lesson's solution)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_lesson)
    p = sub.add_parser("import", help="a PyTorch model (FILE.py:NAME, which runs that file) or an ONNX file as a "
                                      "design with its weights", description=IMPORT_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("source", help="FILE.py:NAME (a class or function returning the nn.Module) or FILE.onnx")
    p.add_argument("-o", "--output", required=True, metavar="DESIGN.json", help="the design to write")
    p.add_argument("--input-shape", action="append", dest="input_shape", metavar="N,C,H,W",
                   help="a model input's shape, batch first; once per input")  # fmt: skip
    p.add_argument("--dtype", action="append", choices=("float32", "int64"), help="an input's dtype, in order")
    p.add_argument("--name", help="the design's name (default: the model's class name)")
    p.add_argument("--partial", action="store_true", help="keep the graph up to what cannot be imported")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("pretrained", help="a torchvision template (resnet18, densenet121, …) with torchvision's "
                                          "ImageNet weights from a local file or torch's hub cache")  # fmt: skip
    p.add_argument("template", help="alexnet, vgg11, vgg16, resnet18, resnet34, resnet50, googlenet, densenet121, "
                                    "mobilenet_v2")  # fmt: skip
    p.add_argument("--weights", metavar="FILE.pth", help="torchvision's weight file (default: found in the hub cache)")
    p.add_argument("-o", "--output", required=True, metavar="DESIGN.json")
    p.set_defaults(func=cmd_pretrained)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except DiskFull as e:  # whatever was being written: earlier files are intact, no temp file is left
        print(f"error: {e}", file=sys.stderr)
        return 1
