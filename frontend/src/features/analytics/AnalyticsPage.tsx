import { Card, H4, HTMLTable, HTMLSelect, Button } from "@blueprintjs/core";
import { useState } from "react";
import { BarChart } from "@/components/BarChart";
import { EmptyState } from "@/components/EmptyState";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { ApiError } from "@/lib/api/problem";
import { formatAuec, formatPercent } from "@/lib/format";
import { useOrgId } from "@/lib/org";
import { can, useRole } from "@/lib/role";
import { useBlueprintStats, useDashboard, type BlueprintStat } from "./api";
import { hasActivity, sortStats, totalSavings, type StatKey } from "./data";

const COLUMNS: { key: StatKey; label: string }[] = [
  { key: "name", label: "Blueprint" },
  { key: "crafts", label: "Crafts" },
  { key: "runs", label: "Runs" },
  { key: "success_rate", label: "Success rate" },
  { key: "mean_craft_minutes", label: "Mean craft time" },
];

function StatsTable({ rows }: { rows: BlueprintStat[] }) {
  const [key, setKey] = useState<StatKey>("crafts");
  const [descending, setDescending] = useState(true);
  const sorted = sortStats(rows, key, descending);
  const sortBy = (next: StatKey) => {
    setDescending(next === key ? !descending : next !== "name");
    setKey(next);
  };
  return (
    <HTMLTable compact striped className="qm-table" aria-label="Blueprint statistics">
      <thead>
        <tr>
          {COLUMNS.map((c) => (
            <th key={c.key} aria-sort={c.key === key ? (descending ? "descending" : "ascending") : "none"}>
              <Button minimal small text={c.label} rightIcon={c.key === key ? (descending ? "caret-down" : "caret-up") : undefined} onClick={() => sortBy(c.key)} />
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {sorted.map((b) => (
          <tr key={b.blueprint_id}>
            <td>{b.name}</td>
            <td>{b.crafts}</td>
            <td>
              {b.runs_completed} / {b.runs}
            </td>
            <td>{b.success_rate === null ? "—" : formatPercent(b.success_rate)}</td>
            <td>{b.mean_craft_minutes === null ? "—" : `${b.mean_craft_minutes.toFixed(1)} min`}</td>
          </tr>
        ))}
      </tbody>
    </HTMLTable>
  );
}

/** The org's analytics for admins: weekly activity, goal completion, blueprint usage. */
export default function AnalyticsPage() {
  const orgId = useOrgId();
  const role = useRole(orgId);
  const allowed = can(role, "manage");
  const [weeks, setWeeks] = useState(12);
  const dashboard = useDashboard(orgId, weeks, allowed);
  const stats = useBlueprintStats(orgId, allowed);
  // The role known to be below admin, or the API saying so (a role changed meanwhile).
  const denied = (role !== undefined && !allowed) || (dashboard.error instanceof ApiError && dashboard.error.status === 403);
  if (denied) {
    return <EmptyState icon="lock" title="Admins only" next="Org admins and owners see the analytics dashboard." />;
  }
  const data = dashboard.data;
  const savings = data ? totalSavings(data.weeks) : null;
  return (
    <div className="qm-page">
      <PageHeader title="Analytics">
        <HTMLSelect aria-label="Weeks shown" value={weeks} onChange={(e) => setWeeks(Number(e.currentTarget.value))} options={[4, 12, 26, 52].map((w) => ({ value: w, label: `Last ${w} weeks` }))} />
      </PageHeader>
      {!data ? (
        <SkeletonRows />
      ) : (
        <>
          <Card>
            <H4>Activity per week</H4>
            {hasActivity(data.weeks) ? (
              <div className="qm-row">
                <BarChart title="Crafts completed" points={data.weeks.map((w) => ({ label: w.week, value: w.crafts_completed ?? 0 }))} />
                <BarChart title="Plans solved" points={data.weeks.map((w) => ({ label: w.week, value: w.plans_solved ?? 0 }))} />
                <BarChart title="Plan savings (aUEC)" format={formatAuec} points={data.weeks.map((w) => ({ label: w.week, value: w.plan_savings ?? 0 }))} />
                <BarChart title="Usage events (consented members)" points={data.weeks.map((w) => ({ label: w.week, value: w.usage_events ?? 0 }))} />
              </div>
            ) : (
              <EmptyState icon="timeline-bar-chart" title="Nothing yet in this window" next="Crafts, plans and goals show here as the org uses them." />
            )}
            <p className="qm-muted" data-testid="savings-total">
              {savings === null ? "No solved plan in this window carried a baseline to save against." : `Plans saved ${formatAuec(savings)} against their baseline in this window.`}
            </p>
          </Card>
          <Card>
            <H4>Goals</H4>
            <HTMLTable compact aria-label="Goal completion">
              <tbody>
                <tr><th scope="row">Goals</th><td>{data.goals.total}</td></tr>
                <tr><th scope="row">Active</th><td>{data.goals.active}</td></tr>
                <tr><th scope="row">Completed</th><td>{data.goals.completed} ({data.goals.completed_on_time} on time)</td></tr>
                <tr><th scope="row">Cancelled</th><td>{data.goals.cancelled}</td></tr>
                <tr><th scope="row">Completion rate</th><td>{data.goals.completion_rate === null ? "—" : formatPercent(data.goals.completion_rate)}</td></tr>
              </tbody>
            </HTMLTable>
          </Card>
          <Card>
            <H4>Blueprints</H4>
            {stats.data === undefined ? (
              <SkeletonRows />
            ) : stats.data.length === 0 ? (
              <EmptyState icon="build" title="No crafts yet" next="Start a craft from a blueprint or apply a plan." />
            ) : (
              <StatsTable rows={stats.data} />
            )}
          </Card>
          <Card>
            <H4>Usage by kind</H4>
            {Object.keys(data.usage_by_kind).length === 0 ? (
              <p className="qm-muted">No usage recorded: members have not given consent, or have not used the app in this window.</p>
            ) : (
              <HTMLTable compact aria-label="Usage by kind">
                <tbody>
                  {Object.entries(data.usage_by_kind).map(([kind, count]) => (
                    <tr key={kind}><th scope="row">{kind}</th><td>{count}</td></tr>
                  ))}
                </tbody>
              </HTMLTable>
            )}
          </Card>
        </>
      )}
    </div>
  );
}
