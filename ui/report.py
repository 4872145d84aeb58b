"""Show a validated design: totals, the per-node table, every issue, and the generated PyTorch source."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from builder import Design, generate
from builder.budget import estimate, gb
from builder.design import dumps
from builder.summary import row
from builder.validate import ERROR, Validation
from ui.text import md


def human(n: int) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return str(n)


def node_table(report: Validation) -> pd.DataFrame:
    """torchinfo's columns (the CLI's `summary`): input and output shapes, params, MACs, activation memory."""
    flagged = {i.node for i in report.issues if i.severity == ERROR}
    rows = []
    for nid in report.nodes:
        r = row(report, nid)
        rows.append({"node": nid, "type": r.type, "input shape": ", ".join(r.inputs) or "-", "output shape": r.output,
                     "params": r.params, "MACs": r.macs,
                     "activations / sample": gb(r.activation_bytes) if r.type != "Output" else "-",
                     "ok": "✗" if nid in flagged else "✓"})  # fmt: skip
    return pd.DataFrame(rows)


def totals(design: Design, report: Validation) -> None:
    cols = st.columns(5)
    cols[4].metric("Activations / sample", gb(report.activation_bytes),
                   help=f"float32 outputs of every layer for one sample; training at batch 64 with Adam needs about "
                   f"{gb(estimate(report).training(64))} (weights, gradients, optimizer state, activations)")  # fmt: skip
    cols[0].metric("Nodes", len(design.nodes))
    cols[1].metric("Parameters", human(report.params), help=f"{report.params:,} trainable parameters")
    cols[2].metric("MACs / sample", human(report.macs), help="multiply-accumulates of conv, linear, recurrent "
                   "and attention layers for one sample")  # fmt: skip
    cols[3].metric("Weights (float32)", gb(report.params * 4))


def issues(report: Validation) -> None:
    if not report.issues:
        st.success("Valid: every shape fits.", icon=":material/check_circle:")
        return
    errors = len(report.errors)
    if errors:
        st.error(f"{errors} error(s) — the model cannot be built until they are fixed.", icon=":material/error:")
    for issue in report.issues:
        (st.error if issue.severity == ERROR else st.warning)(md(issue.message))


def show(design: Design, report: Validation, key: str) -> None:
    """The whole report for one design. ``key`` keeps widget ids unique per page."""
    totals(design, report)
    issues(report)
    st.dataframe(node_table(report), hide_index=True, width="stretch",
                 column_config={"params": st.column_config.NumberColumn(format="localized"),
                                "MACs": st.column_config.NumberColumn(format="localized")})  # fmt: skip
    left, right = st.columns(2)
    left.download_button("Download design (.json)", dumps(design), file_name=f"{design.name}.json",
                         mime="application/json", key=f"{key}-json", icon=":material/download:")  # fmt: skip
    if report.valid:
        source = generate(design, report).source
        right.download_button("Download PyTorch source (.py)", source, file_name=f"{design.name}.py",
                              mime="text/x-python", key=f"{key}-py", icon=":material/code:")  # fmt: skip
        with st.expander("Generated PyTorch source — this exact code is the model LayerLoom builds"):
            st.code(source, language="python", line_numbers=True)
