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
    """On a first visit (no design was saved when this tab opened) the help stands open in the sidebar until
    *Got it*; after that, and on later visits, it is the 'How LayerLoom works' entry there. It lives in the sidebar
    so opening or closing it never moves the page's content (the canvas stays where the user is working)."""
    ss = st.session_state
    ss.setdefault("first-visit", not has_designs)  # decided once per tab: the first edit does not hide it
    if ss["first-visit"] and not ss.get("help-dismissed"):
        with st.sidebar.container(border=True, key="first-visit-help"):
            st.markdown("**Welcome to LayerLoom** — build a network, check its shapes, train it and look inside."
                        "\n\n" + TEXT)  # fmt: skip
            st.button("Got it", key="help-dismiss", icon=":material/check:", on_click=_dismiss)
        return
    with st.sidebar.expander("How LayerLoom works", icon=":material/help:"):
        st.markdown(TEXT)


def _dismiss() -> None:
    st.session_state["help-dismissed"] = True
