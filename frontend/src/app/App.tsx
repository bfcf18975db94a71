import { QueryClientProvider } from "@tanstack/react-query";
import { lazy, Suspense, useState, type ReactNode } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { EmptyState } from "@/components/EmptyState";
import { SkeletonRows } from "@/components/Skeleton";
import { useSignedIn } from "@/lib/auth/useSignedIn";
import { lastOrg } from "@/lib/org";
import { ForgotPasswordPage, RegisterPage, ResetPasswordPage, SignInPage, VerifyEmailPage } from "@/features/auth/AuthPages";
import { useOrgs } from "@/features/orgs/api";
import { makeQueryClient } from "./queryClient";
import { Shell } from "./Shell";
import { useTheme } from "./theme";

// Route-level code splitting: each page is its own chunk, loaded on first visit.
const OrgHome = lazy(() => import("./routes/OrgHome"));
const PlacesPage = lazy(() => import("./routes/PlacesPage"));
const CataloguePage = lazy(() => import("./routes/CataloguePage"));
const InventoryPage = lazy(() => import("@/features/stock/InventoryPage"));
const HistoryPage = lazy(() => import("@/features/stock/HistoryPage"));
const GoalsPage = lazy(() => import("@/features/goals/GoalsPage"));
const PlansPage = lazy(() => import("@/features/plans/PlansPage"));
const PlanPage = lazy(() => import("@/features/plans/PlanPage"));
const CraftsPage = lazy(() => import("@/features/crafts/CraftsPage"));
const MarketPage = lazy(() => import("@/features/sources/MarketPage"));
const ImportExportPage = lazy(() => import("@/features/transfer/ImportExportPage"));
const CommonsPage = lazy(() => import("@/features/commons/CommonsPage"));
const MembersPage = lazy(() => import("@/features/orgs/MembersPage"));
const WebhooksPage = lazy(() => import("@/features/webhooks/WebhooksPage"));
const AnalyticsPage = lazy(() => import("@/features/analytics/AnalyticsPage"));
const OrgsPage = lazy(() => import("@/features/orgs/OrgsPage"));
const AccountPage = lazy(() => import("@/features/auth/AccountPage"));
const NotificationsPage = lazy(() => import("@/features/notifications/NotificationsPage"));

function RequireAuth({ children }: { children: ReactNode }) {
  return useSignedIn() ? children : <Navigate to="/signin" replace />;
}

/** "/" goes to the last org used, the only org, or the org list. */
function Landing() {
  const orgs = useOrgs();
  if (orgs.isPending) return <SkeletonRows />;
  const list = orgs.data ?? [];
  const remembered = lastOrg();
  const target = list.find((o) => o.id === remembered) ?? (list.length === 1 ? list[0] : undefined);
  return <Navigate to={target ? `/orgs/${target.id}` : "/orgs"} replace />;
}

export function App() {
  const [client] = useState(makeQueryClient);
  useTheme();
  return (
    <QueryClientProvider client={client}>
      {/* No transitions: a click on a link replaces the page at once (the shell's skeleton while
          the next page's chunk loads) instead of leaving the old page on screen, still clickable,
          until the new one is ready; on a busy machine that window lasted seconds. */}
      <BrowserRouter useTransitions={false}>
        <Suspense fallback={<SkeletonRows />}>
          <Routes>
            <Route path="/signin" element={<SignInPage />} />
            <Route path="/register" element={<RegisterPage />} />
            <Route path="/forgot-password" element={<ForgotPasswordPage />} />
            <Route path="/reset-password" element={<ResetPasswordPage />} />
            <Route path="/verify-email" element={<VerifyEmailPage />} />
            <Route element={<RequireAuth><Shell /></RequireAuth>}>
              <Route index element={<Landing />} />
              <Route path="orgs" element={<OrgsPage />} />
              <Route path="account" element={<AccountPage />} />
              <Route path="notifications" element={<NotificationsPage />} />
              <Route path="orgs/:orgId">
                <Route index element={<OrgHome />} />
                <Route path="inventory" element={<InventoryPage />} />
                <Route path="places" element={<PlacesPage />} />
                <Route path="history" element={<HistoryPage />} />
                <Route path="goals" element={<GoalsPage />} />
                <Route path="plans" element={<PlansPage />} />
                <Route path="plans/:planId" element={<PlanPage />} />
                <Route path="crafts" element={<CraftsPage />} />
                <Route path="catalogue" element={<CataloguePage />} />
                <Route path="market" element={<MarketPage />} />
                <Route path="commons" element={<CommonsPage />} />
                <Route path="members" element={<MembersPage />} />
                <Route path="transfer" element={<ImportExportPage />} />
                <Route path="webhooks" element={<WebhooksPage />} />
                <Route path="analytics" element={<AnalyticsPage />} />
              </Route>
              <Route path="*" element={<EmptyState icon="path-search" title="Page not found" next="Use the menu to find your way." />} />
            </Route>
          </Routes>
        </Suspense>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
