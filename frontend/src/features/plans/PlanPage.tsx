import { Button, Callout, Card, H4, HTMLTable, Intent, NonIdealState, Spinner, Tag } from "@blueprintjs/core";
import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { ApiError } from "@/lib/api/problem";
import { formatAuec, formatQuality, formatQuantity, formatRuns, formatScu } from "@/lib/format";
import { itemLabel, locationLabel, parseSourceKey, useItems, useLocations, type Item, type Location } from "@/lib/lookups";
import { useOrgId } from "@/lib/org";
import { useCan } from "@/lib/role";
import { toastError, toastSuccess } from "@/lib/toast";
import { useApplyPlan, useBlueprintNames, usePlan, type ApplyOut } from "./api";
import { CostCharts } from "./CostCharts";
import { PlanStatusTag } from "./PlanStatusTag";
import { optimalityBadge, shoppingList, type DemandExplanation, type EnginePlan, type Explanation, type Supply } from "./types";
import { TripsCard } from "./TripsCard";
import { WhatIfPanel } from "./WhatIfPanel";

interface Names {
  items: Map<string, Item>;
  locations: Map<string, Location>;
  blueprints: Map<string, string>;
}

function SupplyLine({ s, names }: { s: Supply; names: Names }) {
  const unit = names.items.get(s.item)?.unit;
  if (s.kind === "craft") {
    return (
      <li>
        <Tag minimal intent={Intent.PRIMARY}>craft</Tag> {formatQuantity(s.quantity, unit)} {itemLabel(names.items, s.item)} by{" "}
        <strong>{names.blueprints.get(s.blueprint ?? "") ?? "blueprint"}</strong> × {formatRuns(s.total_runs ?? s.runs ?? 0)} runs
        {s.cost > 0 && <span className="qm-muted"> · {formatAuec(s.cost)}</span>}
        <ul>
          {s.ingredients.map((ing) => (
            <li key={ing.index}>
              {formatQuantity(ing.quantity, names.items.get(ing.item)?.unit)} {itemLabel(names.items, ing.item)}
              {ing.min_quality > 0 && <span className="qm-muted"> (≥ {formatQuality(ing.min_quality)})</span>}
              <ul>
                {ing.supplies.map((sub, i) => (
                  <SupplyLine key={i} s={sub} names={names} />
                ))}
              </ul>
            </li>
          ))}
        </ul>
      </li>
    );
  }
  const tier = s.tier ?? parseSourceKey(s.source ?? "").tier;
  const verb = tier === "market" ? "buy" : "take";
  return (
    <li>
      <Tag minimal intent={tier === "market" ? Intent.WARNING : tier === "member" ? Intent.PRIMARY : Intent.SUCCESS}>{tier}</Tag>{" "}
      {verb} {formatQuantity(s.quantity, unit)} {itemLabel(names.items, s.item)} {formatQuality(s.quality)} from{" "}
      {s.holder ? `${s.holder}, ` : ""}
      {locationLabel(names.locations, s.location)}
      {s.cost > 0 && <span className="qm-muted"> · {formatAuec(s.cost)}</span>}
    </li>
  );
}

function DemandCard({ d, names, goalLabel }: { d: DemandExplanation; names: Names; goalLabel: string }) {
  const unit = names.items.get(d.item)?.unit;
  return (
    <Card className="qm-demand" aria-label={`Demand ${itemLabel(names.items, d.item)}`}>
      <div className="qm-row">
        <strong>
          {formatQuantity(d.quantity, unit)} {itemLabel(names.items, d.item)}
        </strong>
        {d.min_quality > 0 && <Tag minimal>≥ {formatQuality(d.min_quality)}</Tag>}
        <span className="qm-muted">{goalLabel}</span>
        {d.shortfall > 0 ? <Tag intent={Intent.DANGER}>short {formatQuantity(d.shortfall, unit)}</Tag> : <Tag intent={Intent.SUCCESS} minimal>covered</Tag>}
        <span className="qm-muted">{formatAuec(d.cost)}</span>
      </div>
      <ul className="qm-supply-tree">
        {d.supplies.map((s, i) => (
          <SupplyLine key={i} s={s} names={names} />
        ))}
      </ul>
      {d.short_raw.length > 0 && (
        <Callout intent={Intent.DANGER} title="Missing raw materials">
          <ul>
            {d.short_raw.map((r, i) => (
              <li key={i}>
                {formatQuantity(r.quantity, names.items.get(r.item)?.unit)} {itemLabel(names.items, r.item)}
                {r.path && r.path.length > 0 && <span className="qm-muted"> via {r.path.map((p) => itemLabel(names.items, p)).join(" → ")}</span>}
              </li>
            ))}
          </ul>
        </Callout>
      )}
    </Card>
  );
}

interface Change {
  item_id: string;
  location_id: string;
  plan_takes: number;
  now_available: number;
  reason: string;
}

function ApplyResult({ result, names }: { result: ApplyOut; names: Names }) {
  const jobs = result.refinery_jobs ?? [];
  return (
    <Callout intent={Intent.SUCCESS} title="Plan applied" icon="tick-circle">
      <p>
        {result.crafts.length} craft(s) planned, {result.reservations.length} reservation(s) made, shopping total {formatAuec(result.shopping_total)}.
      </p>
      {result.crafts.length > 0 && <Link to="../../crafts" relative="path">Go to the crafts board</Link>}
      {/* Refining is continuous (any quantity of ore), so it is not a whole-run craft: the
          crew starts these at the refinery; their ore is reserved for the plan. */}
      {jobs.length > 0 && (
        <ul aria-label="Refinery jobs">
          {jobs.map((j, i) => (
            <li key={i}>
              refinery: {formatRuns(j.runs)} run(s) of {names.blueprints.get(j.blueprint_id) ?? j.blueprint_id.slice(0, 8)} →{" "}
              {formatQuantity(j.output_quantity, names.items.get(j.output_item_id)?.unit)} {itemLabel(names.items, j.output_item_id)}
            </li>
          ))}
        </ul>
      )}
      {result.reservations.length > 0 && (
        <ul>
          {result.reservations.map((r) => (
            <li key={r.id}>reserved {formatQuantity(r.quantity)} ({r.purpose}) from {parseSourceKey(r.source).tier} stock</li>
          ))}
        </ul>
      )}
      {result.trips.length > 0 && (
        <p>Trips: {result.trips.map((t) => `${t.location}: ${t.trips} (${formatScu(t.volume_scu)})`).join(", ")}</p>
      )}
    </Callout>
  );
}

function ConflictView({ error, names }: { error: ApiError; names: Names }) {
  const changes = ((error.problem as Record<string, unknown>).changes ?? []) as Change[];
  return (
    <Callout intent={Intent.WARNING} title="The plan could not be applied" icon="warning-sign">
      <p>{error.problem.detail}</p>
      {changes.length > 0 && (
        <HTMLTable compact className="qm-table" aria-label="What changed">
          <thead>
            <tr><th>Item</th><th>Location</th><th>Plan takes</th><th>Available now</th><th>Why</th></tr>
          </thead>
          <tbody>
            {changes.map((c, i) => (
              <tr key={i}>
                <td>{itemLabel(names.items, c.item_id)}</td>
                <td>{locationLabel(names.locations, c.location_id)}</td>
                <td>{formatQuantity(c.plan_takes, names.items.get(c.item_id)?.unit)}</td>
                <td>{formatQuantity(c.now_available, names.items.get(c.item_id)?.unit)}</td>
                <td>{c.reason}</td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
      <p>Request a new plan to use the stock as it is now.</p>
    </Callout>
  );
}

export default function PlanPage() {
  const orgId = useOrgId();
  const { planId = "" } = useParams();
  const plan = usePlan(orgId, planId);
  const items = useItems(orgId);
  const locations = useLocations(orgId);
  const blueprints = useBlueprintNames(orgId);
  const canApply = useCan(orgId, "apply");
  const apply = useApplyPlan(orgId, planId);
  const [applied, setApplied] = useState<ApplyOut | null>(null);
  const [conflict, setConflict] = useState<ApiError | null>(null);
  const names: Names = useMemo(
    () => ({
      items: items.byId,
      locations: locations.byId,
      // The plan names its own blueprints: one created since the list was cached still reads.
      blueprints: new Map([
        ...(blueprints.data ?? []).map((b): [string, string] => [b.id, b.name]),
        ...Object.entries(plan.data?.names?.blueprints ?? {}),
      ]),
    }),
    [items.byId, locations.byId, blueprints.data, plan.data?.names],
  );

  if (plan.isPending) return <div className="qm-page"><SkeletonRows rows={10} /></div>;
  if (plan.isError || !plan.data) return <NonIdealState icon="error" title="Plan not found" description={plan.error?.message} />;
  const p = plan.data;
  const engine = p.plan as EnginePlan | null | undefined;
  const explanation = p.explanation as Explanation | null | undefined;
  const request = p.request as { name?: string | null; goal_ids?: string[]; policy?: { ship_capacity_scu?: number | null } };
  const badge = engine ? optimalityBadge(engine) : null;
  const shopping = explanation ? shoppingList(explanation) : [];
  const capacity = request.policy?.ship_capacity_scu ?? null;

  const doApply = () => {
    setConflict(null);
    apply.mutate(undefined, {
      onSuccess: (out) => {
        setApplied(out);
        toastSuccess("Plan applied");
      },
      onError: (error) => {
        if (error instanceof ApiError && error.status === 409) setConflict(error);
        else toastError(error);
      },
    });
  };

  return (
    <div className="qm-page">
      <PageHeader
        title={request.name ?? `Plan ${p.id.slice(0, 8)}`}
        actions={
          canApply &&
          p.status === "done" &&
          !applied && <Button intent={Intent.PRIMARY} icon="confirm" text="Apply plan" loading={apply.isPending} onClick={doApply} />
        }
      >
        <PlanStatusTag status={p.status} />
        {badge && (
          <Tag large intent={badge.proven ? Intent.SUCCESS : Intent.WARNING} icon={badge.proven ? "endorsed" : "time"} data-testid="optimality">
            {badge.text}
          </Tag>
        )}
        {explanation && <Tag large minimal>Total {formatAuec(explanation.costs.total)}</Tag>}
      </PageHeader>
      {(p.status === "queued" || p.status === "solving") && (
        <Card className="qm-solving">
          <Spinner size={24} />
          <span>{p.status === "queued" ? "Waiting for a worker…" : "Solving: the optimiser is proving the cheapest plan…"}</span>
        </Card>
      )}
      {p.status === "failed" && <Callout intent={Intent.DANGER} title="The plan failed">{p.error}</Callout>}
      {applied && <ApplyResult result={applied} names={names} />}
      {conflict && <ConflictView error={conflict} names={names} />}
      {engine && explanation && (
        <>
          {!explanation.complete && (
            <Callout intent={Intent.DANGER} title="Not everything can be covered">
              Some demands are short; the missing raw materials are listed under each demand.
            </Callout>
          )}
          <CostCharts costs={explanation.costs} locations={names.locations} />
          <H4>Demands</H4>
          {explanation.demands.map((d) => (
            <DemandCard key={d.demand} d={d} names={names} goalLabel={d.demand.startsWith("goal:") ? "goal" : "ad-hoc"} />
          ))}
          <div className="qm-grid-2">
            <TripsCard trips={explanation.trips} capacity={capacity} locations={names.locations} />
            <Card aria-label="Shopping list">
              <H4>Shopping list</H4>
              {shopping.length === 0 ? (
                <p className="qm-muted">Nothing to buy: own and member stock cover it.</p>
              ) : (
                shopping.map((g) => (
                  <div key={`${g.terminal}-${g.location}`}>
                    <strong>{g.terminal}</strong> <span className="qm-muted">{locationLabel(names.locations, g.location)} · {formatAuec(g.total)}</span>
                    <ul>
                      {g.lines.map((l, i) => (
                        <li key={i}>
                          {formatQuantity(l.quantity, names.items.get(l.item)?.unit)} {itemLabel(names.items, l.item)} at {formatAuec(l.unitCost)} = {formatAuec(l.cost)}
                        </li>
                      ))}
                    </ul>
                  </div>
                ))
              )}
            </Card>
          </div>
          {engine.shortfalls.length > 0 && (
            <Card aria-label="Shortfalls">
              <H4>Shortfalls</H4>
              <ul>
                {engine.shortfalls.map((s, i) => (
                  <li key={i}>{formatQuantity(s.quantity, names.items.get(s.item)?.unit)} {itemLabel(names.items, s.item)}</li>
                ))}
              </ul>
            </Card>
          )}
          <p className="qm-muted">
            Solver {engine.stats.solver}, {engine.stats.solve_seconds.toFixed(2)} s solve.
          </p>
          <WhatIfPanel orgId={orgId} planId={p.id} />
        </>
      )}
    </div>
  );
}
