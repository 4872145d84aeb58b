"""Train: the settings form, start/pause/resume/stop, and live curves while the run goes on."""

import streamlit as st

from builder import figures
from builder.data import list_datasets
from builder.edit import Editor, blank
from builder.train import Run, TrainError, devices
from ui.train_form import settings_form

editor: Editor = st.session_state.setdefault("editor", Editor(blank()))
design = editor.design
st.title("Train")
st.caption(f"Design: **{design.name}** — edit it on the Build page. Runs are saved under the workspace folder.")

current = {**{"dataset": design.metadata.get("dataset", "digits")}, **(design.training or {})}
values = settings_form(current, [s.name for s in list_datasets() if s.group != "Files"], [d["id"] for d in devices()])
run: Run | None = st.session_state.get("run")
busy = run is not None and run.alive
left, mid, right, _ = st.columns([1, 1, 1, 3])
if left.button("Start", type="primary", disabled=busy, key="train-start"):
    try:
        st.session_state["run"] = run = Run(design, values).start()
    except (TrainError, ValueError) as e:
        for issue in getattr(e, "issues", None) or [e]:
            st.error(getattr(issue, "message", str(issue)))
if mid.button("Pause" if not (run and not run.control.running.is_set()) else "Resume", disabled=not busy,
              key="train-pause"):  # fmt: skip
    run.resume() if not run.control.running.is_set() else run.pause()
if right.button("Stop", disabled=not busy, key="train-stop"):
    run.stop()


@st.fragment(run_every=0.7)
def live():
    """Polls the run log (the worker never calls Streamlit) and redraws progress and curves."""
    run: Run | None = st.session_state.get("run")
    if run is None:
        st.info("Choose the settings and press Start.")
        return
    events = run.log.since(0)
    steps = [e for e in events if e.kind == "step"]
    epochs = [e.data for e in events if e.kind == "epoch"]
    if steps:
        d = steps[-1].data
        st.progress(min(d["progress"], 1.0), text=f"epoch {d['epoch']} · loss {d['loss']:.4f} · "
                    f"{d['samples_per_s']:,.0f} samples/s · ETA {d['eta']:.0f} s")  # fmt: skip
    if epochs:
        metric = "accuracy" if "accuracy" in epochs[-1].get("val", {}) else "loss"
        cols = st.columns(2)
        cols[0].plotly_chart(figures.curves(epochs, "loss"), key="curve-loss")
        cols[1].plotly_chart(figures.curves(epochs, metric), key=f"curve-{metric}")
    last = events[-1] if events else None
    if last is not None and last.kind in ("finished", "stopped", "failed"):
        (st.error if last.kind == "failed" else st.success)(last.data.get("message") or f"Run {last.kind}.")
        test = (last.data.get("metrics") or {}).get("test", {})
        if "confusion" in test:
            st.plotly_chart(figures.confusion(test["confusion"], list(map(str, range(len(test["confusion"]))))),
                            key="confusion")  # fmt: skip


live()
