"""Every template: up to date, valid without warnings, shapes equal a real forward pass, exact param counts."""

import json

import pytest
import torch

from builder import build_model, generate, validate
from builder.design import dumps
from builder.probes.capture import forward_locals
from builder.templates import TEMPLATE_DIR, all_templates, build_all, list_templates, load_template
from builder.templates.graph import Graph, TemplateError
from tests.util import random_inputs, template_designs

TEMPLATES = all_templates()
# what torchvision's models have (their source, ../shared/reference/torchvision/): the templates declare it
TORCHVISION_PARAMS = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032, "vgg16": 138_357_544, "vgg11": 132_863_336, "alexnet": 61_100_840,
                      "googlenet": 6_624_904, "densenet121": 7_978_856, "mobilenet_v2": 3_504_872}  # fmt: skip
NAMES = sorted(TEMPLATES)
DESIGNS = template_designs()


def test_template_files_are_what_the_generator_writes():
    built = build_all()
    assert sorted(p.stem for p in TEMPLATE_DIR.glob("*.json")) == sorted(built)
    for name, design in built.items():
        assert (TEMPLATE_DIR / f"{name}.json").read_text() == dumps(design), f"run python -m builder.templates ({name})"


def test_gallery_lists_every_template_with_a_description():
    items = list_templates()
    assert len(items) == len(NAMES) >= 25
    for t in items:
        assert len(t.description) > 80 and t.title, t.name
    with pytest.raises(KeyError, match="no template named"):
        load_template("../README")


@pytest.mark.parametrize("name", sorted(TORCHVISION_PARAMS))
def test_imagenet_templates_have_torchvision_parameter_counts(name):
    assert TEMPLATES[name].params == TORCHVISION_PARAMS[name]  # declared where the template is defined
    assert validate(load_template(name)).params == TORCHVISION_PARAMS[name]


def test_every_declared_parameter_count_holds():
    declared = {name: t.params for name, t in TEMPLATES.items() if t.params is not None}
    assert set(declared) == set(TORCHVISION_PARAMS)
    assert all(validate(load_template(name)).params == n for name, n in declared.items())


def test_a_template_with_a_misspelt_parameter_fails_where_it_is_written():
    g = Graph("t")
    x = g.Input(id="x", shape=[1, 8, 8])
    assert g.Conv2d(x, out_channels=4, kernel_size=3) == "conv2d1"  # the registry's types are methods
    with pytest.raises(TemplateError, match="Conv2d has no parameter 'out_chanels'. Did you mean 'out_channels'"):
        g.Conv2d(x, out_chanels=4, kernel_size=3)
    with pytest.raises(TemplateError, match="no layer type 'Conv2D'; did you mean 'Conv2d'"):
        g.add("Conv2D", x)
    with pytest.raises(TemplateError, match="kernel_size"):
        g.Conv2d(x, out_channels=4, kernel_size=0)
    with pytest.raises(AttributeError):
        g.NotALayer  # noqa: B018


@pytest.mark.parametrize("name,design", DESIGNS, ids=[label for label, _ in DESIGNS])
def test_template_shapes_equal_a_real_forward_pass(name, design):
    report = validate(design)
    assert report.valid and not report.issues, report.issues
    model = build_model(design, seed=0).eval()
    assert sum(p.numel() for p in model.parameters()) == report.params
    gen = model.layerloom
    inputs = random_inputs(design, batch=1 if name in TORCHVISION_PARAMS else 3)
    if report.hierarchical:  # blocks: every layer's module, by its path, through a forward hook
        from builder.probes.capture import module_of

        seen, hooks = {}, []
        for nid in report.order:
            m = module_of(model, nid)
            if m is not None and report.flat.node(nid).type != "Output":
                hooks.append(m.register_forward_hook(lambda mod, a, out, nid=nid: seen.__setitem__(nid, out)))
        with torch.no_grad():
            model(*inputs)
        for h in hooks:
            h.remove()
        assert len(seen) == len(hooks) > 0.5 * len(report.order)
        for nid, value in seen.items():
            assert tuple(value.shape[1:]) == report.nodes[nid].shape, nid
        return
    with torch.no_grad():
        values = forward_locals(model, *inputs)
    checked = 0
    for nid in report.order:
        if design.node(nid).type == "Output":
            continue
        value = values[gen.attrs[nid]]
        assert tuple(value.shape[1:]) == report.nodes[nid].shape, nid
        assert str(value.dtype) == f"torch.{report.nodes[nid].dtype}", nid
        checked += 1
    assert checked == len([n for n in design.nodes if n.type != "Output"])


def test_templates_round_trip_through_json():
    for t in list_templates():
        d = t.load()
        assert json.loads(dumps(d)) == d.to_dict()
        assert all(generate(net).source for _, net in t.designs())  # generates without error


# what each small template shows with its own training settings (test split): (metric, op, threshold)
TEACHES = {
    "perceptron_xor": ("accuracy", "<=", 0.75),  # a line cannot split XOR
    "mlp_xor": ("accuracy", ">=", 0.95),
    "lenet5": ("accuracy", ">=", 0.97),
    "lenet5_modern": ("accuracy", ">=", 0.97),
    "deep_sigmoid_mlp": ("accuracy", "<=", 0.3),  # vanishing gradients: SGD does not move it
    "deep_relu_mlp": ("accuracy", "<=", 0.3),
    "deep_residual_mlp": ("accuracy", ">=", 0.85),
    "digits_mlp": ("accuracy", ">=", 0.95),
    "overfit_mlp": ("accuracy", ">=", 0.7),  # (its best epoch; the lesson judges the last one's gap)
    "overfit_mlp_dropout": ("accuracy", ">=", 0.75),
    "digits_cnn": ("accuracy", ">=", 0.95),
    "cnn28": ("accuracy", ">=", 0.95),
    "resnet_mini": ("accuracy", ">=", 0.88),
    "textcnn": ("accuracy", ">=", 0.9),
    "embedding_bag": ("accuracy", "<=", 0.85),  # an average of word vectors cannot see negation
    "rnn_classifier": ("accuracy", ">=", 0.95),
    "lstm_classifier": ("accuracy", ">=", 0.95),
    "bilstm_classifier": ("accuracy", ">=", 0.95),
    "gru_classifier": ("accuracy", ">=", 0.95),
    "self_attention": ("accuracy", ">=", 0.95),
    "attention_nopos": ("accuracy", "<=", 0.5),  # attention alone does not know where a token stands
    "attention_reverse": ("accuracy", ">=", 0.95),
    "transformer_classifier": ("accuracy", ">=", 0.8),
    "lstm_forecaster": ("r2", ">=", 0.9),
    "gru_forecaster": ("r2", ">=", 0.9),
    "plain_cnn": ("accuracy", "<=", 0.2),  # 15 plain convolutions: SGD does not get it off the ground
    "residual_cnn": ("accuracy", ">=", 0.9),
    "rnn_adding": ("r2", "<=", 0.2),  # a plain RNN forgets the first marked value: it predicts the average
    "lstm_adding": ("r2", ">=", 0.9),
    "logistic_rare": ("f1", "<=", 0.6),  # 95% accuracy, the rare class never found
    "mlp_rare": ("f1", ">=", 0.8),
    "autoencoder_2d": ("mse", "<=", 0.038),
    "autoencoder": ("mse", "<=", 0.05),
    "item_popularity": ("rmse", ">=", 0.9),  # the same items for everyone: about the average's error
    "matrix_factorization": ("rmse", "<=", 0.6),
    "pixel_classifier": ("iou", "<=", 0.6),  # one pixel's brightness: no threshold gets past ~0.55
    "encoder_decoder": ("iou", ">=", 0.8),
    "denoising_autoencoder": ("mse", "<=", 0.05),
    "vae": ("mse", "<=", 0.05),
}
# trained by their lesson instead (GANs: lesson 12), or
# ImageNet-size with no bundled data of their size: they carry their published recipe (checked below)
NOT_TRAINED_HERE = {"gan_2d", "gan_2d_small", "dcgan", "dcgan_generator", "dcgan_discriminator", "alexnet", "vgg11",
                    "vgg16", "googlenet", "resnet18", "resnet34", "resnet50", "densenet121", "mobilenet_v2"}  # fmt: skip


def test_every_template_carries_training_settings_and_is_either_trained_here_or_says_why_not():
    from builder.train.config import resolve_config

    names = {t.name for t in list_templates()}
    assert set(TEACHES) | NOT_TRAINED_HERE == names and not set(TEACHES) & NOT_TRAINED_HERE
    halves = {"dcgan_generator", "dcgan_discriminator"}  # one network of a GAN: the dcgan pair carries the settings
    assert load_template("dcgan").training["task"] == "gan"
    for name in names - halves:
        design = load_template(name)
        assert design.training, name
        nets = design.networks.values() if design.multi else [design]
        for net in nets:
            net.training = design.training
            assert not resolve_config(net)[1], name  # the settings are valid ones


@pytest.mark.parametrize("name", sorted(TEACHES))
def test_a_template_teaches_its_lesson_with_its_own_settings(name, tmp_path):
    from builder.lessons import Criterion
    from builder.train import train

    metric, op, threshold = TEACHES[name]
    result = train(load_template(name), {"probe_every": 0}, workspace=tmp_path)
    assert result.status == "finished", result.message
    c = Criterion(metric, result.metrics["test"][metric], op, threshold)
    assert c.passed, f"{name}: {c.text}"
