import { Card, H3, Icon, Intent, ProgressBar } from "@blueprintjs/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { api, unwrap } from "@/lib/api/client";
import { useGoalList, useLocations } from "@/lib/lookups";
import { useOrgId } from "@/lib/org";
import { orgKey } from "@/lib/queryKeys";

export interface Step {
  key: string;
  title: string;
  next: string;
  to: string;
  done: boolean;
}

/** The onboarding checklist: add a location → add stock → set a goal → request a plan. */
export function onboardingSteps(orgId: string, has: { locations: boolean; stock: boolean; goals: boolean; plans: boolean }): Step[] {
  return [
    { key: "locations", title: "Add a location or a ship", next: "Where does the org keep its stock? Add a hangar, storage or a ship.", to: `/orgs/${orgId}/places`, done: has.locations },
    { key: "stock", title: "Add stock", next: "Record what the org holds, at which location, at which quality.", to: `/orgs/${orgId}/inventory`, done: has.stock },
    { key: "goals", title: "Set a goal", next: "What does the org need, and how much? Goals track progress as stock and crafts come in.", to: `/orgs/${orgId}/goals`, done: has.goals },
    { key: "plans", title: "Request a plan", next: "The optimiser finds the cheapest way: own stock, members' stock, then the markets.", to: `/orgs/${orgId}/plans`, done: has.plans },
  ];
}

export default function OrgHome() {
  const orgId = useOrgId();
  const locations = useLocations(orgId);
  const stock = useQuery({
    queryKey: orgKey(orgId, "stock", "first"),
    queryFn: () => unwrap(api.GET("/api/v1/orgs/{org_id}/stock", { params: { path: { org_id: orgId }, query: { limit: 1 } } })),
  });
  const goals = useGoalList(orgId);
  const plans = useQuery({
    queryKey: orgKey(orgId, "plans", "list"),
    queryFn: async () =>
      (await unwrap(api.GET("/api/v1/orgs/{org_id}/plans", { params: { path: { org_id: orgId }, query: { limit: 50 } } }))).items,
  });
  if (locations.isPending || stock.isPending || goals.isPending || plans.isPending) return <SkeletonRows rows={6} />;
  const steps = onboardingSteps(orgId, {
    locations: locations.locations.some((l) => l.owner !== "universe"),
    stock: (stock.data?.items.length ?? 0) > 0,
    goals: (goals.data ?? []).length > 0,
    plans: (plans.data ?? []).length > 0,
  });
  const done = steps.filter((s) => s.done).length;
  const nextStep = steps.find((s) => !s.done);
  return (
    <div className="qm-page">
      <PageHeader title="Overview" />
      <Card>
        <H3>{nextStep ? "Getting started" : "All set: your org is planning"}</H3>
        <ProgressBar value={done / steps.length} stripes={false} intent={Intent.SUCCESS} aria-label="Onboarding progress" />
        <ol className="qm-steps">
          {steps.map((s) => (
            <li key={s.key} className={s.done ? "qm-step-done" : s === nextStep ? "qm-step-next" : ""}>
              <Icon icon={s.done ? "tick-circle" : "circle"} intent={s.done ? Intent.SUCCESS : Intent.NONE} aria-hidden="true" />{" "}
              <Link to={s.to}>{s.title}</Link>
              {!s.done && <p className="qm-muted">{s.next}</p>}
            </li>
          ))}
        </ol>
      </Card>
    </div>
  );
}
