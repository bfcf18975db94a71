import { HTMLSelect, HTMLTable, InputGroup, Intent, Tag } from "@blueprintjs/core";
import { useMemo, useState } from "react";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { EmptyState } from "@/components/EmptyState";
import { Field } from "@/components/forms";
import { PageHeader } from "@/components/PageHeader";
import { ItemPicker } from "@/components/pickers";
import { SkeletonRows } from "@/components/Skeleton";
import { formatDateTime, formatQuality, formatQuantity, toNumber } from "@/lib/format";
import { itemLabel, locationLabel, useItems, useLocations } from "@/lib/lookups";
import { useOrgId } from "@/lib/org";
import { dayRange, useHistory, type HistoryFilter, type HistoryRow } from "./api";

const KINDS = ["", "add", "remove", "transfer_in", "transfer_out", "reserve", "release", "consume", "craft_output", "share", "unshare"];

/** Running total over time of the rows shown (oldest first). */
export function quantityOverTime(rows: HistoryRow[]): { t: string; quantity: number }[] {
  const sorted = [...rows].sort((a, b) => a.created_at.localeCompare(b.created_at));
  let total = 0;
  return sorted.map((r) => {
    total += toNumber(r.delta);
    return { t: formatDateTime(r.created_at), quantity: Math.round(total * 1000) / 1000 };
  });
}

export default function HistoryPage() {
  const orgId = useOrgId();
  const items = useItems(orgId);
  const locations = useLocations(orgId);
  const [itemId, setItemId] = useState("");
  const [kind, setKind] = useState<HistoryFilter["kind"]>("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const range = dayRange(from, to);
  const history = useHistory(orgId, { item_id: itemId, kind, since: range.since, until: range.until });
  const rows = useMemo(() => history.data ?? [], [history.data]);
  const series = useMemo(() => (itemId ? quantityOverTime(rows) : []), [rows, itemId]);
  return (
    <div className="qm-page">
      <PageHeader title="History" />
      <div className="qm-filters">
        <Field label="Item" id="hist-item">
          <ItemPicker id="hist-item" items={items.items} value={itemId} onChange={setItemId} />
        </Field>
        <Field label="Kind" id="hist-kind">
          <HTMLSelect id="hist-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as HistoryFilter["kind"])}>
            {KINDS.map((k) => (
              <option key={k} value={k}>{k || "any"}</option>
            ))}
          </HTMLSelect>
        </Field>
        <Field label="From" id="hist-from">
          <InputGroup id="hist-from" type="date" value={from} onValueChange={setFrom} />
        </Field>
        <Field label="To" id="hist-to" error={range.error}>
          <InputGroup id="hist-to" type="date" value={to} onValueChange={setTo} intent={range.error ? Intent.DANGER : Intent.NONE} />
        </Field>
      </div>
      {itemId && series.length > 1 && (
        <div className="qm-chart" aria-label="Quantity over time">
          <ResponsiveContainer width="100%" height={200}>
            <LineChart data={series}>
              <CartesianGrid strokeDasharray="3 3" opacity={0.3} />
              <XAxis dataKey="t" hide />
              <YAxis />
              <Tooltip />
              <Line type="stepAfter" dataKey="quantity" stroke="#4c90f0" dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
      {history.isPending ? (
        <SkeletonRows />
      ) : rows.length === 0 ? (
        <EmptyState icon="history" title="No history" next="Every stock change is recorded here: adjust, move, reserve, craft." />
      ) : (
        <HTMLTable compact striped className="qm-table" aria-label="History ledger">
          <thead>
            <tr><th>When</th><th>Kind</th><th>Item</th><th>Quality</th><th>Change</th><th>Reserved change</th><th>Location</th><th>Note</th></tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const unit = items.byId.get(r.item_id)?.unit;
              return (
                <tr key={r.id}>
                  <td>{formatDateTime(r.created_at)}</td>
                  <td><Tag minimal>{r.kind}</Tag></td>
                  <td>{itemLabel(items.byId, r.item_id)}</td>
                  <td>{formatQuality(r.quality)}</td>
                  <td className="qm-num">{formatQuantity(r.delta, unit)}</td>
                  <td className="qm-num">{formatQuantity(r.reserved_delta, unit)}</td>
                  <td>{locationLabel(locations.byId, r.location_id)}</td>
                  <td>{r.note ?? ""}</td>
                </tr>
              );
            })}
          </tbody>
        </HTMLTable>
      )}
    </div>
  );
}
