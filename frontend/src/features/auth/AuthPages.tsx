import { Button, Callout, Card, Checkbox, H2, InputGroup, Intent } from "@blueprintjs/core";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { Field, useFieldErrors } from "@/components/forms";
import { ApiError } from "@/lib/api/problem";
import { useRegister, useRequestReset, useResetPassword, useSignIn, useVerifyEmail } from "./api";

export function SignInPage() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [failed, setFailed] = useState<string | null>(null);
  const signIn = useSignIn();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFailed(null);
    signIn.mutate(
      { username, password },
      {
        onSuccess: () => void navigate("/"),
        onError: (error) => setFailed(error instanceof ApiError ? (error.problem.detail ?? error.problem.title) : String(error)),
      },
    );
  };
  return (
    <main className="qm-auth">
      <Card elevation={2}>
        <H2>Sign in to Quartermaster</H2>
        {params.get("reset") === "1" && <Callout intent={Intent.SUCCESS}>Your password was changed: sign in with the new one.</Callout>}
        <form onSubmit={submit} aria-label="Sign in">
          <Field label="Username or email" id="signin-username">
            <InputGroup id="signin-username" autoComplete="username" value={username} onValueChange={setUsername} />
          </Field>
          <Field label="Password" id="signin-password" error={failed ?? undefined}>
            <InputGroup id="signin-password" type="password" autoComplete="current-password" value={password} onValueChange={setPassword} />
          </Field>
          <Button type="submit" intent={Intent.PRIMARY} loading={signIn.isPending} text="Sign in" fill />
        </form>
        <p className="qm-muted">
          New here? <Link to="/register">Create an account</Link> · <Link to="/forgot-password">Forgot your password?</Link>
        </p>
      </Card>
    </main>
  );
}

const FIELDS = ["username", "email", "password", "display_name"];

export function RegisterPage() {
  const [form, setForm] = useState({ username: "", email: "", password: "", display_name: "", consent: false });
  const register = useRegister();
  const { errors, handle, clear } = useFieldErrors();
  const navigate = useNavigate();
  const set = (key: keyof typeof form) => (value: string) => setForm((f) => ({ ...f, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    register.mutate(
      {
        username: form.username,
        email: form.email,
        password: form.password,
        display_name: form.display_name || null,
        consent_data_collection: form.consent,
      },
      { onSuccess: () => void navigate("/orgs"), onError: (error) => handle(error, FIELDS) },
    );
  };
  return (
    <main className="qm-auth">
      <Card elevation={2}>
        <H2>Create your account</H2>
        <form onSubmit={submit} aria-label="Register">
          <Field label="Username" id="reg-username" error={errors.username} help="3–32 letters, digits, _ . -">
            <InputGroup id="reg-username" autoComplete="username" value={form.username} onValueChange={set("username")} />
          </Field>
          <Field label="Email" id="reg-email" error={errors.email}>
            <InputGroup id="reg-email" type="email" autoComplete="email" value={form.email} onValueChange={set("email")} />
          </Field>
          <Field label="Password" id="reg-password" error={errors.password} help="At least 10 characters">
            <InputGroup id="reg-password" type="password" autoComplete="new-password" value={form.password} onValueChange={set("password")} />
          </Field>
          <Field label="Display name (optional)" id="reg-display" error={errors.display_name}>
            <InputGroup id="reg-display" value={form.display_name} onValueChange={set("display_name")} />
          </Field>
          <Checkbox
            checked={form.consent}
            label="Allow anonymous usage statistics"
            onChange={(e) => setForm((f) => ({ ...f, consent: e.currentTarget.checked }))}
          />
          <Button type="submit" intent={Intent.PRIMARY} loading={register.isPending} text="Create account" fill />
        </form>
        <p className="qm-muted">
          Already registered? <Link to="/signin">Sign in</Link>
        </p>
      </Card>
    </main>
  );
}

/** Ask for a reset link by email (the emailed link opens ResetPasswordPage). */
export function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const request = useRequestReset();
  const { errors, handle, clear } = useFieldErrors();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    request.mutate(email, { onError: (error) => handle(error, ["email"]) });
  };
  return (
    <main className="qm-auth">
      <Card elevation={2}>
        <H2>Reset your password</H2>
        {request.data ? (
          <Callout intent={request.data.email_enabled ? Intent.SUCCESS : Intent.WARNING} title={request.data.email_enabled ? "Check your email" : "This server sends no email"}>
            {request.data.email_enabled
              ? "If an account has this address, a link to choose a new password is on its way. It works once, for a limited time."
              : "Ask the server's administrator to reset your password."}
          </Callout>
        ) : (
          <form onSubmit={submit} aria-label="Request a reset link">
            <Field label="Email" id="reset-email" error={errors.email}>
              <InputGroup id="reset-email" type="email" autoComplete="email" value={email} onValueChange={setEmail} />
            </Field>
            <Button type="submit" intent={Intent.PRIMARY} loading={request.isPending} text="Send me a link" fill />
          </form>
        )}
        <p className="qm-muted">
          <Link to="/signin">Back to sign in</Link>
        </p>
      </Card>
    </main>
  );
}

/** The emailed link's page: choose a new password with the link's token. */
export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [password, setPassword] = useState("");
  const reset = useResetPassword();
  const { errors, handle, clear } = useFieldErrors();
  const navigate = useNavigate();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    reset.mutate({ token, new_password: password }, { onSuccess: () => void navigate("/signin?reset=1"), onError: (error) => handle(error, ["token", "new_password"]) });
  };
  return (
    <main className="qm-auth">
      <Card elevation={2}>
        <H2>Choose a new password</H2>
        {errors.token && (
          <Callout intent={Intent.DANGER} title="This link does not work">
            {errors.token} <Link to="/forgot-password">Ask for a new link.</Link>
          </Callout>
        )}
        <form onSubmit={submit} aria-label="Choose a new password">
          <Field label="New password" id="reset-password" error={errors.new_password} help="At least 10 characters">
            <InputGroup id="reset-password" type="password" autoComplete="new-password" value={password} onValueChange={setPassword} />
          </Field>
          <Button type="submit" intent={Intent.PRIMARY} loading={reset.isPending} text="Set password" fill disabled={!token} />
        </form>
      </Card>
    </main>
  );
}

/** The emailed verification link's page: it uses the token once, on arrival. */
export function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const verify = useVerifyEmail();
  const { mutate } = verify;
  // Once per token: a second use (React's development double effect) would be refused.
  const used = useRef<string | null>(null);
  useEffect(() => {
    if (!token || used.current === token) return;
    used.current = token;
    mutate(token);
  }, [token, mutate]);
  return (
    <main className="qm-auth">
      <Card elevation={2}>
        <H2>Email address</H2>
        {verify.isSuccess && <Callout intent={Intent.SUCCESS} title="Your address is verified" />}
        {(verify.isError || !token) && (
          <Callout intent={Intent.DANGER} title="This link does not work">
            It may be used, expired, or for an address the account no longer has. Send a new one from your Account page.
          </Callout>
        )}
        {verify.isPending && <p className="qm-muted">Checking the link…</p>}
        <p className="qm-muted">
          <Link to="/">Go to Quartermaster</Link>
        </p>
      </Card>
    </main>
  );
}
