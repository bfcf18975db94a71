import { Button, Card, Checkbox, H2, InputGroup, Intent } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { Field, useFieldErrors } from "@/components/forms";
import { ApiError } from "@/lib/api/problem";
import { useRegister, useSignIn } from "./api";

export function SignInPage() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [failed, setFailed] = useState<string | null>(null);
  const signIn = useSignIn();
  const navigate = useNavigate();
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
          New here? <Link to="/register">Create an account</Link>
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
