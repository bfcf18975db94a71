/** One entry of a problem's `errors` (api/core/errors.py FieldError). */
export interface ProblemFieldError {
  message: string;
  field?: string | null;
  loc?: (string | number)[] | null;
  record?: string | null;
}

/** RFC 9457 problem document; extension members (e.g. `changes` on a 409) ride along. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string | null;
  instance?: string | null;
  request_id?: string | null;
  errors?: ProblemFieldError[];
  [extension: string]: unknown;
}

/** An RFC 9457 problem answered by the API (or a network failure, status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: ProblemDocument;

  constructor(status: number, problem: ProblemDocument) {
    super(problem.detail ?? problem.title);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }

  /** Field errors keyed by the body field they name (`loc` without its leading "body"). */
  get fieldErrors(): Record<string, string> {
    return fieldErrorsOf(this.problem);
  }
}

function fieldKey(error: ProblemFieldError): string | null {
  const loc = error.loc ?? (error.field ? error.field.split(".") : null);
  if (!loc || loc.length === 0) return null;
  const parts = loc[0] === "body" || loc[0] === "query" ? loc.slice(1) : loc;
  return parts.length ? parts.join(".") : null;
}

/** Map a problem's `errors` to `{field: message}`; the first message per field wins. */
export function fieldErrorsOf(problem: ProblemDocument): Record<string, string> {
  const out: Record<string, string> = {};
  for (const error of problem.errors ?? []) {
    const key = fieldKey(error);
    if (key && !(key in out)) out[key] = error.record ? `${error.message} (${error.record})` : error.message;
  }
  return out;
}

/** Turn anything thrown into a problem document so callers render one shape. */
export function toProblem(error: unknown): ProblemDocument {
  if (error instanceof ApiError) return error.problem;
  const detail = error instanceof Error ? error.message : String(error);
  return { type: "about:blank", title: "Something went wrong", status: 0, detail };
}

export function isProblem(body: unknown): body is ProblemDocument {
  return typeof body === "object" && body !== null && "title" in body && "status" in body;
}
