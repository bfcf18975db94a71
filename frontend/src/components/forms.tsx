import { FormGroup, Intent } from "@blueprintjs/core";
import { useState, type ReactNode } from "react";
import { ApiError } from "@/lib/api/problem";
import { toastError } from "@/lib/toast";

/**
 * Problem documents land on the form field they name (422); anything not tied to a field is
 * shown as a toast. `handle` returns true when it placed at least one field error.
 */
export function useFieldErrors() {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const handle = (error: unknown, fields: string[]): boolean => {
    if (error instanceof ApiError) {
      const byField = error.fieldErrors;
      const mine = Object.fromEntries(
        Object.entries(byField)
          .map(([k, v]) => [fields.find((f) => k === f || k.startsWith(`${f}.`)) ?? "", v] as const)
          .filter(([k]) => k !== ""),
      );
      setErrors(mine);
      if (Object.keys(mine).length > 0) return true;
    }
    toastError(error);
    return false;
  };
  return { errors, setErrors, handle, clear: () => setErrors({}) };
}

/** A labelled form row that shows the API's message for its field. */
export function Field(props: { label: string; id: string; error?: string | undefined; help?: string; children: ReactNode }) {
  return (
    <FormGroup
      label={props.label}
      labelFor={props.id}
      intent={props.error ? Intent.DANGER : Intent.NONE}
      helperText={props.error ?? props.help}
    >
      {props.children}
    </FormGroup>
  );
}
