"""Does a design fit a dataset (and a task)? Every mismatch as an Issue that says how to fix it."""

from __future__ import annotations

from ..design import Design
from ..registry import fmt_shape
from ..validate import ERROR, WARNING, Issue, Validation, producer, validate
from .registry import DatasetSpec


def _width_fix(design: Design, report: Validation, output_id: str, want: int) -> str:
    origin = producer({n.id: n.type for n in design.nodes}, report.inputs, output_id)
    node = design.node(origin) if origin is not None else None
    if node is not None and node.type == "Linear":
        return f"set the out_features of Linear {node.id!r} to {want}"
    if node is not None and node.type.startswith("Conv"):
        return f"set the out_channels of {node.type} {node.id!r} to {want}"
    return f"end the model with a Linear of out_features={want}"


def check_compatibility(design: Design, spec: DatasetSpec, task: str | None = None) -> list[Issue]:
    """Issues that stop ``design`` from training on ``spec`` for ``task`` (default: the dataset's task)."""
    task = task or spec.task
    report = validate(design)
    if not report.valid:
        return report.errors
    if task == "gan":
        return _check_gan(design, spec)
    if design.networks and not design.nodes:
        return [Issue(None, None, ERROR, f"this file holds several networks ({', '.join(design.networks)}); only a GAN "
                                         "trains several. Set training.task to 'gan', or train one network.")]  # fmt: skip
    issues: list[Issue] = []

    def err(node, message, severity=ERROR):
        issues.append(Issue(node, None, severity, message))

    inputs = sorted(n.id for n in design.nodes if n.type == "Input")
    outputs = sorted(n.id for n in design.nodes if n.type == "Output")
    if len(inputs) != 1:
        err(inputs[1] if len(inputs) > 1 else None,
            f"{spec.title} gives one input per sample but the design has {len(inputs)} Input nodes "
            f"({', '.join(map(repr, inputs))}). Keep one Input.")  # fmt: skip
        return issues
    x = report.nodes[inputs[0]]
    if x.shape != spec.input_shape:
        err(inputs[0], f"Input {inputs[0]!r} is {fmt_shape(x.shape)} but {spec.name} gives {fmt_shape(spec.input_shape)}"
                       f" samples: set its shape to {list(spec.input_shape)}.")  # fmt: skip
    if x.dtype != spec.dtype:
        what = "token ids" if spec.dtype == "int64" else "real values"
        err(inputs[0], f"Input {inputs[0]!r} has dtype {x.dtype} but {spec.name} gives {what} ({spec.dtype}): set "
                       f"its dtype to {spec.dtype}.")  # fmt: skip
    if spec.vocab_size:
        for n in design.nodes:
            if n.type == "Embedding" and n.id in report.resolved:
                size = report.resolved[n.id]["num_embeddings"]
                if size < spec.vocab_size:
                    err(n.id, f"Embedding {n.id!r} has num_embeddings={size} but {spec.name} uses {spec.vocab_size} "
                              f"token ids: set num_embeddings to at least {spec.vocab_size}.")  # fmt: skip
    main = outputs[0] if outputs else None
    if task == "vae":
        main = next((o for o in outputs if "recon" in o), main)
    elif len(outputs) > 1:
        err(outputs[1], f"task {task} trains one output but the design has {len(outputs)} Output nodes "
                        f"({', '.join(map(repr, outputs))}). Keep one Output.")  # fmt: skip
    if main is None:
        return issues
    y = report.nodes[main].shape
    if task == "classification":
        n = len(spec.classes)
        if y not in ((n,), (1,)) or (y == (1,) and n != 2):
            err(main, f"Output {main!r} gives {fmt_shape(y)} but {spec.name} has {n} classes: "
                      f"{_width_fix(design, report, main, n)}" + (" (and add a Flatten before it)." if len(y) > 1 else "."))  # fmt: skip
        elif y == (1,):
            err(main, f"Output {main!r} gives one logit for {spec.name}'s 2 classes: it trains with "
                      "binary cross-entropy (BCE with logits).", WARNING)  # fmt: skip
    elif task == "sequence_labeling":
        want = (spec.input_shape[0], len(spec.classes))
        if y != want:
            err(main, f"Output {main!r} gives {fmt_shape(y)} but {spec.name} needs one score per class at every step, "
                      f"{fmt_shape(want)}: keep the time dim and {_width_fix(design, report, main, want[1])}.")  # fmt: skip
    elif task in ("regression", "forecasting"):
        n = len(spec.targets)
        if y != (n,):
            err(main, f"Output {main!r} gives {fmt_shape(y)} but {spec.name} has {n} target(s): "
                      f"{_width_fix(design, report, main, n)}.")  # fmt: skip
    elif task in ("autoencoder", "denoising", "vae"):
        if y != spec.input_shape:
            err(main, f"Output {main!r} gives {fmt_shape(y)} but a reconstruction of {spec.name} must be "
                      f"{fmt_shape(spec.input_shape)}: end the decoder with a Reshape to {list(spec.input_shape)}.")  # fmt: skip
    return issues


def _check_gan(design: Design, spec: DatasetSpec) -> list[Issue]:
    """A GAN file has networks 'generator' (noise -> a sample) and 'discriminator' (a sample -> one logit)."""
    missing = [k for k in ("generator", "discriminator") if k not in design.networks]
    if missing:
        return [Issue(None, None, ERROR, f"a GAN needs networks named 'generator' and 'discriminator' in one file; "
                                         f"missing: {', '.join(missing)}.")]  # fmt: skip
    issues = []
    for role in ("generator", "discriminator"):
        net = design.networks[role]
        r = validate(net)
        ins = sorted(n.id for n in net.nodes if n.type == "Input")
        outs = sorted(n.id for n in net.nodes if n.type == "Output")
        if len(ins) != 1 or len(outs) != 1:
            issues.append(Issue(None, None, ERROR, f"the {role} needs exactly one Input and one Output."))
            continue
        sample = r.nodes[outs[0]].shape if role == "generator" else r.nodes[ins[0]].shape
        if sample != spec.input_shape:
            where = f"Output {outs[0]!r}" if role == "generator" else f"Input {ins[0]!r}"
            issues.append(Issue(f"{role}/{(outs if role == 'generator' else ins)[0]}", None, ERROR,
                                f"the {role}'s {where} is {fmt_shape(sample)} but {spec.name} samples are "
                                f"{fmt_shape(spec.input_shape)}: make it {list(spec.input_shape)}."))  # fmt: skip
        if role == "discriminator" and r.nodes[outs[0]].shape != (1,):
            issues.append(Issue(f"discriminator/{outs[0]}", None, ERROR,
                                f"the discriminator must give one real-vs-fake logit, (N, 1), but gives "
                                f"{fmt_shape(r.nodes[outs[0]].shape)}: end it with a Linear of out_features=1."))  # fmt: skip
    return issues
