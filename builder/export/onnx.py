"""ONNX export, verified on every export with onnx.checker and onnxruntime.

Exporter choice, per design: torch's legacy TorchScript-based exporter (``dynamo=False``) by default. Measured
here with torch 2.13 it is far faster than the dynamo exporter (LeNet: ~0.03 s against ~0.5 s warm and
several seconds cold, which matters for an export button), writes one self-contained file and needs no
onnxscript; our models are plain feed-forward code without data-dependent control flow, exactly what tracing
captures faithfully. Tracing does bake nn.MultiheadAttention's batch and length into its head-splitting
reshapes, though, so designs with attention (specs with ``onnx_exporter = "dynamo"``) go through the dynamo
exporter (``torch.export``, opset 18, ``external_data=False`` for one file), which keeps those dims symbolic.
Either way the file is checked with onnx.checker and compared with torch in onnxruntime at a batch size (and
sequence length) other than the traced one, so a baked-in shape cannot slip through. What no exporter can
express is named by each spec's ``onnx_issue`` before any work starts.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..codegen import VERSION
from ..design import Design, dumps
from ..plan import Plan, plan
from ..registry import REGISTRY
from ..validate import Validation, validate
from .weights import ExportError, single_network

OPSET = 17  # legacy exporter: LayerNormalization is native from 17
DYNAMO_OPSET = 18  # the dynamo exporter's minimum
TRACE_BATCH, CHECK_BATCH = 2, 3
RTOL, ATOL = 1e-4, 1e-5


@dataclass
class OnnxExport:
    path: Path
    bytes: int
    opset: int
    inputs: list[str]
    outputs: list[str]
    dynamic_axes: dict[str, dict[int, str]]
    traced_batch: int
    verified_batches: list[int]
    verified_lengths: list[int]  # sequence lengths checked besides the traced one (dynamic sequence inputs)
    max_abs_diff: float
    seconds: float
    dropped_inputs: list[str] = field(default_factory=list)  # Inputs the eval-mode graph does not use
    exporter: str = "legacy"

    def summary(self) -> str:
        lengths = f", lengths {self.verified_lengths}" if self.verified_lengths else ""
        return (
            f"wrote {self.path} ({self.bytes / 1024:.0f} kB, opset {self.opset}); onnxruntime matches torch "
            f"within {self.max_abs_diff:.2e} (max abs diff) at batch {self.verified_batches}{lengths}, traced at "
            f"batch {self.traced_batch}"
        )

    def to_json(self) -> dict:
        return {
            "path": str(self.path), "bytes": self.bytes, "opset": self.opset, "inputs": self.inputs,
            "outputs": self.outputs, "dynamic_axes": self.dynamic_axes, "traced_batch": self.traced_batch,
            "verified_batches": self.verified_batches, "verified_lengths": self.verified_lengths,
            "max_abs_diff": self.max_abs_diff, "seconds": round(self.seconds, 3),
            "dropped_inputs": self.dropped_inputs, "exporter": self.exporter,
        }  # fmt: skip


def onnx_problems(design: Design | Plan, report: Validation | None = None) -> list[tuple[str, str]]:
    """(node id, reason) for every node that cannot be exported to ONNX, before any export work."""
    if isinstance(design, Plan):
        design, report = design.flat, design.report
    report = report or validate(design)
    design = report.flat or design
    out = []
    for nid in report.order:
        node = design.node(nid)
        reason = REGISTRY[node.type].onnx_issue(report.resolved[nid], report.types_in(nid))
        if reason:
            out.append((nid, f"{node.type} {nid!r}: {reason}"))
    return out


def _is_sequence(info) -> bool:
    return (info.dtype == "float32" and len(info.shape) == 2) or (info.dtype == "int64" and len(info.shape) == 1)


def _sequence_axes(design: Design, report: Validation, inputs: list[str], outputs: list[str]):
    """Inputs whose length (dim 1) may vary: the design stays valid at another length. Returns the other
    length to verify with, and for each output the dims that follow the length."""
    seq = [i for i in inputs if _is_sequence(report.nodes[i])]
    if not seq:
        return None, {}
    other = design.copy()
    length = report.nodes[seq[0]].shape[0]
    new_length = length - 1 if length > 2 else length + 1
    for i in seq:
        if report.nodes[i].shape[0] != length:
            return None, {}  # sequences of different lengths: keep them fixed
        node = other.node(i)
        node.params["shape"] = [new_length, *report.nodes[i].shape[1:]]
    changed = validate(other)
    if not changed.valid or _constructors(changed.flat or other, changed) != _constructors(
        report.flat or design, report
    ):
        return None, {}  # another length would need other layers (e.g. a Conv1d reading T as channels)
    follow = {}
    for o in outputs:
        a, b = report.nodes[o].shape, changed.nodes[o].shape
        follow[o] = [k + 1 for k, (x, y) in enumerate(zip(a, b)) if x != y]
    return new_length, follow


def _constructors(design: Design, report: Validation) -> list[str | None]:
    """Every layer's constructor call: equal lists mean the same modules, hence the same weights."""
    return [REGISTRY[design.node(n).type].init_code(report.resolved[n], report.types_in(n)) for n in report.order]


def _example(report: Validation, design: Design, nid: str, batch: int, length: int | None, gen):
    import torch

    info = report.nodes[nid]
    shape = list(info.shape)
    if length is not None and _is_sequence(info):
        shape[0] = length
    if info.dtype == "int64":
        vocab = min((report.resolved[n.id]["num_embeddings"] for n in design.nodes if n.type == "Embedding"), default=2)
        return torch.randint(0, vocab, (batch, *shape), generator=gen)
    return torch.randn((batch, *shape), generator=gen)


def export_onnx(design: Design | Plan | str | os.PathLike | dict, path, weights=None) -> OnnxExport:
    """Export to one .onnx file with dynamic batch (and sequence length where the design allows), named
    inputs/outputs and LayerLoom metadata; verify it with onnx.checker and onnxruntime at a batch size (and
    length) different from the traced one. Raises ExportError, naming the nodes, when it cannot."""
    start = time.perf_counter()
    p = single_network(plan(design)).require()
    design, report = p.design, p.report
    flat = p.flat
    problems = onnx_problems(flat, report)
    if problems:
        raise ExportError("cannot export to ONNX:\n" + "\n".join(f"- {msg}" for _, msg in problems))

    import onnx
    import onnxruntime as ort
    import torch

    model = p.load(weights) if weights is not None else p.new_model(seed=0)
    model.eval()
    inputs, outputs = p.inputs, p.outputs
    new_length, follow = _sequence_axes(design, report, inputs, outputs)
    dynamic: dict[str, dict[int, str]] = {name: {0: "batch"} for name in inputs + outputs}
    if new_length is not None:
        for i in inputs:
            if _is_sequence(report.nodes[i]):
                dynamic[i][1] = "length"
        for o, dims in follow.items():
            dynamic[o].update({d: "length" for d in dims})

    gen = torch.Generator().manual_seed(0)
    traced = tuple(_example(report, flat, i, TRACE_BATCH, None, gen) for i in inputs)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    dynamo = any(REGISTRY[flat.node(n).type].onnx_exporter == "dynamo" for n in report.order)
    opset = DYNAMO_OPSET if dynamo else OPSET
    options = {"external_data": False, "verbose": False} if dynamo else {"do_constant_folding": True}
    # Grad stays enabled: under no_grad, eval-mode attention layers take torch's fused "fast path" kernels,
    # which have no ONNX equivalent.
    quiet = logging.getLogger("torch.onnx")  # the dynamo exporter logs a line per missing torchvision op
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer chatter about Python values becoming constants
            torch.onnx.export(model, traced, str(tmp), input_names=inputs, output_names=outputs,
                              dynamic_axes=dynamic, opset_version=opset, dynamo=dynamo, **options)  # fmt: skip
    finally:
        quiet.setLevel(level)
    try:
        proto = onnx.load(str(tmp))
        proto.doc_string = design.description
        meta = {"layerloom.version": VERSION, "layerloom.design_name": design.name, "layerloom.design": dumps(design)}
        for key, value in meta.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(proto, str(tmp))
        onnx.checker.check_model(str(tmp), full_check=True)
        diff, dropped, lengths = _verify(tmp, model, report, design, inputs, new_length, ort, torch)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return OnnxExport(path, path.stat().st_size, opset, inputs, outputs, dynamic, TRACE_BATCH, [CHECK_BATCH],
                      lengths, diff, time.perf_counter() - start, dropped, "dynamo" if dynamo else "legacy")  # fmt: skip


def _verify(file, model, report, design, inputs, new_length, ort, torch):
    """Run onnxruntime and torch on fresh inputs at another batch size (and length); max abs diff."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(file), options, providers=["CPUExecutionProvider"])
    present = {i.name for i in session.get_inputs()}
    dropped = [i for i in inputs if i not in present]  # e.g. logvar's Input when eval mode returns mu
    worst, lengths = 0.0, []
    for length in [None] + ([new_length] if new_length is not None else []):
        gen = torch.Generator().manual_seed(1)
        xs = [_example(report, report.flat or design, i, CHECK_BATCH, length, gen) for i in inputs]
        with torch.no_grad():
            ref = model(*xs)
        ref = ref if isinstance(ref, tuple) else (ref,)
        got = session.run(None, {i: x.numpy() for i, x in zip(inputs, xs) if i in present})
        for name, r, g in zip(design.output_ids, ref, got):
            r = r.numpy()
            if r.shape != g.shape:
                raise ExportError(f"output {name!r}: onnxruntime gives shape {g.shape}, torch {r.shape}")
            err = np.abs(r.astype(np.float64) - g.astype(np.float64))
            worst = max(worst, float(err.max(initial=0.0)))
            bad = err > ATOL + RTOL * np.abs(r)
            if bad.any():
                raise ExportError(
                    f"output {name!r} differs between onnxruntime and torch by up to {float(err.max()):.3g} at "
                    f"batch {CHECK_BATCH}{f', length {length}' if length else ''} (allowed {ATOL} + {RTOL}·|x|). "
                    "Please report this design: the export would not match the model."
                )
        if length is not None:
            lengths.append(length)
    return worst, dropped, lengths
