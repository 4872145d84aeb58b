"""Lessons: every reference solution passes its check (in the time the issue allows), every starting design that
differs from the solution fails it, and the check, the progress file and the CLI say what they found."""

import json
import time

import numpy as np
import pytest

from builder.cli import main
from builder.design import Edge, Node, dumps
from builder.lessons import Criterion, LessonError, Outcome, check, get_lesson, list_lessons, measure
from builder.lessons.catalog import surface_rules
from builder.lessons.progress import FILE, Progress
from builder.lessons.texts import KEYS, en
from builder.templates import load_template

LESSONS = [x.name for x in list_lessons()]


@pytest.mark.parametrize("name", LESSONS)
def test_the_reference_solution_passes_its_check_within_a_minute(name):
    t0 = time.perf_counter()
    outcome = check(name)
    assert outcome.passed, outcome.summary
    assert outcome.criteria and not outcome.error
    assert time.perf_counter() - t0 <= 60


@pytest.mark.parametrize("name", [x.name for x in list_lessons() if x.designs[0] != x.solution])
def test_the_starting_design_fails_its_check_with_the_figures_and_a_hint(name):
    x = get_lesson(name)
    outcome = check(name, x.start())
    assert not outcome.passed and not outcome.error, outcome.summary
    assert any(not c.passed for c in outcome.criteria)
    assert outcome.hint == x.text("hint") and outcome.to_json()["hint"]


def test_the_xor_check_judges_the_design_not_the_learners_settings():
    design = load_template("mlp_xor")
    design.training = {"lr": 1e-6, "epochs": 1}  # settings that would make any network fail
    assert check("xor", design).passed


def test_the_perceptron_with_a_hidden_layer_passes_the_xor_check():
    """The exercise as the learner does it: a Linear(8) and a Tanh inserted between x and the output unit."""
    d = load_template("perceptron_xor")
    d.nodes += [Node("hidden", "Linear", {"out_features": 8}), Node("tanh", "Tanh", {})]
    d.edges = [e for e in d.edges if not (e.source == "x" and e.target == "unit")]
    d.edges += [Edge("x", "hidden"), Edge("hidden", "tanh"), Edge("tanh", "unit")]
    assert check("xor", d).passed


def test_a_design_that_cannot_train_fails_with_the_reason_not_an_exception():
    d = load_template("perceptron_xor")
    d.node("unit").params["out_features"] = 0
    outcome = check("xor", d)
    assert not outcome.passed and "out_features" in outcome.error
    assert outcome.summary.startswith("Not checked")
    wrong_data = check("xor", load_template("lenet5"))  # a 28×28 image network on 2-D points
    assert not wrong_data.passed and "xor" in wrong_data.error
    gan = check("xor", load_template("gan_2d"))  # a file of two networks: it is not trained as a GAN on XOR
    assert not gan.passed and "several networks" in gan.error
    huge = load_template("mlp_xor")
    huge.node("hidden").params["out_features"] = 2**31 - 1  # weights no machine has memory for
    too_big = check("xor", huge)
    assert not too_big.passed and too_big.error


def test_the_vanishing_gradient_is_measured_layer_by_layer():
    settings = get_lesson("gradients").settings
    sigmoid = measure.gradient_norms(load_template("deep_sigmoid_mlp"), settings)
    residual = measure.gradient_norms(load_template("deep_residual_mlp"), settings)
    assert [n for n, _ in sigmoid] == [f"fc{k}" for k in range(1, 11)]  # the ten weight layers, in forward order
    assert sigmoid[0][1] * 10 <= residual[0][1]  # the figure: ≥ 10× smaller in the sigmoid net
    assert sigmoid[0][1] * 10 <= sigmoid[-1][1]
    norms = [g for _, g in sigmoid]
    assert norms == sorted(norms)  # shrinking at every layer on the way back
    with pytest.raises(ValueError, match="samples"):
        measure.gradient_norms(load_template("deep_sigmoid_mlp"), settings, samples=10**6)


def test_on_the_ravine_momentum_and_adam_get_closer_to_the_minimum_than_sgd():
    rules = surface_rules()
    far = {k: measure.distance_to_minimum("ravine", measure.optimizer_path("ravine", r, 100)) for k, r in rules.items()}
    assert far["Momentum"] < far["SGD"] and far["Nesterov"] < far["SGD"] and far["Adam"] < far["SGD"]
    path = measure.optimizer_path("ravine", rules["SGD"], 100)
    assert path.shape == (101, 2) and np.allclose(path[0], measure.SURFACES["ravine"][1])
    diverging = measure.optimizer_path("ravine", {**rules["SGD"], "lr": 50.0}, 100)
    assert len(diverging) < 101 and np.isfinite(diverging).all()  # stops where it left the finite numbers
    for bad in ({"surface": "nope"}, {"steps": 10**9}):
        with pytest.raises(ValueError):
            measure.optimizer_path(bad.get("surface", "ravine"), rules["SGD"], bad.get("steps", 10))
    assert set(measure.surface_grid("beale", 20)) == {"x", "y", "z"}


def test_a_criterion_says_its_figure_and_threshold():
    c = Criterion("test accuracy", 0.5333, ">=", 0.95)
    assert not c.passed and c.text == "test accuracy 0.533 (needs ≥ 0.950)"
    assert Criterion("ratio", 6.3e-8, ">=", 0.1).text == "ratio 6.30e-08 (needs ≥ 0.100)"
    assert Criterion("tanh left", 0, "<=", 0, digits=0).passed
    assert not Outcome("x", [], 0.0).passed  # no criteria: nothing was shown, nothing passed


def test_every_lesson_has_every_text_and_its_designs_exist():
    assert set(en.LESSONS) == set(LESSONS)
    for x in list_lessons():
        assert all(x.text(k).strip() for k in KEYS)
        for name in (*x.designs, x.solution):
            load_template(name)
    with pytest.raises(LessonError, match="known: xor"):
        get_lesson("nope")


def test_progress_is_kept_in_the_workspace_and_a_damaged_file_is_set_aside(tmp_path):
    p = Progress.open(tmp_path)
    assert not p.passed("xor") and p.design("xor") is None
    p.set_design("xor", "perceptron-on-xor")
    p.record(Outcome("xor", [Criterion("test accuracy", 0.53, ">=", 0.95)], 1.0), "perceptron-on-xor")
    p.record(Outcome("xor", [Criterion("test accuracy", 0.99, ">=", 0.95)], 1.0), "perceptron-on-xor")
    again = Progress.open(tmp_path)
    assert again.passed("xor") and again.design("xor") == "perceptron-on-xor"
    assert [c["passed"] for c in again.lessons["xor"]["checks"]] == [False, True]
    with pytest.raises(ValueError):
        again.set_design("xor", "../../etc")
    (tmp_path / FILE).write_text("{not json")
    damaged = Progress.open(tmp_path)
    assert "could not be read" in damaged.problem and not damaged.lessons
    assert (tmp_path / (FILE + ".damaged")).read_text() == "{not json"


def test_cli_lists_shows_and_checks(capsys, tmp_path):
    assert main(["lesson", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [x["name"] for x in listed] == LESSONS
    assert {"name", "title", "number", "designs", "views", "settings", "exercise"} <= set(listed[0])
    assert main(["lesson", "show", "xor"]) == 0
    out = capsys.readouterr().out
    assert "Perceptron vs MLP on XOR" in out and "Exercise:" in out and "lr=0.05" in out
    design = tmp_path / "p.json"
    design.write_text(dumps(load_template("perceptron_xor")))
    assert main(["lesson", "check", "xor", "--design", str(design), "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["passed"] is False and result["criteria"][0]["label"] == "test accuracy" and result["hint"]
    assert main(["lesson", "check", "nope"]) == 2
    assert "known: xor" in capsys.readouterr().err
    assert main(["lesson", "show"]) == 2


def test_the_family_table_gives_the_depths_the_papers_quote():
    rows = {r["network"]: r for r in measure.family(["alexnet", "vgg16", "googlenet", "resnet18", "resnet50",
                                                     "densenet121"])}  # fmt: skip
    assert {k: r["depth"] for k, r in rows.items()} == {"AlexNet": 8, "VGG-16": 16, "GoogLeNet (Inception v1)": 22,
                                                        "ResNet-18": 18, "ResNet-50": 50, "DenseNet-121": 121}  # fmt: skip
    assert rows["ResNet-18"]["parameters"] == 11_689_512 and rows["VGG-16"]["MACs"] > rows["ResNet-50"]["MACs"]


def test_the_bottleneck_is_the_narrowest_layer_and_the_mode_count_has_a_limit():
    from builder.plan import plan

    assert measure.bottleneck(plan(load_template("autoencoder"))) == "code"
    assert measure.bottleneck(plan(load_template("autoencoder_2d"))) == "code"
    with pytest.raises(ValueError, match="between 1 and"):
        measure.gan_modes(plan(load_template("gan_2d")), None, "ring", n=10**7)
    view = measure.outlier_errors(max_outliers=5, size=10.0)
    assert view["outliers"] == [0, 1, 2, 3, 4, 5] and view["mae"][0] < 0.5
    assert view["rmse"][5] / view["rmse"][0] > view["mae"][5] / view["mae"][0]  # outliers weigh more in RMSE
