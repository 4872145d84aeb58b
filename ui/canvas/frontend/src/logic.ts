// Pure logic of the canvas, kept apart from React so it is unit-tested (vitest).

export type PortSpec = { min: number; max: number | null; names: string[] };
export type PaletteItem = { type: string; category: string; doc: string; inputs: PortSpec; outputs?: string[] };
export type DesignNode = {
  id: string; type: string; params: Record<string, unknown>; position?: { x: number; y: number };
  repeat?: number;
  trainable?: boolean;  // false: frozen (its weights stay as they are in training)
  frame?: { w: number; h: number; shown?: string };  // a block instance expanded in place: drawn as a frame
  parent?: string;  // a node of an expanded instance's block, drawn inside its frame (read-only)
};
export type DesignEdge = { source: string; target: string; target_port?: number; source_port?: number };

/** The output handles a node shows: one ("out") for a layer; one per Output of its block for an instance with
 * several ("out" for port 0, then "out-1", "out-2", …), named after the block's Output nodes. */
export function outputPorts(spec: PaletteItem | undefined): { port: number; name: string; handle: string }[] {
  const names = spec?.outputs && spec.outputs.length > 1 ? spec.outputs : [""];
  return names.map((name, port) => ({ port, name, handle: outHandle(port) }));
}

/** The id of output port `port`'s handle (port 0 keeps the plain "out"). */
export function outHandle(port: number): string {
  return port ? `out-${port}` : "out";
}

/** The output port a handle id names: "out" → 0, "out-2" → 2. */
export function handlePort(handle: string | null | undefined): number {
  const m = /^out-(\d+)$/.exec(handle ?? "");
  return m ? Number(m[1]) : 0;
}

/** The input handles a node shows: fixed ports by name; variadic merges show every connected port plus one free. */
export function inputPorts(spec: PortSpec, connected: number[]): { port: number; name: string }[] {
  let count: number;
  if (spec.max === null) count = Math.max(spec.min, (connected.length ? Math.max(...connected) + 1 : 0) + 1);
  else count = spec.max;
  return Array.from({ length: count }, (_, port) => ({ port, name: spec.names[port] ?? String(port) }));
}

/** Is `to` reachable from `from` along edges? */
export function reaches(edges: DesignEdge[], from: string, to: string): boolean {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === to) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(next.get(n) ?? []));
  }
  return false;
}

/** Why a connection is structurally impossible, or null when it may be made. */
export function refuseReason(
  nodes: DesignNode[], edges: DesignEdge[], source: string, target: string, port: number,
): string | null {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const src = byId.get(source), dst = byId.get(target);
  if (!src || !dst) return "both ends must be nodes of the design";
  if (source === target) return `'${source}' cannot feed itself`;
  if (dst.type === "Input") return `Input '${target}' takes no inputs: connect '${source}' to a layer instead`;
  if (src.type === "Output") return `Output '${source}' ends the model and cannot feed '${target}'`;
  if (reaches(edges, target, source)) return `'${source}' → '${target}' would close a cycle ('${target}' already feeds '${source}')`;
  const taken = edges.find((e) => e.target === target && (e.target_port ?? 0) === port);
  if (taken) return `port ${port} of '${target}' is already connected from '${taken.source}': delete that edge first`;
  return null;
}

/** The node a search text names: its exact id, else the first id starting with it, else the first containing it
 * (case-insensitive), or undefined. */
export function findNode<T extends { id: string }>(nodes: T[], text: string): T | undefined {
  const q = text.trim().toLowerCase();
  if (!q) return undefined;
  return nodes.find((n) => n.id === text.trim()) ?? nodes.find((n) => n.id.toLowerCase() === q)
    ?? nodes.find((n) => n.id.toLowerCase().startsWith(q)) ?? nodes.find((n) => n.id.toLowerCase().includes(q));
}

/** The canvas's keyboard and mouse shortcuts, as shown in its shortcuts list. */
export const SHORTCUTS: [string, string][] = [
  ["Ctrl+Z", "undo"], ["Ctrl+Shift+Z / Ctrl+Y", "redo"], ["Delete / Backspace", "delete the selected nodes or edge"],
  ["Ctrl+C, Ctrl+V", "copy and paste the selected nodes"], ["Shift+click", "select several nodes"],
  ["Shift+drag", "select the nodes in a region"], ["Z", "zoom to the selected nodes (a region)"], ["F", "fit the whole design in view"], ["+ / −", "zoom in, zoom out"],
  ["L", "auto-layout to fit the canvas"], ["/", "find a node by id"], ["?", "show or hide this list"],
  ["Ctrl+G", "make a block of the selected nodes"], ["Ctrl+Shift+G", "ungroup the selected block instance"],
  ["double-click a block", "enter it: edit the block's own graph (every instance changes)"],
  ["scroll, drag", "zoom, pan"], ["drag a layer", "from the palette onto the canvas (or click it)"],
  ["drag out → in", "from a node's right handle to another's left handle to connect"],
];

/** "(N, 6, 28, 28)" from [6, 28, 28]. */
export function fmtShape(shape: number[] | null | undefined): string {
  return shape ? `(N, ${shape.join(", ")})`.replace("(N, )", "(N)") : "?";
}

export type NodeReport = { shape: number[] | null; params: number; issues: string[]; warnings: string[]; face: string; detail: string;
  shapes?: (number[] | null)[] };  // an instance with several outputs: each port's shape
export type FlowArgs = {
  design: { nodes: DesignNode[]; edges: DesignEdge[] };
  report: Record<string, NodeReport>;
  palette: PaletteItem[];
  selected: string | null;
};

/** The design as React Flow nodes and edges: one handle per input port, edges labelled with the source's shape. */
export function toFlow(args: FlowArgs) {
  const specs = new Map(args.palette.map((p) => [p.type, p]));
  const nodes = args.design.nodes.map((n, i) => ({
    id: n.id, type: n.frame ? "frame" : "layer", position: n.position ?? { x: 40 + 220 * (i % 5), y: 40 + 120 * Math.floor(i / 5) },
    selected: n.id === args.selected,
    ...(n.frame ? { style: { width: n.frame.w, height: n.frame.h }, zIndex: -1 } : {}),
    ...(n.parent ? { parentId: n.parent, extent: "parent" as const, draggable: false, connectable: false, deletable: false } : {}),
    data: { node: n, report: args.report[n.id], spec: specs.get(n.type),
            connected: args.design.edges.filter((e) => e.target === n.id).map((e) => e.target_port ?? 0) },
  }));
  const edges = args.design.edges.map((e) => {
    const from = args.report[e.source], port = e.source_port ?? 0;
    return {
      id: `${e.source}->${e.target}:${e.target_port ?? 0}`, source: e.source, target: e.target, sourceHandle: outHandle(port),
      targetHandle: `in-${e.target_port ?? 0}`, type: "shape", label: fmtShape(from?.shapes ? from.shapes[port] : from?.shape),
    };
  });
  return { nodes, edges };
}
