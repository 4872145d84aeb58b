"""What LayerLoom's pages do, in a few lines: shown on a first visit (dismissible) and one click away after."""

from __future__ import annotations

import streamlit as st

PAGES = (
    ("Build", "drag layers onto the canvas and wire them; every shape is checked as you go, errors turn red."),
    ("Data", "the bundled datasets with samples and class balance; upload your own CSV, NPZ or image zip."),
    ("Train", "pick dataset, optimizer and settings, press Start and watch the curves; compare optimizers."),
    ("Visualize", "inside the network while it learns: feature maps, attention, gates, samples, gradients."),
    ("Export", "readable PyTorch (model.py), a verified ONNX file, the weights and a train.py."),
)
TEXT = "\n".join(f"- **{name}** — {what}" for name, what in PAGES) + (
    "\n\nEvery design and run is kept in the workspace: the address (`?design=…`) brings you back to it. "
    "Templates has the classics, from the perceptron to ResNet."
)


def first_visit(has_designs: bool) -> None:
    """The help as a panel on a first visit (no design saved yet, not dismissed in this tab), and always a
    'How LayerLoom works' entry in the sidebar."""
    with st.sidebar.expander("How LayerLoom works", icon=":material/help:"):
        st.markdown(TEXT)
    if has_designs or st.session_state.get("help-dismissed"):
        return
    with st.container(border=True, key="first-visit"):
        st.markdown("**Welcome to LayerLoom** — build a network, check its shapes, train it and look inside.\n\n"
                    + TEXT)  # fmt: skip
        st.button("Got it", key="help-dismiss", icon=":material/check:", on_click=_dismiss)


def _dismiss() -> None:
    st.session_state["help-dismissed"] = True
