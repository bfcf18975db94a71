import { Button, Card, Checkbox, H4, HTMLSelect, HTMLTable, InputGroup, Intent, Switch, Tag } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { EmptyState } from "@/components/EmptyState";
import { Field, useFieldErrors } from "@/components/forms";
import { PageHeader } from "@/components/PageHeader";
import { ItemPicker, LocationPicker } from "@/components/pickers";
import { SkeletonRows } from "@/components/Skeleton";
import { formatDateTime } from "@/lib/format";
import { useItems, useLocations } from "@/lib/lookups";
import { useOrgId } from "@/lib/org";
import { useCan } from "@/lib/role";
import { useGoalNames, usePlans, useRequestPlan, useShipsForPlan, type PlanRequestIn } from "./api";
import { PlanStatusTag } from "./PlanStatusTag";

interface DemandDraft {
  item_id: string;
  quantity: string;
  min_quality: string;
}

function numOrNull(value: string): number | null {
  return value.trim() === "" ? null : (value as unknown as number);
}

function RequestPlanForm({ orgId }: { orgId: string }) {
  const [params] = useSearchParams();
  const goals = useGoalNames(orgId);
  const items = useItems(orgId);
  const locations = useLocations(orgId);
  const ships = useShipsForPlan(orgId);
  const request = useRequestPlan(orgId);
  const navigate = useNavigate();
  const preselected = params.get("goal");
  const [goalIds, setGoalIds] = useState<string[]>(preselected ? [preselected] : []);
  const [demands, setDemands] = useState<DemandDraft[]>([]);
  const [delivery, setDelivery] = useState("");
  const [shipId, setShipId] = useState("");
  const [capacity, setCapacity] = useState("");
  const [reliability, setReliability] = useState("");
  const [strict, setStrict] = useState(false);
  const [name, setName] = useState("");
  const { errors, handle, clear } = useFieldErrors();
  const active = (goals.data ?? []).filter((g) => g.status === "active");
  const places = locations.locations.filter((l) => l.owner !== "universe");
  const setDemand = (i: number, patch: Partial<DemandDraft>) => setDemands((ds) => ds.map((d, j) => (j === i ? { ...d, ...patch } : d)));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    const body: PlanRequestIn = {
      name: name || null,
      goal_ids: goalIds,
      demands: demands.map((d) => ({ item_id: d.item_id, quantity: d.quantity as unknown as number, min_quality: Number(d.min_quality || 0) })),
      delivery_location_id: delivery,
      ship_id: shipId || null,
      policy: { ship_capacity_scu: numOrNull(capacity), reliability_weight: numOrNull(reliability), strict_priority: strict || null },
    };
    request.mutate(body, {
      onSuccess: (plan) => void navigate(`/orgs/${orgId}/plans/${plan.id}`),
      onError: (error) =>
        handle(error, [
          "delivery_location_id",
          "ship_id",
          "goal_ids",
          "demands",
          "policy.ship_capacity_scu",
          "policy.reliability_weight",
          "name",
          ...demands.flatMap((_, i) => [`demands.${i}.item_id`, `demands.${i}.quantity`, `demands.${i}.min_quality`]),
        ]),
    });
  };
  return (
    <Card>
      <H4>Request a plan</H4>
      <form onSubmit={submit} aria-label="Request a plan">
        <fieldset className="qm-fieldset">
          <legend>Goals</legend>
          {active.length === 0 && <p className="qm-muted">No active goal: add ad-hoc demands below, or set a goal first.</p>}
          {active.map((g) => (
            <Checkbox
              key={g.id}
              label={g.name}
              checked={goalIds.includes(g.id)}
              onChange={(e) => setGoalIds((ids) => (e.currentTarget.checked ? [...ids, g.id] : ids.filter((x) => x !== g.id)))}
            />
          ))}
          {errors.goal_ids && <p className="qm-error">{errors.goal_ids}</p>}
        </fieldset>
        <fieldset className="qm-fieldset">
          <legend>Ad-hoc demands</legend>
          {demands.map((d, i) => (
            <div key={i} className="qm-form-inline">
              <Field label="Item" id={`dem-${i}-item`} error={errors[`demands.${i}.item_id`]}>
                <ItemPicker id={`dem-${i}-item`} items={items.items} value={d.item_id} onChange={(id) => setDemand(i, { item_id: id })} />
              </Field>
              <Field label="Quantity" id={`dem-${i}-qty`} error={errors[`demands.${i}.quantity`]}>
                <InputGroup id={`dem-${i}-qty`} inputMode="decimal" value={d.quantity} onValueChange={(v) => setDemand(i, { quantity: v })} />
              </Field>
              <Field label="Min quality" id={`dem-${i}-q`} error={errors[`demands.${i}.min_quality`]}>
                <InputGroup id={`dem-${i}-q`} inputMode="numeric" value={d.min_quality} onValueChange={(v) => setDemand(i, { min_quality: v })} />
              </Field>
              <Button minimal icon="trash" aria-label={`Remove demand ${i + 1}`} onClick={() => setDemands((ds) => ds.filter((_, j) => j !== i))} />
            </div>
          ))}
          {errors.demands && <p className="qm-error">{errors.demands}</p>}
          <Button small icon="add" text="Add demand" onClick={() => setDemands((ds) => [...ds, { item_id: "", quantity: "", min_quality: "0" }])} />
        </fieldset>
        <Field label="Deliver to" id="plan-delivery" error={errors.delivery_location_id}>
          <LocationPicker id="plan-delivery" locations={places} value={delivery} onChange={setDelivery} />
        </Field>
        <details>
          <summary>Policy</summary>
          <Field label="Ship for trips (optional)" id="plan-ship" error={errors.ship_id}>
            <HTMLSelect id="plan-ship" value={shipId} onChange={(e) => setShipId(e.currentTarget.value)}>
              <option value="">Default capacity</option>
              {(ships.data?.items ?? []).map((s) => (
                <option key={s.id} value={s.id}>{s.name} ({s.ship_type})</option>
              ))}
            </HTMLSelect>
          </Field>
          <Field label="Ship capacity (SCU, optional)" id="plan-capacity" error={errors["policy.ship_capacity_scu"]}>
            <InputGroup id="plan-capacity" inputMode="decimal" value={capacity} onValueChange={setCapacity} />
          </Field>
          <Field label="Reliability weight (optional)" id="plan-reliability" error={errors["policy.reliability_weight"]} help="Higher avoids listings players report as wrong">
            <InputGroup id="plan-reliability" inputMode="decimal" value={reliability} onValueChange={setReliability} />
          </Field>
          <Switch checked={strict} label="Strict priority (serve higher-priority demands first)" onChange={(e) => setStrict(e.currentTarget.checked)} />
          <Field label="Plan name (optional)" id="plan-name" error={errors.name}>
            <InputGroup id="plan-name" value={name} onValueChange={setName} />
          </Field>
        </details>
        <Button type="submit" intent={Intent.PRIMARY} icon="play" text="Request plan" loading={request.isPending} />
      </form>
    </Card>
  );
}

export default function PlansPage() {
  const orgId = useOrgId();
  const plans = usePlans(orgId);
  const writable = useCan(orgId, "write");
  const list = plans.data ?? [];
  return (
    <div className="qm-page">
      <PageHeader title="Plans" />
      <div className="qm-grid-2">
        {writable && <RequestPlanForm orgId={orgId} />}
        <Card>
          <H4>Recent plans</H4>
          {plans.isPending ? (
            <SkeletonRows />
          ) : list.length === 0 ? (
            <EmptyState icon="predictive-analysis" title="No plan yet" next="Pick a goal and a delivery location, then request a plan: it is solved in seconds." />
          ) : (
            <HTMLTable compact striped className="qm-table" aria-label="Plans">
              <thead>
                <tr><th>Plan</th><th>Status</th><th>Requested</th></tr>
              </thead>
              <tbody>
                {list.map((p) => (
                  <tr key={p.id}>
                    <td><Link to={`/orgs/${orgId}/plans/${p.id}`}>{String((p.request as { name?: string | null }).name ?? `Plan ${p.id.slice(0, 8)}`)}</Link></td>
                    <td><PlanStatusTag status={p.status} /></td>
                    <td>{formatDateTime(p.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </HTMLTable>
          )}
          {list.length > 0 && <Tag minimal>{list.length} shown</Tag>}
        </Card>
      </div>
    </div>
  );
}
