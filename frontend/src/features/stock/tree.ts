import type { Item, Location } from "@/lib/lookups";
import { toNumber } from "@/lib/format";
import type { StockRow } from "./api";

export interface TreeNode {
  location: Location;
  children: TreeNode[];
  /** Cargo volume (SCU) of the stock here and below. */
  volume: number;
  /** Stock rows here and below. */
  rows: number;
}

/** Volume in SCU of a quantity of an item (pieces have their own volume; SCU items are 1:1). */
export function volumeOf(item: Item | undefined, quantity: number): number {
  if (!item) return quantity;
  const perUnit = item.volume_scu !== null && item.volume_scu !== undefined ? toNumber(item.volume_scu) : item.unit === "piece" ? 0 : 1;
  return perUnit * quantity;
}

/**
 * The location tree pruned to what matters (places holding stock and the org's own places),
 * each node carrying its subtree totals.
 */
export function buildTree(locations: Location[], stock: StockRow[], items: Map<string, Item>): TreeNode[] {
  const byId = new Map(locations.map((l) => [l.id, l]));
  const own = new Map<string, { volume: number; rows: number }>();
  for (const row of stock) {
    const cur = own.get(row.location_id) ?? { volume: 0, rows: 0 };
    cur.volume += volumeOf(items.get(row.item_id), toNumber(row.quantity));
    cur.rows += 1;
    own.set(row.location_id, cur);
  }
  const keep = new Set<string>();
  const mark = (id: string | null | undefined) => {
    let cur = id ? byId.get(id) : undefined;
    while (cur && !keep.has(cur.id)) {
      keep.add(cur.id);
      cur = cur.parent_id ? byId.get(cur.parent_id) : undefined;
    }
  };
  for (const id of own.keys()) mark(id);
  for (const l of locations) if (l.owner !== "universe") mark(l.id);

  const nodes = new Map<string, TreeNode>();
  for (const id of keep) {
    const location = byId.get(id);
    if (location) nodes.set(id, { location, children: [], volume: own.get(id)?.volume ?? 0, rows: own.get(id)?.rows ?? 0 });
  }
  const roots: TreeNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.location.parent_id ? nodes.get(node.location.parent_id) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const total = (node: TreeNode): void => {
    node.children.sort((a, b) => a.location.name.localeCompare(b.location.name));
    for (const child of node.children) {
      total(child);
      node.volume += child.volume;
      node.rows += child.rows;
    }
  };
  roots.sort((a, b) => a.location.name.localeCompare(b.location.name));
  roots.forEach(total);
  return roots;
}

/** Ids of a location and everything below it. */
export function subtreeIds(locations: Location[], rootId: string): Set<string> {
  const children = new Map<string, string[]>();
  for (const l of locations) {
    if (!l.parent_id) continue;
    children.set(l.parent_id, [...(children.get(l.parent_id) ?? []), l.id]);
  }
  const out = new Set<string>([rootId]);
  const stack = [rootId];
  while (stack.length) {
    const id = stack.pop() as string;
    for (const c of children.get(id) ?? []) {
      if (!out.has(c)) {
        out.add(c);
        stack.push(c);
      }
    }
  }
  return out;
}

/** Rows whose item name, code or alias contains the query (case-insensitive). */
export function matchesSearch(item: Item | undefined, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  if (!item) return false;
  return (
    item.name.toLowerCase().includes(q) ||
    (item.code ?? "").toLowerCase().includes(q) ||
    (item.aliases ?? []).some((a) => a.alias.toLowerCase().includes(q))
  );
}

const collator = new Intl.Collator("en-GB", { sensitivity: "base", numeric: true });

/**
 * Stock rows as a person reads them: by item name, then location path, then quality (best
 * first), then id so equal rows keep a stable order across refetches. Returns a new array.
 */
export function sortStockRows(rows: StockRow[]): StockRow[] {
  return [...rows].sort(
    (a, b) =>
      collator.compare(a.item_name ?? a.item_id, b.item_name ?? b.item_id) ||
      collator.compare(a.location_path ?? a.location_id, b.location_path ?? b.location_id) ||
      b.quality - a.quality ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** What the caller may do with a stock row (the API refuses the rest). */
export function rowActions(row: StockRow, myId: string | undefined): { reserve: boolean; share: boolean; withdraw: boolean } {
  const mine = myId !== undefined && row.owner_user_id === myId;
  const shared = row.shared_with_org_id !== null && row.shared_with_org_id !== undefined;
  const orgVisible = row.organization_id !== null || shared;
  return {
    reserve: orgVisible && Number(row.available) > 0,
    share: mine && !shared,
    withdraw: mine && shared,
  };
}
