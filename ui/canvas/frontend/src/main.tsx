// The LayerLoom canvas: a Streamlit component (iframe protocol v1) on React Flow.
// Python holds the design and is the single source of truth: every edit is sent as an action, Python applies
// and validates it, and sends back the design with shapes and issues.
import { createRoot } from "react-dom/client";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import {
  Background, BaseEdge, Controls, EdgeLabelRenderer, Handle, MiniMap, Position, ReactFlow, ReactFlowProvider,
  getBezierPath, useReactFlow, type Connection, type Edge, type EdgeProps, type Node, type NodeProps,
} from "@xyflow/react";
import dagre from "@dagrejs/dagre";
import "@xyflow/react/dist/style.css";
import { fmtShape, inputPorts, keyParams, refuseReason, toFlow, type DesignEdge, type DesignNode, type NodeReport, type PaletteItem } from "./logic";

type Args = {
  design: { nodes: DesignNode[]; edges: DesignEdge[] };
  report: Record<string, NodeReport>;
  palette: PaletteItem[];
  selected: string | null;
  version: number;
  height: number;
};

// -- Streamlit's component protocol (a few postMessage calls) ----------------------------------------------------
const post = (type: string, data: object) => window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
let seq = 0;
function sendAction(action: object) {
  seq += 1;
  post("streamlit:setComponentValue", { value: { seq, nonce: `${Date.now()}-${seq}`, ...action }, dataType: "json" });
}

// -- nodes and edges ------------------------------------------------------------------------------------------------
type LayerData = ReturnType<typeof toFlow>["nodes"][number]["data"];

function LayerNode({ data, selected }: NodeProps<Node<LayerData>>) {
  const { node, report, spec, connected } = data;
  const issues = report?.issues ?? [];
  const warnings = report?.warnings ?? [];
  const ports = node.type === "Input" || !spec ? [] : inputPorts(spec.inputs, connected);
  const bad = issues.length > 0;
  const border = bad ? "#d93025" : selected ? "#1a73e8" : warnings.length ? "#f29900" : "#9aa0a6";
  return (
    <div data-testid={`node-${node.id}`} title={[...issues, ...warnings].join("\n") || spec?.doc}
      data-state={bad ? "error" : warnings.length ? "warning" : "ok"}
      style={{ padding: "6px 10px", borderRadius: 8, minWidth: 150, fontSize: 12, background: bad ? "#fdecea" : "#fff",
               border: `2px solid ${border}` }}>
      {ports.map(({ port, name }) => (
        <Handle key={port} id={`in-${port}`} type="target" position={Position.Left} data-testid={`handle-in-${node.id}-${port}`}
          title={`input ${port}${name !== String(port) ? ` (${name})` : ""}`}
          style={{ top: `${((port + 1) * 100) / (ports.length + 1)}%`, width: 10, height: 10, background: "#5f6368" }} />
      ))}
      <div style={{ fontWeight: 600 }}>{node.type}</div>
      <div style={{ color: "#5f6368" }}>{node.id}</div>
      <div style={{ color: "#3c4043", maxWidth: 220, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
        {keyParams(node.params)}
      </div>
      <div style={{ fontFamily: "monospace" }}>{fmtShape(report?.shape)}</div>
      {bad && <div data-testid={`issue-${node.id}`} style={{ color: "#d93025", fontWeight: 600 }}>⚠ {issues.length} issue{issues.length > 1 ? "s" : ""}</div>}
      {node.type !== "Output" && (
        <Handle id="out" type="source" position={Position.Right} data-testid={`handle-out-${node.id}`}
          style={{ width: 10, height: 10, background: "#1a73e8" }} />
      )}
    </div>
  );
}

function ShapeEdge({ id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, label, markerEnd }: EdgeProps) {
  const [path, x, y] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} />
      <EdgeLabelRenderer>
        <div data-testid={`edge-label-${source}-${target}`} className="nodrag nopan"
          style={{ position: "absolute", transform: `translate(-50%, -50%) translate(${x}px, ${y}px)`, fontSize: 10,
                   fontFamily: "monospace", background: "#f1f3f4", padding: "1px 4px", borderRadius: 4 }}>
          {label}
        </div>
      </EdgeLabelRenderer>
    </>
  );
}

const nodeTypes = { layer: LayerNode };
const edgeTypes = { shape: ShapeEdge };

function layout(args: Args): Record<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 30, ranksep: 70 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of args.design.nodes) g.setNode(n.id, { width: 180, height: 90 });
  for (const e of args.design.edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  return Object.fromEntries(args.design.nodes.map((n) => {
    const p = g.node(n.id);
    return [n.id, { x: Math.round(p.x - 90), y: Math.round(p.y - 45) }];
  }));
}

// -- the editor -----------------------------------------------------------------------------------------------------
function Palette({ items, onAdd }: { items: PaletteItem[]; onAdd: (type: string) => void }) {
  const [query, setQuery] = useState("");
  const shown = items.filter((i) => !query || i.type.toLowerCase().includes(query.toLowerCase()) || i.doc.toLowerCase().includes(query.toLowerCase()));
  const groups = [...new Set(shown.map((i) => i.category))];
  return (
    <div style={{ width: 170, overflowY: "auto", borderRight: "1px solid #dadce0", padding: 6, fontSize: 12 }}>
      <input data-testid="palette-search" placeholder="Search layers" value={query} onChange={(e) => setQuery(e.target.value)}
        style={{ width: "95%", marginBottom: 6 }} />
      {groups.map((g) => (
        <div key={g}>
          <div style={{ fontWeight: 600, margin: "6px 0 2px" }}>{g}</div>
          {shown.filter((i) => i.category === g).map((i) => (
            <div key={i.type} data-testid={`palette-${i.type}`} title={i.doc} draggable
              onDragStart={(e: DragEvent) => { e.dataTransfer.setData("application/layerloom", i.type); e.dataTransfer.effectAllowed = "move"; }}
              onClick={() => onAdd(i.type)}
              style={{ padding: "3px 6px", margin: "2px 0", border: "1px solid #dadce0", borderRadius: 4, cursor: "grab", background: "#fff" }}>
              {i.type}
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}

function Editor({ args }: { args: Args }) {
  const flow = useMemo(() => toFlow(args), [args]);
  const [nodes, setNodes] = useState(flow.nodes);
  const [message, setMessage] = useState<string | null>(null);
  const { screenToFlowPosition, fitView } = useReactFlow();
  const prevSelected = useRef(args.selected);
  useEffect(() => {
    // keep the user's local (multi-)selection across redraws, unless Python selected another node (an issue click)
    const changed = prevSelected.current !== args.selected;
    prevSelected.current = args.selected;
    setNodes((old) => {
      const kept = new Map(old.map((n) => [n.id, n.selected]));
      return flow.nodes.map((n) => ({ ...n, selected: changed ? n.selected : (kept.get(n.id) ?? n.selected) }));
    });
  }, [flow, args.selected]);

  const onNodesChange = useCallback((changes: any[]) => {
    // moves and selection stay local until the drag ends; Python hears about it then
    setNodes((ns) => ns.map((n) => {
      const c = changes.find((ch) => ch.id === n.id);
      if (!c) return n;
      if (c.type === "position" && c.position) return { ...n, position: c.position };
      if (c.type === "select") return { ...n, selected: c.selected };
      return n;
    }));
  }, []);
  const add = useCallback((type: string, position?: { x: number; y: number }) => {
    const k = args.design.nodes.length % 8;  // click-added nodes cascade instead of piling up
    sendAction({ action: "add", type, position: position ?? screenToFlowPosition({ x: 320 + 40 * k, y: 120 + 70 * k }) });
  }, [screenToFlowPosition, args]);
  const onConnect = useCallback((c: Connection) => {
    const port = Number((c.targetHandle ?? "in-0").slice(3));
    const reason = refuseReason(args.design.nodes, args.design.edges, c.source!, c.target!, port);
    if (reason) { setMessage(`Cannot connect: ${reason}`); return; }
    setMessage(null);
    sendAction({ action: "connect", source: c.source, target: c.target, target_port: port });
  }, [args]);
  const onDrop = useCallback((e: DragEvent) => {
    e.preventDefault();
    const type = e.dataTransfer.getData("application/layerloom");
    if (type) add(type, screenToFlowPosition({ x: e.clientX, y: e.clientY }));
  }, [add, screenToFlowPosition]);
  const removeSelected = useCallback(() => {
    const ids = nodes.filter((n) => n.selected).map((n) => n.id);
    if (ids.length) sendAction({ action: "delete", nodes: ids, edges: [] });
  }, [nodes]);
  useEffect(() => {
    const t = setTimeout(() => fitView({ padding: 0.1 }), 50);  // another design was loaded: show all of it
    return () => clearTimeout(t);
  }, [args.version, fitView]);
  const [clipboard, setClipboard] = useState<string[]>([]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || (e.target as HTMLElement)?.tagName === "INPUT") return;
      const key = e.key.toLowerCase();
      if (key === "z") { e.preventDefault(); sendAction({ action: e.shiftKey ? "redo" : "undo" }); }
      if (key === "c") setClipboard(nodes.filter((n) => n.selected).map((n) => n.id));
      if (key === "v" && clipboard.length) sendAction({ action: "paste", nodes: clipboard, offset: 40 });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [nodes, clipboard]);
  const button = { marginRight: 6, fontSize: 12 };
  return (
    <div style={{ display: "flex", height: args.height, fontFamily: "sans-serif" }}>
      <Palette items={args.palette} onAdd={(t) => add(t)} />
      <div style={{ flex: 1, display: "flex", flexDirection: "column" }}>
        <div style={{ padding: 4, borderBottom: "1px solid #dadce0" }}>
          <button style={button} data-testid="undo" onClick={() => sendAction({ action: "undo" })}>Undo</button>
          <button style={button} data-testid="redo" onClick={() => sendAction({ action: "redo" })}>Redo</button>
          <button style={button} data-testid="delete" onClick={removeSelected}>Delete selected</button>
          <button style={button} data-testid="layout" onClick={() => sendAction({ action: "move", positions: layout(args) })}>Auto-layout</button>
          <button style={button} data-testid="fit" onClick={() => fitView()}>Fit view</button>
          {message && <span data-testid="canvas-message" style={{ color: "#d93025", fontSize: 12 }}>{message}</span>}
        </div>
        <div style={{ flex: 1 }} onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }}>
          <ReactFlow nodes={nodes} edges={flow.edges} nodeTypes={nodeTypes} edgeTypes={edgeTypes} onNodesChange={onNodesChange}
            onConnect={onConnect} fitView minZoom={0.1} deleteKeyCode={["Delete", "Backspace"]}
            onNodesDelete={(ns) => sendAction({ action: "delete", nodes: ns.map((n) => n.id), edges: [] })}
            onEdgesDelete={(es) => sendAction({ action: "delete", nodes: [], edges: es.map((e) => ({ source: e.source, target: e.target, target_port: Number((e.targetHandle ?? "in-0").slice(3)) })) })}
            onNodeDragStop={(_, __, dragged) => sendAction({ action: "move", positions: Object.fromEntries(dragged.map((n) => [n.id, { x: Math.round(n.position.x), y: Math.round(n.position.y) }])) })}
            onNodeClick={(e, n) => { if (!e.shiftKey && n.id !== args.selected) sendAction({ action: "select", id: n.id }); }}
            selectionKeyCode="Shift" multiSelectionKeyCode="Shift">
            <Background />
            <Controls />
            <MiniMap pannable zoomable />
          </ReactFlow>
        </div>
      </div>
    </div>
  );
}

function App() {
  const [args, setArgs] = useState<Args | null>(null);
  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      if (e.data?.type === "streamlit:render") {
        setArgs(e.data.args as Args);
        post("streamlit:setFrameHeight", { height: (e.data.args as Args).height });
      }
    };
    window.addEventListener("message", onMessage);
    post("streamlit:componentReady", { apiVersion: 1 });
    return () => window.removeEventListener("message", onMessage);
  }, []);
  if (!args) return <div style={{ padding: 20, fontFamily: "sans-serif" }}>Loading the canvas…</div>;
  return <ReactFlowProvider><Editor args={args} /></ReactFlowProvider>;
}

createRoot(document.getElementById("root")!).render(<App />);
