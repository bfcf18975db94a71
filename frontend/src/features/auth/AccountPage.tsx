import { Button, Callout, Card, Checkbox, H4, HTMLTable, InputGroup, Intent, Switch, Tag } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { Field, useFieldErrors } from "@/components/forms";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { formatDateTime } from "@/lib/format";
import { toastError, toastSuccess } from "@/lib/toast";
import {
  useConsent,
  useCreateToken,
  useDeleteAccount,
  useExportMyData,
  useMe,
  usePasswordChange,
  useRevokeToken,
  useScopes,
  useSendVerification,
  useSetConsent,
  useTokens,
} from "./api";

/** The account's address and whether it is verified; a link to verify it. */
function EmailCard() {
  const me = useMe();
  const send = useSendVerification();
  const email = me.data?.email;
  const verified = me.data?.email_verified_at;
  return (
    <Card>
      <H4>Email</H4>
      {me.isPending ? (
        <SkeletonRows rows={1} />
      ) : (
        <p>
          {email ?? "No address"}{" "}
          {email && (
            <Tag minimal intent={verified ? Intent.SUCCESS : Intent.WARNING} data-testid="email-verified">
              {verified ? `verified ${formatDateTime(verified)}` : "not verified"}
            </Tag>
          )}
        </p>
      )}
      {email && !verified && (
        <Button
          icon="envelope"
          text="Send me a verification link"
          loading={send.isPending}
          onClick={() =>
            send.mutate(undefined, {
              onSuccess: (out) => (out.email_enabled ? toastSuccess(`A link is on its way to ${email}`) : toastError(new Error("This server sends no email"))),
              onError: (e) => toastError(e),
            })
          }
        />
      )}
    </Card>
  );
}

function PasswordCard() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const change = usePasswordChange();
  const { errors, handle, clear } = useFieldErrors();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    change.mutate(
      { current_password: current, new_password: next },
      {
        onSuccess: () => {
          setCurrent("");
          setNext("");
          toastSuccess("Password changed");
        },
        onError: (error) => handle(error, ["current_password", "new_password"]),
      },
    );
  };
  return (
    <Card>
      <H4>Password</H4>
      <form onSubmit={submit} aria-label="Change password">
        <Field label="Current password" id="pw-current" error={errors.current_password}>
          <InputGroup id="pw-current" type="password" autoComplete="current-password" value={current} onValueChange={setCurrent} />
        </Field>
        <Field label="New password" id="pw-new" error={errors.new_password}>
          <InputGroup id="pw-new" type="password" autoComplete="new-password" value={next} onValueChange={setNext} />
        </Field>
        <Button type="submit" text="Change password" loading={change.isPending} />
      </form>
    </Card>
  );
}

function TokensCard() {
  const tokens = useTokens();
  const scopes = useScopes();
  const create = useCreateToken();
  const revoke = useRevokeToken();
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<string[]>([]);
  const [shown, setShown] = useState<string | null>(null);
  const { errors, handle, clear } = useFieldErrors();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    create.mutate(
      { name, scopes: chosen },
      {
        onSuccess: (created) => {
          setShown(created.token);
          setName("");
        },
        onError: (error) => handle(error, ["name", "scopes"]),
      },
    );
  };
  return (
    <Card>
      <H4>Personal access tokens</H4>
      {shown && (
        <Callout intent={Intent.SUCCESS} title="Copy your token now: it is shown only once">
          <code className="qm-token">{shown}</code>{" "}
          <Button small icon="clipboard" text="Copy" onClick={() => void navigator.clipboard?.writeText(shown)} />
        </Callout>
      )}
      {tokens.isPending ? (
        <SkeletonRows rows={2} />
      ) : (
        <HTMLTable compact className="qm-table">
          <thead>
            <tr><th>Name</th><th>Prefix</th><th>Scopes</th><th>Created</th><th>Status</th><th /></tr>
          </thead>
          <tbody>
            {(tokens.data ?? []).map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td><code>{t.token_prefix}</code></td>
                <td>{t.scopes.join(", ")}</td>
                <td>{formatDateTime(t.created_at)}</td>
                <td>{t.revoked_at ? <Tag>revoked</Tag> : <Tag intent={Intent.SUCCESS}>active</Tag>}</td>
                <td>
                  {!t.revoked_at && (
                    <Button small intent={Intent.DANGER} text="Revoke" onClick={() => revoke.mutate(t.id)} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
      <form onSubmit={submit} aria-label="Create token">
        <Field label="Token name" id="pat-name" error={errors.name}>
          <InputGroup id="pat-name" value={name} onValueChange={setName} />
        </Field>
        <fieldset className="qm-fieldset">
          <legend>Scopes</legend>
          {(scopes.data ?? []).map((s) => (
            <Checkbox
              key={s.name}
              inline
              label={s.name}
              title={s.description}
              checked={chosen.includes(s.name)}
              onChange={(e) =>
                setChosen((c) => (e.currentTarget.checked ? [...c, s.name] : c.filter((x) => x !== s.name)))
              }
            />
          ))}
          {errors.scopes && <p className="qm-error">{errors.scopes}</p>}
        </fieldset>
        <Button type="submit" text="Create token" loading={create.isPending} />
      </form>
    </Card>
  );
}

/** Usage analytics: off until the user says yes; revoking deletes what was recorded. */
export function ConsentCard() {
  const consent = useConsent();
  const set = useSetConsent();
  const [confirming, setConfirming] = useState(false);
  const granted = consent.data?.granted ?? false;
  const last = consent.data?.history.at(-1);
  const change = (value: boolean) =>
    set.mutate(value, {
      onSuccess: (out) => {
        setConfirming(false);
        toastSuccess(value ? "Thank you: usage analytics on" : `Usage analytics off; ${out.events_deleted} recorded events deleted`);
      },
      onError: (e) => {
        setConfirming(false);
        toastError(e);
      },
    });
  return (
    <Card>
      <H4>Usage analytics</H4>
      <p className="qm-muted">
        With your consent, Quartermaster records which pages and actions you use (your address only as a hash) so your org&apos;s admins see how
        the tools are used. Nothing is recorded without it.
      </p>
      {consent.isPending ? (
        <SkeletonRows rows={1} />
      ) : (
        <>
          <Switch
            checked={granted}
            label="Record my usage"
            disabled={set.isPending}
            onChange={(e) => (e.currentTarget.checked ? change(true) : setConfirming(true))}
          />
          <p className="qm-muted" data-testid="consent-since">
            {last ? `${last.granted ? "Given" : "Withdrawn"} ${formatDateTime(last.recorded_at)} (policy ${last.policy_version})` : "Never given"}
          </p>
        </>
      )}
      <ConfirmDialog
        open={confirming}
        title="Stop recording my usage?"
        icon="eye-off"
        confirmText="Stop and delete my events"
        loading={set.isPending}
        onConfirm={() => change(false)}
        onCancel={() => setConfirming(false)}
      >
        <p>Every usage event recorded about you is deleted now. You can give consent again at any time.</p>
      </ConfirmDialog>
    </Card>
  );
}

function ExportCard() {
  const exporter = useExportMyData();
  return (
    <Card>
      <H4>Export my data</H4>
      <p className="qm-muted">
        One JSON file with your account, memberships, token names (never the tokens), and your personal locations, ships, stock and its history.
        Org records leave through the org&apos;s own export.
      </p>
      <Button
        icon="download"
        text="Download my data"
        loading={exporter.isPending}
        onClick={() => exporter.mutate(undefined, { onSuccess: () => toastSuccess("Your data was downloaded"), onError: (e) => toastError(e) })}
      />
    </Card>
  );
}

function DeleteCard() {
  const [password, setPassword] = useState("");
  const remove = useDeleteAccount();
  const navigate = useNavigate();
  const { errors, handle, clear } = useFieldErrors();
  return (
    <Card>
      <H4>Delete my account</H4>
      <p>Your personal data is erased; organisations you own must have another owner first.</p>
      <form
        aria-label="Delete account"
        onSubmit={(e) => {
          e.preventDefault();
          clear();
          remove.mutate(password, { onSuccess: () => void navigate("/signin"), onError: (error) => handle(error, ["password"]) });
        }}
      >
        <Field label="Password" id="del-password" error={errors.password}>
          <InputGroup id="del-password" type="password" value={password} onValueChange={setPassword} />
        </Field>
        <Button type="submit" intent={Intent.DANGER} text="Delete account" loading={remove.isPending} />
      </form>
    </Card>
  );
}

export default function AccountPage() {
  const me = useMe();
  return (
    <div className="qm-page">
      <PageHeader title="Account">
        {me.data && <Tag large minimal>{me.data.display_name ?? me.data.username}</Tag>}
      </PageHeader>
      <div className="qm-grid-2">
        <EmailCard />
        <PasswordCard />
        <TokensCard />
        <ConsentCard />
        <ExportCard />
        <DeleteCard />
      </div>
    </div>
  );
}
