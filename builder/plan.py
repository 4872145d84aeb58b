"""A checked plan of a design: validated once, its source generated once, passed to every later stage.

Training, probes, dataset checks, every export and the pages take a :class:`Plan` rather than a raw design, so
one action validates once and generates once (before, one training start validated 4 times and one Export
click 6–7). A plan is a snapshot: it copies the design, so editing the design afterwards does not change it.
Everything derived from the report is computed on first use and kept::

    p = plan(design)          # validates (never raises)
    p.report.issues           # every issue, as validate() gives them
    p.source                  # the generated model source (DesignError if the design has errors)
    model = p.new_model(seed=0)
"""

from __future__ import annotations

import copy
import functools
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .design import Design, load_design
from .validate import DesignError, Validation, combine, validate

if TYPE_CHECKING:
    from torch import nn

    from .codegen import Generated


@dataclass(frozen=True, eq=False)
class Plan:
    design: Design  # the plan's own copy
    report: Validation  # a file of several networks: theirs combined ('network/node' ids)
    networks: dict[str, Plan] = field(default_factory=dict)  # a file of several networks: one plan each

    @property
    def valid(self) -> bool:
        return self.report.valid

    @property
    def multi(self) -> bool:
        return bool(self.networks)

    @property
    def flat(self) -> Design:
        """The graph the report's node ids refer to: the design itself, or for a design with blocks the unrolled
        one (node ids are paths such as ``layer2/0/conv1``). Stages that look at layers use this."""
        return self.report.flat or self.design

    @functools.cached_property
    def unrolled(self) -> Plan:
        """The plan of :attr:`flat` (itself for a design without blocks): a model in which every layer, inside
        blocks too, is one attribute named after its path — for stages that look at each layer's value."""
        return plan(self.flat) if self.report.hierarchical else self

    @property
    def inputs(self) -> list[str]:
        """Input node ids, in the order of the model's forward arguments."""
        return self.design.input_ids

    @property
    def outputs(self) -> list[str]:
        """Output node ids, in the order the model returns them."""
        return self.design.output_ids

    def shape(self, node_id: str) -> tuple[int, ...] | None:
        """One sample's shape at ``node_id`` (without the batch dim)."""
        return self.report.nodes[node_id].shape

    def require(self) -> Plan:
        """The plan itself; DesignError with every issue when the design has errors."""
        if not self.valid:
            raise DesignError(self.report.issues)
        return self

    @functools.cached_property
    def generated(self) -> Generated:
        from .codegen import generate

        self._one_network()
        return generate(self.design, self.require().report)

    @property
    def source(self) -> str:
        return self.generated.source

    @functools.cached_property
    def model_class(self) -> type[nn.Module]:
        from .budget import check_build
        from .compile import load_source

        check_build(self.report)  # weights that do not fit are refused before torch allocates them
        return load_source(self.generated)

    def new_model(self, seed: int | None = None) -> nn.Module:
        """A fresh model (same seed -> same initial weights; the caller's random state is left alone), holding
        the design's own ``weights`` (imported or pretrained) for every layer they still fit: after an edit (a new
        head for other classes, say) the changed layers start fresh and the rest keep theirs."""
        model = self.initial_model(seed)
        if self.design.weights is not None:
            from .export.state import read_weights

            own = model.state_dict()
            state = read_weights(self.design.weights)
            fits = {k: v for k, v in state.items() if k in own and tuple(own[k].shape) == tuple(v.shape)}
            model.load_state_dict(fits, strict=False)
        return model

    def initial_model(self, seed: int | None = None) -> nn.Module:
        """A randomly initialised model, whatever weights the design carries."""
        import torch

        cls = self.model_class
        if seed is None:
            return cls()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return cls()

    def load(self, weights) -> nn.Module:
        """A model with ``weights`` (a state_dict, a checkpoint, or a file of either; checked strictly)."""
        from .export.state import load_into

        return load_into(weights, self)

    def network(self, name: str) -> Plan:
        return self.networks[name]

    def _one_network(self) -> None:
        if self.multi:
            names = ", ".join(self.networks)
            raise ValueError(f"this file holds several networks ({names}); build one: design.networks['<name>']")


def plan(design: Design | Plan | str | os.PathLike | dict) -> Plan:
    """The checked plan of ``design`` (a plan is returned as it is; a path, JSON text or dict is loaded first).
    Never raises for an invalid design: the report says what is wrong, and the stages that need a valid one
    raise DesignError."""
    if isinstance(design, Plan):
        return design
    if not isinstance(design, Design):
        return _plan(load_design(design))
    # (not from_dict: a design built in Python is checked by validate; its weights are shared, not copied)
    return _plan(copy.deepcopy(design, {id(design.weights): design.weights}))


def _plan(design: Design) -> Plan:
    if design.multi:
        nets = {name: _plan(net) for name, net in design.networks.items()}
        return Plan(design, combine({name: p.report for name, p in nets.items()}), nets)
    return Plan(design, validate(design))


def build_model(design: Design | Plan, seed: int | None = None) -> nn.Module:
    """Build the design's model by executing its generated source. Same seed -> same initial weights (the
    caller's random state is left alone). Raises DesignError for an invalid design, MemoryBudgetError when its
    weights exceed the free memory. Several models of one design: ``plan(design).new_model(seed)``."""
    return plan(design).new_model(seed)
