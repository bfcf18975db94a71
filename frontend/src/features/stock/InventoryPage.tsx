import { Button, Card, InputGroup, Intent, Tree, type TreeNodeInfo } from "@blueprintjs/core";
import { useMemo, useState } from "react";
import { Link } from "react-router";
import { EmptyState } from "@/components/EmptyState";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { formatScu } from "@/lib/format";
import { useItems, useLocations } from "@/lib/lookups";
import { useOrgId } from "@/lib/org";
import { useMyId } from "@/lib/me";
import { useCan } from "@/lib/role";
import { useStock, type StockRow } from "./api";
import { AdjustDialog, ReserveDialog, SharingDialog, TransferDialog, WhereIsDialog } from "./dialogs";
import { StockTable } from "./StockTable";
import { buildTree, matchesSearch, rowActions, subtreeIds, type TreeNode } from "./tree";

function toTreeNodes(nodes: TreeNode[], expanded: Set<string>, selected: string | null): TreeNodeInfo<string>[] {
  return nodes.map((n) => ({
    id: n.location.id,
    nodeData: n.location.id,
    label: n.location.name,
    secondaryLabel: (
      <span className="qm-muted" title={`Cargo volume of the ${n.rows} stock row(s) here and below; pieces without a volume count as 0 SCU`}>
        {formatScu(n.volume)}
      </span>
    ),
    icon: n.location.kind === "ship_cargo" ? "airplane" : n.location.owner === "universe" ? "globe" : "home",
    isExpanded: expanded.has(n.location.id),
    isSelected: selected === n.location.id,
    hasCaret: n.children.length > 0,
    childNodes: toTreeNodes(n.children, expanded, selected),
  }));
}

function ownerName(row: StockRow): string {
  const who = row.owner_name ?? "member";
  return row.shared_with_org_id ? `${who} (shared)` : who;
}

export default function InventoryPage() {
  const orgId = useOrgId();
  const stock = useStock(orgId);
  const items = useItems(orgId);
  const locations = useLocations(orgId);
  const writable = useCan(orgId, "write");
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [adjustOpen, setAdjustOpen] = useState(false);
  const [moving, setMoving] = useState<StockRow | null>(null);
  const [reserving, setReserving] = useState<StockRow | null>(null);
  const [sharing, setSharing] = useState<{ row: StockRow; action: "share" | "withdraw" } | null>(null);
  const [whereOpen, setWhereOpen] = useState(false);
  const myId = useMyId();

  const rows = useMemo(() => stock.data ?? [], [stock.data]);
  const tree = useMemo(() => buildTree(locations.locations, rows, items.byId), [locations.locations, rows, items.byId]);
  const treeNodes = useMemo(() => toTreeNodes(tree, expanded, selected), [tree, expanded, selected]);
  const visible = useMemo(() => {
    const inside = selected ? subtreeIds(locations.locations, selected) : null;
    return rows.filter((r) => (!inside || inside.has(r.location_id)) && matchesSearch(items.byId.get(r.item_id), search));
  }, [rows, selected, search, items.byId, locations.locations]);
  const holding = locations.locations.filter((l) => l.owner !== "universe");

  const rowButtons = (row: StockRow, name: string) => {
    const may = rowActions(row, myId);
    return (
      <>
        <Button small minimal icon="swap-horizontal" aria-label={`Move ${name}`} title="Move" onClick={() => setMoving(row)} />
        {may.reserve && <Button small minimal icon="lock" aria-label={`Reserve ${name}`} title="Reserve" onClick={() => setReserving(row)} />}
        {may.share && (
          <Button small minimal icon="share" aria-label={`Share ${name} with the org`} title="Share with the org" onClick={() => setSharing({ row, action: "share" })} />
        )}
        {may.withdraw && (
          <Button small minimal icon="undo" aria-label={`Withdraw ${name} from the org`} title="Withdraw from the org" onClick={() => setSharing({ row, action: "withdraw" })} />
        )}
      </>
    );
  };

  const loading = stock.isPending || items.isPending || locations.isPending;
  return (
    <div className="qm-page">
      <PageHeader
        title="Inventory"
        actions={
          <>
            <Button icon="search-around" text="Where is…" onClick={() => setWhereOpen(true)} />
            {writable && (
              <Button intent={Intent.PRIMARY} icon="add" text="Adjust stock" onClick={() => setAdjustOpen(true)} disabled={holding.length === 0} />
            )}
          </>
        }
      >
        <InputGroup
          leftIcon="search"
          aria-label="Search stock by item name or alias"
          placeholder="Search by name or alias…"
          value={search}
          onValueChange={setSearch}
          className="qm-search"
        />
      </PageHeader>
      {loading ? (
        <SkeletonRows rows={8} />
      ) : holding.length === 0 ? (
        <EmptyState
          icon="map-marker"
          title="No place to keep stock yet"
          next="Start by adding a hangar or a ship: stock always lives somewhere."
          action={<Link to={`/orgs/${orgId}/places`}>Add a location</Link>}
        />
      ) : rows.length === 0 ? (
        <EmptyState
          icon="box"
          title="No stock yet"
          next="Record what the org holds with “Adjust stock”; next, set a goal."
          action={writable ? <Button intent={Intent.PRIMARY} text="Adjust stock" onClick={() => setAdjustOpen(true)} /> : undefined}
        />
      ) : (
        <div className="qm-split">
          <Card className="qm-tree-card" aria-label="Locations">
            <Button small minimal text="All locations" active={selected === null} onClick={() => setSelected(null)} />
            <Tree<string>
              contents={treeNodes}
              onNodeClick={(n) => setSelected(n.nodeData ?? null)}
              onNodeExpand={(n) => setExpanded((s) => new Set(s).add(String(n.id)))}
              onNodeCollapse={(n) =>
                setExpanded((s) => {
                  const next = new Set(s);
                  next.delete(String(n.id));
                  return next;
                })
              }
            />
          </Card>
          <div className="qm-grow">
            <p className="qm-muted" aria-live="polite">{visible.length} of {rows.length} rows</p>
            <StockTable
              rows={visible}
              items={items.byId}
              locations={locations.byId}
              ownerName={ownerName}
              actions={writable ? (row, item) => rowButtons(row, item?.name ?? "stock") : undefined}
            />
          </div>
        </div>
      )}
      <AdjustDialog orgId={orgId} open={adjustOpen} onClose={() => setAdjustOpen(false)} items={items.items} locations={holding} />
      <TransferDialog
        orgId={orgId}
        row={moving}
        onClose={() => setMoving(null)}
        item={moving ? items.byId.get(moving.item_id) : undefined}
        locations={holding}
      />
      <ReserveDialog orgId={orgId} row={reserving} onClose={() => setReserving(null)} item={reserving ? items.byId.get(reserving.item_id) : undefined} />
      <SharingDialog orgId={orgId} target={sharing} onClose={() => setSharing(null)} item={sharing ? items.byId.get(sharing.row.item_id) : undefined} />
      <WhereIsDialog orgId={orgId} open={whereOpen} onClose={() => setWhereOpen(false)} items={items.items} />
    </div>
  );
}
