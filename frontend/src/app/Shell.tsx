import {
  Alignment,
  Button,
  Icon,
  Menu,
  MenuItem,
  Navbar,
  NavbarDivider,
  NavbarGroup,
  NavbarHeading,
  OverlayToaster,
  Popover,
  Position,
  Tag,
  Intent,
  type IconName,
} from "@blueprintjs/core";
import { Suspense, useEffect } from "react";
import { NavLink, Outlet, useLocation, useNavigate, useParams } from "react-router";
import { ErrorBoundary } from "@/components/ErrorBoundary";
import { NetworkBanner } from "@/components/NetworkBanner";
import { SkeletonRows } from "@/components/Skeleton";
import { useLiveFeed } from "@/lib/live";
import { rememberOrg } from "@/lib/org";
import { can, useRole } from "@/lib/role";
import { registerToaster } from "@/lib/toast";
import { signOut, useMe } from "@/features/auth/api";
import { NotificationBell } from "@/features/notifications/NotificationBell";
import { OrgSwitcher } from "@/features/orgs/OrgSwitcher";
import { useTheme } from "./theme";

const SECTIONS: { path: string; label: string; icon: IconName; admin?: true }[] = [
  { path: "", label: "Overview", icon: "dashboard" },
  { path: "inventory", label: "Inventory", icon: "box" },
  { path: "places", label: "Locations & ships", icon: "map-marker" },
  { path: "history", label: "History", icon: "history" },
  { path: "goals", label: "Goals", icon: "flag" },
  { path: "plans", label: "Plans", icon: "predictive-analysis" },
  { path: "crafts", label: "Crafts", icon: "build" },
  { path: "catalogue", label: "Catalogue", icon: "properties" },
  { path: "market", label: "Market", icon: "shop" },
  { path: "commons", label: "Commons", icon: "globe-network" },
  { path: "members", label: "Members", icon: "people" },
  { path: "transfer", label: "Import & export", icon: "import" },
  { path: "webhooks", label: "Webhooks", icon: "send-to", admin: true },
  { path: "analytics", label: "Analytics", icon: "timeline-bar-chart", admin: true },
];

function LiveTag({ orgId }: { orgId: string }) {
  const state = useLiveFeed(orgId);
  return (
    <Tag minimal intent={state === "live" ? Intent.SUCCESS : state === "offline" ? Intent.WARNING : Intent.NONE} data-testid="live-state" icon="feed">
      {state}
    </Tag>
  );
}

/** Navbar, sidebar and content; one live socket per org while an org is open. */
export function Shell() {
  const { orgId } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const me = useMe();
  const [theme, setTheme] = useTheme();
  const section = orgId ? (location.pathname.split("/")[3] ?? "") : "";
  const isAdmin = can(useRole(orgId ?? ""), "manage");
  useEffect(() => {
    if (orgId) rememberOrg(orgId);
  }, [orgId]);

  return (
    <div className="qm-shell">
      <OverlayToaster ref={registerToaster} position={Position.TOP} />
      <Navbar className="qm-navbar">
        <NavbarGroup align={Alignment.START}>
          <NavbarHeading>
            <NavLink to="/" className="qm-brand">Quartermaster</NavLink>
          </NavbarHeading>
          <NavbarDivider />
          <OrgSwitcher orgId={orgId} section={section === "plans" ? "plans" : section} />
          {orgId && <LiveTag orgId={orgId} />}
        </NavbarGroup>
        <NavbarGroup align={Alignment.END}>
          <NotificationBell />
          <Button
            minimal
            icon={theme === "dark" ? "flash" : "moon"}
            aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
            onClick={() => setTheme(theme === "dark" ? "light" : "dark")}
          />
          <Popover
            placement="bottom-end"
            content={
              <Menu>
                <MenuItem icon="user" text="Account" onClick={() => void navigate("/account")} />
                <MenuItem icon="people" text="Organisations" onClick={() => void navigate("/orgs")} />
                <MenuItem
                  icon="log-out"
                  text="Sign out"
                  onClick={() => {
                    void signOut().then(() => navigate("/signin"));
                  }}
                />
              </Menu>
            }
          >
            <Button minimal icon="user" rightIcon="caret-down" text={me.data?.display_name ?? me.data?.username ?? "Account"} />
          </Popover>
        </NavbarGroup>
      </Navbar>
      <NetworkBanner />
      <div className="qm-body">
        {orgId && (
          <nav className="qm-sidebar" aria-label="Sections">
            <ul className="bp6-menu qm-nav">
              {SECTIONS.filter((s) => !s.admin || isAdmin).map((s) => (
                <li key={s.path}>
                  <NavLink
                    end={s.path === ""}
                    to={`/orgs/${orgId}/${s.path}`}
                    className={({ isActive }) => `bp6-menu-item ${isActive ? "bp6-active" : ""}`}
                  >
                    <Icon icon={s.icon} aria-hidden="true" />
                    <span className="bp6-text-overflow-ellipsis bp6-fill">{s.label}</span>
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <main className="qm-main" id="main">
          <ErrorBoundary key={location.pathname}>
            <Suspense fallback={<SkeletonRows rows={8} />}>
              <Outlet />
            </Suspense>
          </ErrorBoundary>
        </main>
      </div>
    </div>
  );
}
