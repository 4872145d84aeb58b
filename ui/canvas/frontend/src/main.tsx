// The LayerLoom canvas: a Streamlit component (iframe protocol v1) on React Flow.
// Python holds the design and is the single source of truth: every edit is sent as an action, Python applies
// and validates it, and sends back the design with shapes, issues and where each node sits (builder/layout.py).
import { createRoot } from "react-dom/client";
import { memo, useCallback, useEffect, useMemo, useRef, useState, type CSSProperties, type DragEvent, type ReactNode } from "react";
import {
  Background, BaseEdge, EdgeLabelRenderer, Handle, MiniMap, Position, ReactFlow, ReactFlowProvider,
  getBezierPath, getNodesBounds, getViewportForBounds, useNodesInitialized, useReactFlow, useStore, type Connection, type EdgeProps, type Node,
  type NodeProps, type ReactFlowState,
} from "@xyflow/react";
import { toPng, toSvg } from "html-to-image";
import "@xyflow/react/dist/style.css";
import {
  SHORTCUTS, findNode, fmtShape, handlePort, inputPorts, outputPorts, refuseReason, toFlow, type DesignEdge, type DesignNode,
  type NodeReport,
  type PaletteItem,
} from "./logic";

type Theme = { primaryColor?: string; backgroundColor?: string; secondaryBackgroundColor?: string; textColor?: string; font?: string; base?: string };
type Args = {
  design: { nodes: DesignNode[]; edges: DesignEdge[] };
  report: Record<string, NodeReport>;
  palette: PaletteItem[];
  selected: string | null;
  version: string;  // another design (or network) is open: the canvas starts afresh and fits it in view
  height: number;  // the least height; the canvas grows to the bottom of the window
  node_size: { w: number; h: number };
  notice: string | null;  // Python's answer to the last action (a refusal), shown until the next action
  name: string;  // the design's name, for downloaded pictures
};

// -- Streamlit's component protocol (a few postMessage calls) ----------------------------------------------------
const post = (type: string, data: object) => window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
let seq = 0;
// Streamlit keeps only a component's latest value: two values sent before Python reads the first lose the first.
// So the canvas's size rides along with every action, and is sent on its own only when no action was sent for a
// while (a lost size report is harmless; a lost edit is not).
let paneSize: { width: number; height: number } | null = null;
let lastSent = 0;
const QUIET_MS = 2000;
function sendAction(action: object) {
  seq += 1;
  lastSent = Date.now();
  post("streamlit:setComponentValue", { value: { seq, nonce: `${Date.now()}-${seq}`, view: paneSize, ...action }, dataType: "json" });
}

/** The app's own fonts (the iframe does not inherit the page's @font-face rules; it is same-origin, so copy them). */
function adoptFonts() {
  try {
    const rules: string[] = [];
    for (const sheet of Array.from(window.parent.document.styleSheets)) {
      const base = sheet.href || window.parent.location.href;  // font URLs are relative to their stylesheet
      try {
        for (const r of Array.from(sheet.cssRules)) {
          if (r.cssText.startsWith("@font-face")) rules.push(r.cssText.replace(/url\("?([^")]+)"?\)/g, (_, u) => `url("${new URL(u, base).href}")`));
        }
      } catch { /* a cross-origin sheet */ }
    }
    const style = document.createElement("style");
    style.textContent = rules.join("\n");
    document.head.appendChild(style);
  } catch { /* not embedded: keep the fallback fonts */ }
}

/** How tall the canvas can be: down to the bottom of the window (at least ``min``). */
function fitHeight(min: number): number {
  try {
    const frame = window.frameElement as HTMLElement | null;
    if (!frame) return min;
    const top = frame.getBoundingClientRect().top + window.parent.scrollY;
    return Math.max(min, Math.round(window.parent.innerHeight - top - 12));
  } catch { return min; }
}

// -- look -----------------------------------------------------------------------------------------------------------
type Look = { accent: string; select: string; text: string; muted: string; panel: string; bg: string; line: string; font: string; error: string; warn: string };
function look(t: Theme): Look {
  return {
    // selection and outputs in blue: the theme's primary colour is red here, and red on the canvas means an error
    accent: t.primaryColor || "#ff4b4b", select: "#1a73e8", text: t.textColor || "#31333f", muted: "#6b6f7b",
    panel: t.secondaryBackgroundColor || "#f0f2f6", bg: t.backgroundColor || "#ffffff", line: "#d6d8de",
    font: t.font || '"Source Sans", "Source Sans Pro", sans-serif', error: "#d93025", warn: "#b26a00",
  };
}

// Material icons (Apache 2.0), 24×24 paths
const ICONS: Record<string, string> = {
  undo: "M12.5 8c-2.65 0-5.05.99-6.9 2.6L2 7v9h9l-3.62-3.62c1.39-1.16 3.16-1.88 5.12-1.88 3.54 0 6.55 2.31 7.6 5.5l2.37-.78C21.08 11.03 17.15 8 12.5 8z",
  redo: "M18.4 10.6C16.55 8.99 14.15 8 11.5 8c-4.65 0-8.58 3.03-9.96 7.22L3.9 16c1.05-3.19 4.05-5.5 7.6-5.5 1.95 0 3.73.72 5.12 1.88L13 16h9V7l-3.6 3.6z",
  delete: "M6 19c0 1.1.9 2 2 2h8c1.1 0 2-.9 2-2V7H6v12zM19 4h-3.5l-1-1h-5l-1 1H5v2h14V4z",
  layout: "M22 11V3h-7v3H9V3H2v8h7V8h2v10h4v3h7v-8h-7v3h-2V8h2v3z",
  fit: "M15 3l2.3 2.3-2.89 2.87 1.42 1.42L18.7 6.7 21 9V3zM3 9l2.3-2.3 2.87 2.89 1.42-1.42L6.7 5.3 9 3H3zm6 12l-2.3-2.3 2.89-2.87-1.42-1.42L5.3 17.3 3 15v6zm12-6l-2.3 2.3-2.87-2.89-1.42 1.42 2.89 2.87L15 21h6z",
  plus: "M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6v2z",
  minus: "M19 13H5v-2h14v2z",
  focus: "M5 15H3v4c0 1.1.9 2 2 2h4v-2H5v-4zM5 5h4V3H5c-1.1 0-2 .9-2 2v4h2V5zm14-2h-4v2h4v4h2V5c0-1.1-.9-2-2-2zm0 16h-4v2h4c1.1 0 2-.9 2-2v-4h-2v4zM12 8c-2.21 0-4 1.79-4 4s1.79 4 4 4 4-1.79 4-4-1.79-4-4-4z",
  zoom: "M15.5 14h-.79l-.28-.27C15.41 12.59 16 11.11 16 9.5 16 5.91 13.09 3 9.5 3S3 5.91 3 9.5 5.91 16 9.5 16c1.61 0 3.09-.59 4.23-1.57l.27.28v.79l5 4.99L20.49 19l-4.99-5zm-6 0C7.01 14 5 11.99 5 9.5S7.01 5 9.5 5 14 7.01 14 9.5 11.99 14 9.5 14zm2.5-4h-2v2H9v-2H7V9h2V7h1v2h2v1z",
  svg: "M19 9h-4V3H9v6H5l7 7 7-7zM5 18v2h14v-2H5z",
  png: "M21 19V5c0-1.1-.9-2-2-2H5c-1.1 0-2 .9-2 2v14c0 1.1.9 2 2 2h14c1.1 0 2-.9 2-2zM8.5 13.5l2.5 3.01L14.5 12l4.5 6H5l3.5-4.5z",
  group: "M3 5v4h2V5h4V3H5c-1.1 0-2 .9-2 2zm2 10H3v4c0 1.1.9 2 2 2h4v-2H5v-4zm14 4h-4v2h4c1.1 0 2-.9 2-2v-4h-2v4zm0-16h-4v2h4v4h2V5c0-1.1-.9-2-2-2zM8 8h8v8H8z",
  ungroup: "M3 5v4h2V5h4V3H5c-1.1 0-2 .9-2 2zm2 10H3v4c0 1.1.9 2 2 2h4v-2H5v-4zm14 4h-4v2h4c1.1 0 2-.9 2-2v-4h-2v4zm0-16h-4v2h4v4h2V5c0-1.1-.9-2-2-2zM8 8h3v3H8zm5 5h3v3h-3z",
  keys: "M20 5H4c-1.1 0-1.99.9-1.99 2L2 17c0 1.1.9 2 2 2h16c1.1 0 2-.9 2-2V7c0-1.1-.9-2-2-2zm-9 3h2v2h-2V8zm0 3h2v2h-2v-2zM8 8h2v2H8V8zm0 3h2v2H8v-2zm-1 2H5v-2h2v2zm0-3H5V8h2v2zm9 7H8v-2h8v2zm0-4h-2v-2h2v2zm0-3h-2V8h2v2zm3 3h-2v-2h2v2zm0-3h-2V8h2v2z",
};

function IconButton({ icon, label, testid, onClick, L }: { icon: string; label: string; testid: string; onClick: () => void; L: Look }) {
  const [hover, setHover] = useState(false);
  return (
    <button data-testid={testid} title={label} aria-label={label} onClick={onClick}
      onMouseEnter={() => setHover(true)} onMouseLeave={() => setHover(false)}
      style={{ display: "inline-flex", alignItems: "center", justifyContent: "center", width: 32, height: 32, marginRight: 2,
               border: `1px solid ${hover ? L.accent : "transparent"}`, borderRadius: 8, background: hover ? L.panel : "transparent",
               color: hover ? L.accent : L.text, cursor: "pointer", padding: 0 }}>
      <svg width="20" height="20" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d={ICONS[icon]} /></svg>
    </button>
  );
}

// -- nodes and edges ------------------------------------------------------------------------------------------------
type LayerData = ReturnType<typeof toFlow>["nodes"][number]["data"] & { L: Look; size: { w: number; h: number }; toggle?: (id: string) => void };

// Below this zoom a node's text would be under 4 px: nodes draw only their type and state, and edges drop their
// shape labels (a fitted DenseNet-121 then has a third of the DOM to redraw). Zoom in and everything is back.
const DETAIL_ZOOM = 0.3;
const zoomedOut = (s: ReactFlowState) => s.transform[2] < DETAIL_ZOOM;  // a boolean: re-renders only on crossing

// A node's output handles: one for a layer, one per Output of its block (named in the tooltip) for an instance
// with several; port 0 keeps the test id handle-out-<id>, port k is handle-out-<id>-<k>.
function OutHandles({ node, spec, L }: { node: DesignNode; spec: PaletteItem | undefined; L: Look }) {
  const outs = outputPorts(spec);
  return (
    <>
      {outs.map(({ port, name, handle }) => (
        <Handle key={handle} id={handle} type="source" position={Position.Right}
          data-testid={port ? `handle-out-${node.id}-${port}` : `handle-out-${node.id}`}
          title={outs.length > 1 ? `output ${port} (${name})` : undefined}
          style={{ top: `${((port + 1) * 100) / (outs.length + 1)}%`, width: 10, height: 10, background: L.select }} />
      ))}
    </>
  );
}

const LayerNode = memo(function LayerNode({ data, selected }: NodeProps<Node<LayerData>>) {
  const { node, report, spec, connected, L, size } = data;
  const overview = useStore(zoomedOut);
  const issues = report?.issues ?? [];
  const warnings = report?.warnings ?? [];
  const ports = node.type === "Input" || !spec ? [] : inputPorts(spec.inputs, connected);
  const bad = issues.length > 0;
  const block = spec?.category === "Blocks";  // an instance of one of the design's blocks
  const repeat = (node as { repeat?: number }).repeat;
  const stack = repeat && repeat > 1 ? `, 4px 4px 0 -1px ${L.bg}, 4px 4px 0 0 #a3a8b4, 8px 8px 0 -1px ${L.bg}, 8px 8px 0 0 #a3a8b4` : "";
  const border = bad ? L.error : selected ? L.select : warnings.length ? L.warn : "#a3a8b4";
  const line: CSSProperties = { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" };
  return (
    <div data-testid={`node-${node.id}`} title={[...issues, ...warnings].join("\n") || `${node.type} '${node.id}'\n${report?.detail ?? ""}\n\n${spec?.doc ?? ""}`}
      data-state={bad ? "error" : warnings.length ? "warning" : "ok"}
      data-block={block ? "instance" : undefined}
      style={{ boxSizing: "border-box", width: size.w, maxHeight: size.h, padding: "5px 10px", borderRadius: 8, fontSize: 12, lineHeight: "15px",
               fontFamily: L.font, color: L.text, background: bad ? "#fdecea" : block ? "#eef3fd" : L.bg,
               border: `2px ${block ? "double" : "solid"} ${border}`,
               boxShadow: (selected ? `0 0 0 3px ${L.select}55` : "0 1px 2px #0000001a") + stack }}>
      {ports.map(({ port, name }) => (
        <Handle key={port} id={`in-${port}`} type="target" position={Position.Left} data-testid={`handle-in-${node.id}-${port}`}
          title={`input ${port}${name !== String(port) ? ` (${name})` : ""}`}
          style={{ top: `${((port + 1) * 100) / (ports.length + 1)}%`, width: 10, height: 10, background: "#5f6368" }} />
      ))}
      {overview ? (
        <div style={{ ...line, fontWeight: 700, fontSize: 30, lineHeight: "60px", height: 60 }}>
          {bad && <span data-testid={`issue-${node.id}`} style={{ color: L.error }}>⚠ </span>}{node.type}
        </div>
      ) : (
        <>
          <div style={{ ...line, fontWeight: 700, fontSize: 13, lineHeight: "17px" }}>
            {block && <button data-testid={`expand-${node.id}`} className="nodrag" title="Expand in place: show the block's graph here (double-click the node to edit it)"
              aria-label="Expand in place" onClick={(e) => { e.stopPropagation(); data.toggle?.(node.id); }}
              style={{ border: "none", background: "none", cursor: "pointer", color: L.select, fontSize: 12, padding: "0 3px 0 0" }}>▸</button>}
            {block && <span title="A block: double-click to edit its graph" style={{ color: L.select }}>▣ </span>}{node.type}
            {repeat ? <span data-testid={`repeat-${node.id}`} style={{ color: L.select }}> ×{repeat}</span> : null}
            {node.trainable === false && <span data-testid={`frozen-${node.id}`} title="Frozen: its weights stay as they are while the rest trains (fine-tuning). Untick trainable in its form to train it again."
              style={{ color: L.select, fontWeight: 400 }}> ❄ frozen</span>}
          </div>
          <div style={{ ...line, color: L.muted }}>{node.id}</div>
          {report?.face && <div data-testid={`face-${node.id}`} style={line}>{report.face}</div>}
          <div style={{ ...line, fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace", fontSize: 12 }}>{fmtShape(report?.shape)}</div>
          {bad && <div data-testid={`issue-${node.id}`} style={{ color: L.error, fontWeight: 700 }}>⚠ {issues.length} issue{issues.length > 1 ? "s" : ""}</div>}
        </>
      )}
      {node.type !== "Output" && <OutHandles node={node} spec={spec} L={L} />}
    </div>
  );
});

const ShapeEdge = memo(function ShapeEdge({ id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, label, markerEnd, selected }: EdgeProps) {
  const [path, x, y] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const overview = useStore(zoomedOut);
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} style={selected ? { stroke: "#1f6feb", strokeWidth: 3 } : undefined} />
      {!overview && <EdgeLabelRenderer>
        <div data-testid={`edge-label-${source}-${target}`} data-selected={selected ? "true" : "false"} className="nodrag nopan"
          style={{ position: "absolute", transform: `translate(-50%, -50%) translate(${x}px, ${y}px)`, fontSize: 11, zIndex: 1001,
                   fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace", padding: "1px 4px", borderRadius: 4,
                   background: selected ? "#d6e4ff" : "#eef0f4", outline: selected ? "2px solid #1f6feb" : "none" }}>
          {label}
        </div>
      </EdgeLabelRenderer>}
    </>
  );
});

// A block instance expanded in place: a frame holding its block's graph (its nodes are children, read-only), with
// the instance's own ports on its border; ▾ folds it back.
const FrameNode = memo(function FrameNode({ data, selected }: NodeProps<Node<LayerData>>) {
  const { node, report, spec, connected, L } = data;
  const ports = spec ? inputPorts(spec.inputs, connected) : [];
  const issues = report?.issues ?? [];
  const border = issues.length ? L.error : selected ? L.select : "#7f8fb0";
  return (
    <div data-testid={`node-${node.id}`} data-block="expanded" title={issues.join("\n") || `${node.type} '${node.id}' (expanded in place: double-click to edit the block)`}
      style={{ boxSizing: "border-box", width: "100%", height: "100%", borderRadius: 12, border: `2px dashed ${border}`,
               background: "#f3f6fc", fontFamily: L.font, color: L.text, fontSize: 12 }}>
      {ports.map(({ port, name }) => (
        <Handle key={port} id={`in-${port}`} type="target" position={Position.Left} data-testid={`handle-in-${node.id}-${port}`}
          title={`input ${port}${name !== String(port) ? ` (${name})` : ""}`}
          style={{ top: `${((port + 1) * 100) / (ports.length + 1)}%`, width: 10, height: 10, background: "#5f6368" }} />
      ))}
      <div style={{ display: "flex", alignItems: "center", gap: 6, padding: "6px 10px", borderBottom: `1px dashed ${L.line}` }}>
        <button data-testid={`expand-${node.id}`} className="nodrag" title="Fold back into one node" aria-label="Fold back into one node"
          onClick={(e) => { e.stopPropagation(); data.toggle?.(node.id); }}
          style={{ border: "none", background: "none", cursor: "pointer", color: L.select, fontSize: 14, padding: 0 }}>▾</button>
        <span style={{ fontWeight: 700, fontSize: 13 }}>▣ {node.type}{node.repeat ? ` ×${node.repeat}` : ""}{node.trainable === false ? " ❄ frozen" : ""}</span>
        <span style={{ color: L.muted }}>{node.id}{node.frame?.shown ? ` · ${node.frame.shown}` : ""}</span>
        <span style={{ marginLeft: "auto", fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace" }}>{fmtShape(report?.shape)}</span>
      </div>
      <OutHandles node={node} spec={spec} L={L} />
    </div>
  );
});

const nodeTypes = { layer: LayerNode, frame: FrameNode };
const edgeTypes = { shape: ShapeEdge };

// -- the editor -----------------------------------------------------------------------------------------------------
function Palette({ items, onAdd, L }: { items: PaletteItem[]; onAdd: (type: string) => void; L: Look }) {
  const [query, setQuery] = useState("");
  const q = query.toLowerCase();
  const shown = items.filter((i) => !q || i.type.toLowerCase().includes(q) || i.doc.toLowerCase().includes(q));
  const groups = [...new Set(shown.map((i) => i.category))];
  return (
    <div style={{ width: 160, flex: "none", overflowY: "auto", borderRight: `1px solid ${L.line}`, padding: "8px 8px", background: L.panel, boxSizing: "border-box" }}>
      <input data-testid="palette-search" placeholder="Search layers" aria-label="Search layers" value={query} onChange={(e) => setQuery(e.target.value)}
        style={{ width: "100%", boxSizing: "border-box", marginBottom: 6, padding: "6px 8px", border: `1px solid ${L.line}`, borderRadius: 8,
                 font: `14px ${L.font}`, color: L.text, background: L.bg, outline: "none" }} />
      {groups.map((g) => (
        <div key={g}>
          <div style={{ fontWeight: 700, fontSize: 12, letterSpacing: 0.3, textTransform: "uppercase", color: L.muted, margin: "10px 2px 4px" }}>{g}</div>
          {shown.filter((i) => i.category === g).map((i) => (
            <div key={i.type} data-testid={`palette-${i.type}`} title={`${i.doc}\n\nClick to add, or drag onto the canvas.`} draggable role="button"
              onDragStart={(e: DragEvent) => { e.dataTransfer.setData("application/layerloom", i.type); e.dataTransfer.effectAllowed = "move"; }}
              onClick={() => onAdd(i.type)}
              onMouseEnter={(e) => { e.currentTarget.style.borderColor = L.accent; }} onMouseLeave={(e) => { e.currentTarget.style.borderColor = L.line; }}
              style={{ padding: "4px 8px", margin: "3px 0", border: `1px solid ${L.line}`, borderRadius: 8, cursor: "grab", background: L.bg,
                       fontSize: 14, color: L.text, userSelect: "none" }}>
              {i.type}
            </div>
          ))}
        </div>
      ))}
      {!shown.length && <div style={{ color: L.muted, fontSize: 13 }}>No layer matches “{query}”.</div>}
    </div>
  );
}

function Shortcuts({ L, onClose }: { L: Look; onClose: () => void }) {
  return (
    <div data-testid="shortcuts" role="dialog" aria-label="Keyboard shortcuts"
      style={{ position: "absolute", right: 12, top: 48, zIndex: 20, background: L.bg, border: `1px solid ${L.line}`, borderRadius: 10,
               boxShadow: "0 4px 16px #0003", padding: "10px 14px", fontSize: 13, color: L.text, width: 330 }}>
      <div style={{ display: "flex", justifyContent: "space-between", fontWeight: 700, marginBottom: 6 }}>
        Keyboard and mouse <button onClick={onClose} aria-label="Close" style={{ border: "none", background: "none", cursor: "pointer", fontSize: 16, color: L.muted }}>×</button>
      </div>
      <table style={{ borderCollapse: "collapse", width: "100%" }}><tbody>
        {SHORTCUTS.map(([keys, what]) => (
          <tr key={keys}><td style={{ padding: "2px 8px 2px 0", whiteSpace: "nowrap" }}><kbd style={{ fontFamily: "ui-monospace, monospace", fontSize: 12, background: L.panel, border: `1px solid ${L.line}`, borderRadius: 4, padding: "0 4px" }}>{keys}</kbd></td>
            <td style={{ padding: "2px 0" }}>{what}</td></tr>
        ))}
      </tbody></table>
    </div>
  );
}

function download(url: string, name: string) {
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Fits the design in view once its nodes are measured: once per mount, i.e. once per opened design (React Flow's
 * fitView prop would fit again whenever Python redraws, undoing the user's zoom and every jump to a node). A child
 * of its own, so the store updates it listens to re-render only it, not the editor. */
function FitOnce() {
  const measured = useNodesInitialized();
  const { fitView } = useReactFlow();
  const fitted = useRef(false);
  useEffect(() => {
    if (measured && !fitted.current) { fitted.current = true; fitView({ padding: 0.05, maxZoom: 1 }); }
  }, [measured, fitView]);
  return null;
}

/** The edge as the delete action names it. */
const edgeRef = (e: { source: string; target: string; targetHandle?: string | null }) =>
  ({ source: e.source, target: e.target, target_port: Number((e.targetHandle ?? "in-0").slice(3)) });

function Editor({ args, L }: { args: Args; L: Look }) {
  const expand = useCallback((id: string) => sendAction({ action: "expand", id }), []);
  // a redraw keeps the objects of every node and edge that did not change, so React and React Flow re-render only
  // what an edit touched (a 429-node DenseNet redraws a handful of nodes, not all of them)
  const cache = useRef(new Map<string, { key: string; value: any }>());
  const flow = useMemo(() => {
    const f = toFlow(args);
    const keep = <T extends { id: string }>(kind: string, item: T, key: string): T => {
      const hit = cache.current.get(kind + item.id);
      if (hit && hit.key === key) return hit.value as T;
      cache.current.set(kind + item.id, { key, value: item });
      return item;
    };
    const nodes = f.nodes.map((n) => {
      Object.assign(n.data, { L, size: args.node_size, toggle: expand });
      // the minimap draws only nodes with known sizes, and a controlled node object from Python has none measured
      Object.assign(n, { initialWidth: args.node_size.w, initialHeight: Math.round(args.node_size.h * 0.8) });
      const d = n.data;
      return keep("n:", n, JSON.stringify([n.position, n.selected, d.node, d.report, d.connected]));
    });
    const edges = f.edges.map((e) => keep("e:", e, JSON.stringify(e)));
    return { nodes, edges };
  }, [args, L, expand]);
  const [nodes, setNodes] = useState(flow.nodes);
  // edges are selected here (click one, Shift+click for more) and deleted with Delete or the toolbar's bin
  const [edgeSel, setEdgeSel] = useState<Set<string>>(() => new Set());
  const edges = useMemo(() => edgeSel.size ? flow.edges.map((e) => (edgeSel.has(e.id) ? { ...e, selected: true } : e)) : flow.edges,
    [flow.edges, edgeSel]);
  const onEdgesChange = useCallback((changes: any[]) => {
    if (!changes.some((c) => c.type === "select")) return;
    setEdgeSel((prev) => {
      const next = new Set(prev);
      for (const c of changes) if (c.type === "select") { if (c.selected) next.add(c.id); else next.delete(c.id); }
      return next;
    });
  }, []);
  const [message, setMessage] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  const [query, setQuery] = useState("");
  const pane = useRef<HTMLDivElement>(null);
  const { screenToFlowPosition, fitView, getNodes, zoomIn, zoomOut } = useReactFlow();
  // Python's redraw becomes the nodes in the same render (not in an effect after it, which drew every redraw twice,
  // the first time with new edges on old nodes), keeping the user's local (multi-)selection unless Python selected
  // another node (an issue click); a new notice from Python shows, until the next action
  const [seen, setSeen] = useState({ flow, selected: args.selected, notice: args.notice });
  if (seen.flow !== flow || seen.selected !== args.selected || seen.notice !== args.notice) {
    const changed = seen.selected !== args.selected;
    const kept = new Map(nodes.map((n) => [n.id, n.selected]));
    setNodes(flow.nodes.map((n) => {
      const selected = changed ? n.selected : (kept.get(n.id) ?? n.selected);
      return selected === n.selected ? n : { ...n, selected };  // unchanged nodes keep their object
    }));
    if (seen.notice !== args.notice) setMessage(args.notice);
    setSeen({ flow, selected: args.selected, notice: args.notice });
  }

  // every action the user makes clears the last message: it was about the previous action
  const act = useCallback((action: object) => { setMessage(null); sendAction(action); }, []);
  const say = useCallback((text: string) => setMessage(text), []);

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
    const box = pane.current?.getBoundingClientRect();
    act({ action: "add", type, position: position ?? screenToFlowPosition({ x: (box?.left ?? 0) + 60 + 40 * k, y: (box?.top ?? 0) + 40 + 50 * k }) });
  }, [screenToFlowPosition, args, act]);
  const onConnect = useCallback((c: Connection) => {
    const port = Number((c.targetHandle ?? "in-0").slice(3));
    const reason = refuseReason(args.design.nodes, args.design.edges, c.source!, c.target!, port);
    if (reason) { say(`Cannot connect: ${reason}`); return; }
    act({ action: "connect", source: c.source, target: c.target, target_port: port, source_port: handlePort(c.sourceHandle) });
  }, [args, act, say]);
  const onDrop = useCallback((e: DragEvent) => {
    e.preventDefault();
    const type = e.dataTransfer.getData("application/layerloom");
    if (type) add(type, screenToFlowPosition({ x: e.clientX, y: e.clientY }));
  }, [add, screenToFlowPosition]);
  const selectedIds = useCallback(() => nodes.filter((n) => n.selected).map((n) => n.id), [nodes]);
  const removeSelected = useCallback(() => {
    const ids = selectedIds();
    const es = edges.filter((e) => e.selected).map(edgeRef);
    if (ids.length || es.length) act({ action: "delete", nodes: ids, edges: es });
    else say("Nothing is selected: click a node or an edge (Shift+click or Shift+drag for several), then delete.");
  }, [selectedIds, edges, act, say]);
  const makeBlock = useCallback(() => {
    const ids = selectedIds();
    if (ids.length) act({ action: "group", nodes: ids });
    else say("Select the nodes to make a block of first: Shift+drag a box around them, or Shift+click them.");
  }, [selectedIds, act, say]);
  const ungroup = useCallback(() => {
    const ids = selectedIds().filter((id) => args.palette.some((p) => p.category === "Blocks" && p.type === args.design.nodes.find((n) => n.id === id)?.type));
    if (ids.length === 1) act({ action: "ungroup", id: ids[0] });
    else say("Select one block instance to ungroup.");
  }, [selectedIds, args, act, say]);
  const autoLayout = useCallback(() => {
    const box = pane.current?.getBoundingClientRect();
    act({ action: "layout", width: Math.round(box?.width ?? 860), height: Math.round(box?.height ?? 640) });
  }, [act]);
  const fitAll = useCallback(() => { setMessage(null); fitView({ padding: 0.05, maxZoom: 1, duration: 250 }); }, [fitView]);
  const zoomSelection = useCallback(() => {
    const ids = selectedIds();
    if (!ids.length) { say("Select the nodes to zoom to first: Shift+drag a box around them, or Shift+click them."); return; }
    setMessage(null);
    fitView({ nodes: ids.map((id) => ({ id })), padding: 0.15, maxZoom: 1.5, duration: 250 });
  }, [selectedIds, fitView, say]);
  const jump = useCallback((text: string) => {
    const found = findNode(args.design.nodes, text);
    if (!found) { say(`No node matches “${text}”.`); return; }
    setQuery(found.id);
    setMessage(null);
    fitView({ nodes: [{ id: found.id }], padding: 0.5, maxZoom: 1.2, duration: 250 });
    if (found.id !== args.selected) sendAction({ action: "select", id: found.id });
  }, [args, fitView, say]);
  const picture = useCallback(async (kind: "svg" | "png") => {
    const view = document.querySelector(".react-flow__viewport") as HTMLElement | null;
    const all = getNodes();
    if (!view || !all.length) { say("The canvas is empty: there is nothing to draw."); return; }
    const bounds = getNodesBounds(all);
    const pad = 40, scale = kind === "png" ? 2 : 1;
    const width = Math.min(8000, Math.ceil(bounds.width + 2 * pad)), height = Math.min(8000, Math.ceil(bounds.height + 2 * pad));
    const vp = getViewportForBounds(bounds, width, height, 0.05, 1, 0);
    const options = { backgroundColor: L.bg, width, height, pixelRatio: scale,
                      style: { width: `${width}px`, height: `${height}px`, transform: `translate(${vp.x}px, ${vp.y}px) scale(${vp.zoom})` } };
    try {
      const url = kind === "png" ? await toPng(view, options) : await toSvg(view, options);
      download(url, `${args.name || "design"}.${kind}`);
      setMessage(null);
    } catch (err) {
      say(`The picture could not be made: ${String(err)}`);
    }
  }, [getNodes, args.name, L, say]);

  useEffect(() => {
    // tell Python the flow area's size (once it settles, and after each resize): templates are laid out to fit it
    const el = pane.current;
    if (!el) return;
    let last = "", timer = 0;
    const report = () => {
      const { width, height } = el.getBoundingClientRect();
      if (width < 50 || height < 50) return;
      paneSize = { width: Math.round(width), height: Math.round(height) };
      const size = `${paneSize.width}x${paneSize.height}`;
      if (size === last) return;
      const quiet = Date.now() - lastSent;
      if (quiet < QUIET_MS) { timer = window.setTimeout(report, QUIET_MS - quiet + 50); return; }  // an edit may be in flight
      last = size;
      sendAction({ action: "view", ...paneSize });
    };
    const observer = new ResizeObserver(() => { clearTimeout(timer); timer = window.setTimeout(report, 400); });
    observer.observe(el);
    return () => { observer.disconnect(); clearTimeout(timer); };
  }, []);
  const [clipboard, setClipboard] = useState<string[]>([]);
  const search = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = ["INPUT", "TEXTAREA"].includes((e.target as HTMLElement)?.tagName);
      if (typing) return;
      const key = e.key.toLowerCase();
      if (e.ctrlKey || e.metaKey) {
        if (key === "z") { e.preventDefault(); act({ action: e.shiftKey ? "redo" : "undo" }); }
        if (key === "y") { e.preventDefault(); act({ action: "redo" }); }
        if (key === "c") setClipboard(selectedIds());
        if (key === "v" && clipboard.length) act({ action: "paste", nodes: clipboard, offset: 40 });
        if (key === "g") { e.preventDefault(); if (e.shiftKey) ungroup(); else makeBlock(); }
        return;
      }
      if (e.altKey) return;
      if (key === "f") fitAll();
      else if (key === "z") zoomSelection();
      else if (key === "l") autoLayout();
      else if (key === "/") { e.preventDefault(); search.current?.focus(); }
      else if (key === "?") setHelp((h) => !h);
      else if (key === "+" || key === "=") zoomIn({ duration: 150 });
      else if (key === "-") zoomOut({ duration: 150 });
      else if (key === "escape") setHelp(false);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [selectedIds, clipboard, act, fitAll, zoomSelection, autoLayout, zoomIn, zoomOut, makeBlock, ungroup]);

  const ids = useMemo(() => args.design.nodes.map((n) => n.id), [args.design.nodes]);
  return (
    <div style={{ display: "flex", height: "100%", fontFamily: L.font, color: L.text, border: `1px solid ${L.line}`, borderRadius: 10, overflow: "hidden", boxSizing: "border-box" }}>
      <Palette items={args.palette} onAdd={(t) => add(t)} L={L} />
      <div style={{ flex: 1, display: "flex", flexDirection: "column", position: "relative", minWidth: 0 }}>
        <div style={{ display: "flex", alignItems: "center", padding: "4px 6px", borderBottom: `1px solid ${L.line}`, gap: 2, background: L.bg }}>
          <IconButton L={L} icon="undo" testid="undo" label="Undo (Ctrl+Z)" onClick={() => act({ action: "undo" })} />
          <IconButton L={L} icon="redo" testid="redo" label="Redo (Ctrl+Shift+Z)" onClick={() => act({ action: "redo" })} />
          <IconButton L={L} icon="delete" testid="delete" label="Delete the selected nodes and edges (Delete)" onClick={removeSelected} />
          <IconButton L={L} icon="group" testid="make-block" label="Make a block of the selected nodes (Ctrl+G)" onClick={makeBlock} />
          <IconButton L={L} icon="ungroup" testid="ungroup" label="Ungroup the selected block instance (Ctrl+Shift+G)" onClick={ungroup} />
          <span style={{ width: 1, height: 22, background: L.line, margin: "0 6px" }} />
          <IconButton L={L} icon="layout" testid="layout" label="Auto-layout: arrange every node to fit this canvas (L)" onClick={autoLayout} />
          <IconButton L={L} icon="fit" testid="fit" label="Fit the whole design in view (F)" onClick={fitAll} />
          <IconButton L={L} icon="focus" testid="zoom-selection" label="Zoom to the selected nodes (Z); Shift+drag selects a region" onClick={zoomSelection} />
          <IconButton L={L} icon="plus" testid="zoom-in" label="Zoom in (+, or scroll)" onClick={() => zoomIn({ duration: 150 })} />
          <IconButton L={L} icon="minus" testid="zoom-out" label="Zoom out (−, or scroll)" onClick={() => zoomOut({ duration: 150 })} />
          <form onSubmit={(e) => { e.preventDefault(); jump(query); }} style={{ margin: "0 6px" }}>
            <input ref={search} data-testid="node-search" list="layerloom-node-ids" value={query} placeholder="Find a node by id  (/)" aria-label="Find a node by id"
              onChange={(e) => { setQuery(e.target.value); if (ids.includes(e.target.value)) jump(e.target.value); }}
              style={{ width: 190, padding: "5px 8px", border: `1px solid ${L.line}`, borderRadius: 8, font: `14px ${L.font}`, color: L.text, outline: "none" }} />
            <datalist id="layerloom-node-ids">{ids.slice(0, 2000).map((id) => <option key={id} value={id} />)}</datalist>
          </form>
          <span style={{ width: 1, height: 22, background: L.line, margin: "0 6px" }} />
          <IconButton L={L} icon="svg" testid="download-svg" label="Download the network as SVG (for slides and reports)" onClick={() => picture("svg")} />
          <IconButton L={L} icon="png" testid="download-png" label="Download the network as PNG (2× resolution)" onClick={() => picture("png")} />
          <IconButton L={L} icon="keys" testid="shortcuts-button" label="Keyboard shortcuts (?)" onClick={() => setHelp((h) => !h)} />
          {message && <span data-testid="canvas-message" role="status"
            style={{ marginLeft: 8, color: L.error, fontSize: 13, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap", minWidth: 0 }} title={message}>{message}</span>}
        </div>
        {help && <Shortcuts L={L} onClose={() => setHelp(false)} />}
        <div ref={pane} style={{ flex: 1, minHeight: 0 }} onDrop={onDrop} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = "move"; }}>
          <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} edgeTypes={edgeTypes} onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect} minZoom={0.05} maxZoom={2.5}
            deleteKeyCode={["Delete", "Backspace"]}
            onNodesDelete={(ns) => act({ action: "delete", nodes: ns.map((n) => n.id), edges: [] })}
            onEdgesDelete={(es) => act({ action: "delete", nodes: [], edges: es.map(edgeRef) })}
            onNodeDragStop={(_, __, dragged) => act({ action: "move", positions: Object.fromEntries(dragged.map((n) => [n.id, { x: Math.round(n.position.x), y: Math.round(n.position.y) }])) })}
            onNodeClick={(e, n) => { setMessage(null); if (!e.shiftKey && n.id !== args.selected) sendAction({ action: "select", id: n.id }); }}
            onNodeDoubleClick={(_, n) => {
              const d = n.data as LayerData;
              if (d.spec?.category === "Blocks" && !d.node.parent) act({ action: "enter", id: n.id });
            }}
            zoomOnDoubleClick={false}
            onPaneClick={() => setMessage(null)}
            selectionKeyCode="Shift" multiSelectionKeyCode="Shift" proOptions={{ hideAttribution: false }}>
            <Background gap={20} color="#d9dce3" />
            <FitOnce />
            {nodes.length > 30 && (  // a map of a big design; on a small one it would only hide nodes
              <MiniMap pannable zoomable position="bottom-right" nodeColor={(n) => ((n.data as LayerData).report?.issues?.length ? L.error : "#9aa0ac")}
                style={{ width: 160, height: 110, border: `1px solid ${L.line}` }} />
            )}
          </ReactFlow>
        </div>
      </div>
    </div>
  );
}

function Root({ children, height }: { children: ReactNode; height: number }) {
  return <div style={{ height, boxSizing: "border-box" }}>{children}</div>;
}

function App() {
  const [args, setArgs] = useState<Args | null>(null);
  const [theme, setTheme] = useState<Theme>({});
  const [height, setHeight] = useState(600);
  useEffect(() => {
    adoptFonts();
    const onMessage = (e: MessageEvent) => {
      if (e.data?.type === "streamlit:render") {
        setArgs(e.data.args as Args);
        if (e.data.theme) setTheme(e.data.theme as Theme);
      }
    };
    window.addEventListener("message", onMessage);
    post("streamlit:componentReady", { apiVersion: 1 });
    return () => window.removeEventListener("message", onMessage);
  }, []);
  useEffect(() => {
    if (!args) return;
    const resize = () => {
      const h = fitHeight(args.height);
      setHeight(h);
      post("streamlit:setFrameHeight", { height: h });
    };
    resize();
    const t = setTimeout(resize, 300);  // the page above may still be settling on the first render
    window.parent.addEventListener("resize", resize);
    return () => { clearTimeout(t); window.parent.removeEventListener("resize", resize); };
  }, [args]);  // the page above the canvas may have changed: stay down to the window's bottom
  const L = useMemo(() => look(theme), [theme]);
  if (!args) return <div style={{ padding: 20, fontFamily: "sans-serif" }}>Loading the canvas…</div>;
  return (
    <Root height={height}>
      {/* a new version (another design) starts the editor afresh: React Flow fits the new design in view */}
      <ReactFlowProvider key={args.version}><Editor args={args} L={L} /></ReactFlowProvider>
    </Root>
  );
}

createRoot(document.getElementById("root")!).render(<App />);
