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
    "Templates has the classics, from the perceptron to ResNet; Lessons walks through them with exercises your "
    "design is checked against."
)


def showing(has_designs: bool) -> bool:
    """Whether this tab shows the welcome: a first visit (no design was saved when the tab opened), until *Got it*.
    Decided once per tab, so the first edit (which saves a design) does not hide it."""
    ss = st.session_state
    ss.setdefault("first-visit", not has_designs)
    return ss["first-visit"] and not ss.get("help-dismissed")


def first_visit(has_designs: bool) -> None:
    """On a first visit the help stands open in the sidebar until *Got it*; later, the sidebar starts collapsed
    (the canvas gets the width) and opening it (one click, top left) shows the same text. It lives in the sidebar so
    opening or closing it never moves the page's content (the canvas stays where the user is working)."""
    if showing(has_designs):
        with st.sidebar.container(border=True, key="first-visit-help"):
            st.markdown("**Welcome to LayerLoom** — build a network, check its shapes, train it and look inside."
                        "\n\n" + TEXT)  # fmt: skip
            st.button("Got it", key="help-dismiss", icon=":material/check:", on_click=_dismiss)
        return
    st.sidebar.subheader("How LayerLoom works")
    st.sidebar.markdown(TEXT)


def _dismiss() -> None:
    st.session_state["help-dismissed"] = True
