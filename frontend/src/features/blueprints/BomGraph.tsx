import dagre from "@dagrejs/dagre";
import { Background, Controls, ReactFlow, type Edge, type Node } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import type { BomEdge, BomNode } from "./bom";

const W = 200;
const H = 54;

function layout(nodes: BomNode[], edges: BomEdge[]): { nodes: Node[]; edges: Edge[] } {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 70 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: W, height: H });
  for (const e of edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  return {
    nodes: nodes.map((n) => {
      const p = g.node(n.id);
      return {
        id: n.id,
        position: { x: p.x - W / 2, y: p.y - H / 2 },
        data: { label: (<div><strong>{n.label}</strong><div className="qm-small">{n.detail}</div></div>) },
        className: n.kind === "blueprint" ? "qm-bom-bp" : "qm-bom-item",
        style: { width: W },
      };
    }),
    edges: edges.map((e) => ({ id: e.id, source: e.source, target: e.target, label: e.label, animated: false })),
  };
}

/** A blueprint's bill of materials laid out left (raw) to right (product) by dagre. */
export function BomGraph({ nodes, edges }: { nodes: BomNode[]; edges: BomEdge[] }) {
  const laid = useMemo(() => layout(nodes, edges), [nodes, edges]);
  return (
    <div className="qm-bom" aria-label="Bill of materials graph" role="figure">
      <ReactFlow nodes={laid.nodes} edges={laid.edges} fitView nodesDraggable={false} proOptions={{ hideAttribution: true }}>
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
