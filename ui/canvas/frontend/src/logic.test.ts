import { describe, expect, it } from "vitest";
import { SHORTCUTS, findNode, fmtShape, handlePort, inputPorts, outputPorts, reaches, refuseReason, toFlow } from "./logic";

const nodes = [
  { id: "x", type: "Input", params: {} },
  { id: "a", type: "ReLU", params: {} },
  { id: "b", type: "Tanh", params: {} },
  { id: "add", type: "Add", params: {} },
  { id: "out", type: "Output", params: {} },
];
const edges = [{ source: "x", target: "a" }, { source: "a", target: "b" }, { source: "b", target: "add" }];

describe("ports", () => {
  it("shows fixed ports by name", () => {
    expect(inputPorts({ min: 2, max: 2, names: ["mu", "logvar"] }, [])).toEqual([{ port: 0, name: "mu" }, { port: 1, name: "logvar" }]);
    expect(inputPorts({ min: 1, max: 3, names: ["query", "key", "value"] }, [0]).length).toBe(3);
  });
  it("gives variadic merges one free port after the connected ones", () => {
    expect(inputPorts({ min: 2, max: null, names: [] }, []).length).toBe(2);
    expect(inputPorts({ min: 2, max: null, names: [] }, [0, 1]).length).toBe(3);
    expect(inputPorts({ min: 2, max: null, names: [] }, [0, 1, 2]).length).toBe(4);
  });
});

describe("output ports", () => {
  const split = { type: "Split", category: "Blocks", doc: "", inputs: { min: 1, max: 1, names: ["x"] }, outputs: ["left", "right"] };
  it("gives a layer one output and a block instance one per Output of its block", () => {
    expect(outputPorts(undefined)).toEqual([{ port: 0, name: "", handle: "out" }]);
    expect(outputPorts({ ...split, outputs: ["y"] }).length).toBe(1);
    expect(outputPorts(split)).toEqual([{ port: 0, name: "left", handle: "out" }, { port: 1, name: "right", handle: "out-1" }]);
  });
  it("reads the port back from a handle id", () => {
    expect(handlePort("out")).toBe(0);
    expect(handlePort("out-1")).toBe(1);
    expect(handlePort(null)).toBe(0);
    expect(handlePort("in-3")).toBe(0);
  });
  it("draws an edge from its source port, labelled with that port's shape", () => {
    const flow = toFlow({
      design: { nodes: [{ id: "s", type: "Split", params: {} }, { id: "r", type: "ReLU", params: {} }],
                edges: [{ source: "s", target: "r", source_port: 1 }] },
      report: { s: { shape: [4], shapes: [[4], [6]], params: 0, issues: [], warnings: [], face: "", detail: "" } },
      palette: [split], selected: null,
    });
    expect(flow.edges[0].sourceHandle).toBe("out-1");
    expect(flow.edges[0].label).toBe("(N, 6)");
  });
});

describe("connections", () => {
  it("finds reachability", () => {
    expect(reaches(edges, "x", "add")).toBe(true);
    expect(reaches(edges, "add", "x")).toBe(false);
  });
  it("refuses structurally impossible edges with a reason", () => {
    expect(refuseReason(nodes, edges, "b", "a", 0)).toMatch(/would close a cycle/);
    expect(refuseReason(nodes, edges, "a", "x", 0)).toMatch(/takes no inputs/);
    expect(refuseReason(nodes, edges, "out", "a", 0)).toMatch(/ends the model/);
    expect(refuseReason(nodes, edges, "a", "add", 0)).toMatch(/already connected from 'b'/);
    expect(refuseReason(nodes, edges, "a", "add", 1)).toBeNull();
    expect(refuseReason(nodes, edges, "a", "a", 0)).toMatch(/cannot feed itself/);
  });
});

describe("labels", () => {
  it("formats shapes and params", () => {
    expect(fmtShape([6, 28, 28])).toBe("(N, 6, 28, 28)");
    expect(fmtShape(null)).toBe("?");
  });
});

describe("finding a node", () => {
  const many = [{ id: "conv1" }, { id: "layer1_0_conv1" }, { id: "Conv10" }, { id: "fc" }];
  it("prefers the exact id, then a prefix, then a substring, ignoring case", () => {
    expect(findNode(many, "conv1")?.id).toBe("conv1");
    expect(findNode(many, "CONV10")?.id).toBe("Conv10");
    expect(findNode(many, "lay")?.id).toBe("layer1_0_conv1");
    expect(findNode(many, "0_conv")?.id).toBe("layer1_0_conv1");
    expect(findNode(many, "  fc ")?.id).toBe("fc");
    expect(findNode(many, "nope")).toBeUndefined();
    expect(findNode(many, "   ")).toBeUndefined();
  });
  it("lists every shortcut the canvas handles", () => {
    const keys = SHORTCUTS.map(([k]) => k).join(" ");
    for (const k of ["Ctrl+Z", "Delete", "Shift+drag", "F", "Z", "L", "/", "?"]) expect(keys).toContain(k);
  });
});

describe("serialization to React Flow", () => {
  it("maps ports to handles, labels edges with shapes and keeps positions and selection", () => {
    const flow = toFlow({
      design: { nodes: [{ id: "x", type: "Input", params: {}, position: { x: 5, y: 6 } }, { id: "add", type: "Add", params: {} }],
                edges: [{ source: "x", target: "add", target_port: 1 }] },
      report: { x: { shape: [3, 8, 8], params: 0, issues: [], warnings: [], face: "", detail: "" } },
      palette: [{ type: "Add", category: "Structure", doc: "", inputs: { min: 2, max: null, names: [] } }],
      selected: "add",
    });
    expect(flow.nodes[0].position).toEqual({ x: 5, y: 6 });
    expect(flow.nodes[1].selected).toBe(true);
    expect(flow.nodes[1].data.connected).toEqual([1]);
    expect(flow.edges[0]).toMatchObject({ targetHandle: "in-1", sourceHandle: "out", label: "(N, 3, 8, 8)" });
  });
});
