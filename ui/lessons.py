"""The Lessons page's parts: the lesson picker, the designs to open, the check (trained as a run of the tab's
design, so it shows in the design's history and on Visualize) and its outcome, and each lesson's own figures."""

from __future__ import annotations

import threading
import time

import streamlit as st

from builder import figures
from builder.lessons import Lesson, Outcome, check, list_lessons, measure
from builder.lessons.catalog import SURFACE_STEPS, surface_rules
from builder.lessons.progress import Progress
from builder.templates import load_template
from builder.train import RunResult
from ui import runs as runs_ui
from ui import session
from ui import visualize as viz
from ui.i18n import language, t
from ui.text import code, md


def runner(ws, design_id: str, started: list[str] | None = None):
    """Train through the workspace's executor, as the Train page does: the run lands in the design's history (and
    waits in the queue like any run); each run's id is added to ``started`` as it starts."""

    def run(design, settings):
        job = ws.start(design, settings, design_id)
        if started is not None:
            started.append(job.run_id)
        job.join()
        return RunResult.from_events(job.run_id, ws.runs_dir / job.run_id, ws.events(job.run_id, final=True))

    return run


class Checking:
    """A lesson's check, judged on a thread of the server so the page stays live: its runs are jobs of the
    workspace's executor, and the page polls :attr:`runs` to show the one training now."""

    def __init__(self, lesson: str, design, ws, design_id: str, lang: str):
        self.lesson, self.design_id, self.runs = lesson, design_id, []
        self.outcome: Outcome | None = None
        self.started = time.time()
        go = runner(ws, design_id, self.runs)
        self._thread = threading.Thread(target=self._judge, args=(design.copy(), go, lang), daemon=True,
                                        name=f"lesson-check-{lesson}")  # fmt: skip
        self._thread.start()

    def _judge(self, design, go, lang) -> None:
        try:
            self.outcome = check(self.lesson, design, go, lang)
        except Exception as e:  # (check() says what it expects; anything else is still said, not lost)
            self.outcome = Outcome(self.lesson, [], time.time() - self.started, error=f"{type(e).__name__}: {e}",
                                   runs=list(self.runs))  # fmt: skip

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()


def pick(progress: Progress) -> Lesson:
    lessons = list_lessons()
    names = [x.name for x in lessons]
    # the address's lesson, else the one last shown in this tab, else the one whose design this tab has open (the
    # navigation bar's link carries only the design: coming back from the canvas must land on the same lesson)
    mine = next((x.name for x in lessons if progress.design(x.name) == st.session_state.get("design_id")), None)
    wanted = st.query_params.get("lesson") or st.session_state.get("lesson-shown") or mine
    index = names.index(wanted) if wanted in names else 0
    lang, mark = language(), f" — {t('lessons.passed')}"
    labels = {
        x.name: f"{x.number}. {x.text('title', lang)}" + (mark if progress.passed(x.name) else "") for x in lessons
    }
    name = st.selectbox(t("lessons.pick"), names, index=index, format_func=labels.get, key=f"lesson-{lang}")
    st.query_params["lesson"] = st.session_state["lesson-shown"] = name
    return next(x for x in lessons if x.name == name)


def designs(x: Lesson, progress: Progress) -> None:
    """A button per design of the lesson: a copy opens on the canvas (and becomes the lesson's design)."""
    per_row = 4  # wider rows cut the titles short
    cols = [c for k in range(0, len(x.designs), per_row) for c in st.columns(per_row)]
    for col, name in zip(cols, x.designs):
        d = load_template(name)
        title = d.metadata.get("title", name)
        role = t("lessons.role_start" if name == x.designs[0] else
                 "lessons.role_solution" if name == x.solution else "lessons.role_compare")  # fmt: skip
        if col.button(t("lessons.open", title=title), key=f"lesson-open-{name}", help=t("lessons.open_help", role=role),
                      icon=":material/account_tree:", type="primary" if name == x.designs[0] else "secondary"):  # fmt: skip
            session.open_design(d)
            progress.set_design(x.name, st.session_state["design_id"])
            st.switch_page("pages/build.py")


def run_check(x: Lesson, ws, progress: Progress) -> None:
    editor, design_id = session.editor(), st.session_state["design_id"]
    st.caption(t("lessons.judges", name=md(editor.design.name), id=code(design_id), settings=md(_settings(x))))
    key = f"lesson-checking-{x.name}"

    def start() -> None:  # (a callback: the button is drawn disabled in the very run the click starts)
        session.autosave()  # the runs belong to this design: it has a file
        st.session_state[key] = Checking(x.name, editor.design, ws, design_id, language())

    st.button(t("lessons.check"), type="primary", key="lesson-check", icon=":material/task_alt:", on_click=start,
              disabled=key in st.session_state)  # fmt: skip
    if key in st.session_state:
        _watch(key, ws, progress)
        return
    held = st.session_state.get(f"lesson-outcome-{x.name}")
    if held is not None:
        show_outcome(held, ws)


@st.fragment(run_every=1.0)
def _watch(key: str, ws, progress: Progress) -> None:
    """The check in progress, redrawn every second: which run, where it is (queued, epoch k of n, its latest
    validation figure); when it is judged, the outcome is recorded and the page drawn again with it."""
    job: Checking | None = st.session_state.get(key)
    if job is None:
        return
    if job.done:
        del st.session_state[key]
        progress.record(job.outcome, job.design_id)
        st.session_state[f"lesson-outcome-{job.lesson}"] = job.outcome
        st.rerun()  # the count of lessons passed and the picker's ✓ are drawn above: redraw them
    info = ws.run(job.runs[-1]) if job.runs else None
    line = t("lessons.checking", seconds=time.time() - job.started)
    if info is not None:
        total = info.config.get("epochs", "?")
        last = info.epochs[-1] if info.epochs else {}
        val = {k: v for k, v in (last.get("val") or {}).items() if isinstance(v, (int, float))}
        figure = ", ".join(f"{k} {v:.3f}" for k, v in list(val.items())[:2])
        line += "\n\n" + t("lessons.checking_run", run=len(job.runs), epoch=last.get("epoch", 0), epochs=total,
                             status=runs_ui.where(ws, info) or info.status)  # fmt: skip
        if figure:
            line += f" · {figure}"
    st.info(line, icon=":material/hourglass_top:")


def share(x: Lesson) -> None:
    """A link carrying this tab's design and the lesson: opening it makes a copy in the recipient's workspace."""
    from builder.share import ShareError, encode

    with st.expander(t("lessons.share"), icon=":material/share:"):
        try:
            base = (st.context.url or "http://localhost:8501/lessons").split("?")[0]  # (None outside a browser)
            link = f"{base}?share={encode(session.editor().design, x.name)}"
        except ShareError as e:
            st.warning(md(e))
            return
        st.caption(t("lessons.share_caption", length=len(link)))
        st.code(link, language=None, wrap_lines=True)


def show_outcome(outcome: Outcome, ws) -> None:
    lines = "\n".join(
        f"- {':material/check:' if c.passed else ':material/close:'} {md(c.text)}" for c in outcome.criteria
    )
    if outcome.passed:
        st.success(f"{t('lessons.verdict_passed', seconds=outcome.seconds)}\n\n{lines}", icon=":material/check_circle:")
    elif outcome.error:
        st.error(t("lessons.verdict_error", error=md(outcome.error)), icon=":material/error:")
    else:
        st.error(
            f"{t('lessons.verdict_failed', seconds=outcome.seconds)}\n\n{lines}\n\n{t('lessons.hint')} {md(outcome.hint)}",
            icon=":material/cancel:",
        )
    if outcome.runs:
        last = outcome.runs[-1]
        snap = ws.snapshot(last) if ws.run(last) is not None else None
        if snap:
            with st.expander(t("lessons.learned"), expanded=True):
                viz.show(snap, key="lesson-viz")


def _settings(x: Lesson) -> str:
    return ", ".join(f"{k} {v}" for k, v in x.settings.items() if k != "dataset_options") or "its defaults"


# -- each lesson's own figures ------------------------------------------------------------------------------
def extras(x: Lesson) -> None:
    """The lesson's own figures; those drawn from the learner's trained model appear once a check has run."""
    held = st.session_state.get(f"lesson-outcome-{x.name}")
    extra = held.extra if held is not None else {}
    if x.name in EXTRAS:
        EXTRAS[x.name](x, extra)
    elif extra.get(CHARTS.get(x.name, ("",))[0]):
        what, draw = CHARTS[x.name]
        st.plotly_chart(draw(extra[what]), key=f"lesson-{what}")


@st.cache_data(show_spinner=False)
def _reference_gradients(names: tuple[str, ...], settings: tuple) -> dict:
    designs = {n: load_template(n) for n in names}
    return {d.metadata.get("title", n): measure.gradient_norms(d, dict(settings)) for n, d in designs.items()}


def _gradients(x: Lesson, extra: dict) -> None:
    nets = dict(_reference_gradients(x.designs, tuple(sorted(x.settings.items()))))
    if extra.get("gradients"):
        nets["your design"] = extra["gradients"]
    st.plotly_chart(figures.gradient_norms(nets), key="lesson-gradients")


def _optimizers(x: Lesson, extra: dict) -> None:
    left, right = st.columns([1, 3])
    surface = left.radio("Surface", list(measure.SURFACES), key="lesson-surface",
                         help="ravine: steep across, shallow along; rosenbrock: a curved valley; beale: flat plateaus")  # fmt: skip
    sgd_lr = left.number_input("SGD learning rate", 0.001, 2.0, 0.1, 0.01, format="%.3f", key="lesson-sgd-lr",
                               help="find the rate at which plain SGD gets as close as Momentum")  # fmt: skip
    paths = {k: measure.optimizer_path(surface, r, SURFACE_STEPS) for k, r in surface_rules(sgd_lr).items()}
    far = {k: measure.distance_to_minimum(surface, p) for k, p in paths.items()}
    left.dataframe({"optimizer": list(paths), "distance to ★": [round(v, 3) for v in far.values()],
                    "diverged": ["yes" if len(p) <= SURFACE_STEPS else "" for p in paths.values()]},
                   hide_index=True)  # fmt: skip
    fig = figures.optimizer_paths(measure.surface_grid(surface), paths, measure.SURFACES[surface][2],
                                  f"{SURFACE_STEPS} steps of each optimizer on the {surface} surface")  # fmt: skip
    right.plotly_chart(fig, key="lesson-paths")


def _metrics(x: Lesson, extra: dict) -> None:
    if extra.get("per_class"):
        st.caption("Your design's test set, class by class:")
        st.dataframe(extra["per_class"], hide_index=True, key="lesson-per-class")
    size = st.slider("size of a large error", 1.0, 50.0, 10.0, 1.0, key="lesson-outlier-size",
                     help="the error of each outlier; the other predictions are off by about 0.5")  # fmt: skip
    st.plotly_chart(figures.outlier_errors(measure.outlier_errors(size=size), 200), key="lesson-outliers")


@st.cache_data(show_spinner="Measuring the networks…")
def _family(names: tuple[str, ...]) -> list[dict]:
    return measure.family(list(names))


def _cnn_family(x: Lesson, extra: dict) -> None:
    from builder.lessons.catalog import FAMILY

    rows = _family(FAMILY)
    left, right = st.columns([1, 1])
    left.dataframe([{**r, "parameters": f"{r['parameters'] / 1e6:.1f} M", "MACs": f"{r['MACs'] / 1e9:.2f} G"}
                    for r in rows], hide_index=True, key="lesson-family")  # fmt: skip
    right.plotly_chart(figures.family(rows), key="lesson-family-chart")


def _embeddings(x: Lesson, extra: dict) -> None:
    if extra.get("neighbours"):
        st.caption("Nearest words in your trained embedding (cosine similarity):")
        st.dataframe([{"word": w, "nearest": ", ".join(v)} for w, v in extra["neighbours"].items()],
                     hide_index=True, key="lesson-neighbours")  # fmt: skip


def _attention(x: Lesson, extra: dict) -> None:
    seen = extra.get("attention")
    if seen:
        st.caption(f"Your trained network's head {seen['head']} of {seen['node']}, averaged over 200 test sequences "
                   f"({seen['share']:.0%} of its attention on the mirror position):")  # fmt: skip
        fig = figures.attention_heatmaps(seen["pattern"][None, None], seen["node"])
        st.plotly_chart(fig, key="lesson-attention")


# lesson -> how its figures are drawn; CHARTS: one chart of one figure the check left (its key, the figure)
EXTRAS = {"gradients": _gradients, "optimizers": _optimizers, "metrics": _metrics, "cnn_family": _cnn_family,
          "embeddings": _embeddings, "attention": _attention}  # fmt: skip
CHARTS = {"autoencoders": ("codes", figures.latent_space), "segmentation": ("masks", figures.segmentation),
          "overfitting": ("gaps", figures.gaps), "gans": ("modes", figures.mode_counts)}  # fmt: skip
