import { Button, Callout, Card, FileInput, H4, HTMLSelect, HTMLTable, Intent, ProgressBar, Tag } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Field, useFieldErrors } from "@/components/forms";
import { PageHeader } from "@/components/PageHeader";
import { useOrgId } from "@/lib/org";
import { useCan } from "@/lib/role";
import { toastError, toastSuccess } from "@/lib/toast";
import {
  downloadExport,
  isImportJob,
  isRunning,
  jobProgress,
  useImport,
  useImportJob,
  type ExportKind,
  type FileFormat,
  type ImportJob,
  type ImportKind,
  type ImportReport,
} from "./api";

const KINDS: { kind: ImportKind; label: string }[] = [
  { kind: "items", label: "Items" },
  { kind: "locations", label: "Locations" },
  { kind: "ships", label: "Ships" },
  { kind: "stock", label: "Stock" },
  { kind: "blueprints", label: "Blueprints" },
  { kind: "uex-prices", label: "Market prices (UEX export)" },
  { kind: "scunpacked-blueprints", label: "Blueprints (scunpacked-data JSON)" },
];
// Other tools' formats are read, never written.
const COMMUNITY: ImportKind[] = ["uex-prices", "scunpacked-blueprints"];
const EXPORTS = KINDS.filter((k): k is { kind: ExportKind; label: string } => !COMMUNITY.includes(k.kind));

/** The dry run's (or apply's) report: counts, every bad value, every row's effect. */
export function ImportReportView({ report }: { report: ImportReport }) {
  return (
    <div aria-label="Import report" role="region">
      <Callout
        intent={report.valid ? Intent.SUCCESS : Intent.DANGER}
        title={report.applied ? "Imported" : report.valid ? "Ready to import" : `${report.errors.length} problem(s): nothing can be imported yet`}
      >
        {report.rows} rows: {report.created} to create, {report.updated} to update, {report.unchanged} unchanged
        {report.applied ? " (done)." : "."}
      </Callout>
      {report.errors.length > 0 && (
        <HTMLTable compact striped className="qm-table" aria-label="Row errors">
          <thead>
            <tr><th>Row</th><th>Column</th><th>Value</th><th>Why</th><th>Did you mean</th></tr>
          </thead>
          <tbody>
            {report.errors.map((e, i) => (
              <tr key={`${e.row}-${e.column}-${i}`}>
                <td>{e.row}</td>
                <td>{e.column}</td>
                <td>{e.value ?? "—"}</td>
                <td>{e.reason}</td>
                <td>{(e.suggestions ?? []).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
      {report.changes.length > 0 && (
        <HTMLTable compact striped className="qm-table" aria-label="Row changes">
          <thead>
            <tr><th>Row</th><th>Record</th><th>Change</th><th>Detail</th></tr>
          </thead>
          <tbody>
            {report.changes.map((c) => (
              <tr key={c.row}>
                <td>{c.row}</td>
                <td>{c.record}</td>
                <td><Tag minimal intent={c.action === "create" ? Intent.SUCCESS : c.action === "update" ? Intent.PRIMARY : Intent.NONE}>{c.action}</Tag></td>
                <td>{c.detail ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
    </div>
  );
}

/** A background import: its progress while the worker runs it, then why it failed (if so). */
export function ImportJobView({ job }: { job: ImportJob }) {
  if (isRunning(job)) {
    const what = job.apply ? "Importing" : "Checking";
    const where =
      job.status === "queued"
        ? "waiting for a worker"
        : job.phase === "apply"
          ? `writing ${job.rows_done.toLocaleString()} of ${job.rows_total.toLocaleString()} changed rows`
          : `checking ${job.rows_done.toLocaleString()} of ${job.rows_total.toLocaleString()} rows`;
    return (
      <div aria-label="Import job" role="status">
        <Callout intent={Intent.PRIMARY} title={`${what} in the background`}>
          A large file runs as a job: {where}. You may leave this page; nothing is written until every row is checked.
        </Callout>
        <ProgressBar value={jobProgress(job)} intent={Intent.PRIMARY} aria-label="Import progress" />
      </div>
    );
  }
  if (job.status === "failed") {
    return (
      <Callout intent={Intent.DANGER} title="The import failed: nothing was written" aria-label="Import job" role="alert">
        {job.error}
      </Callout>
    );
  }
  return null;
}

export default function ImportExportPage() {
  const orgId = useOrgId();
  const canImport = useCan(orgId, "manage");
  const [kind, setKind] = useState<ImportKind>("stock");
  const [file, setFile] = useState<File | null>(null);
  const [inlineReport, setReport] = useState<ImportReport | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [format, setFormat] = useState<FileFormat>("csv");
  const run = useImport(orgId);
  const job = useImportJob(orgId, jobId).data;
  const jobRunning = job !== undefined && isRunning(job);
  // A large file's report comes with its finished job.
  const report = inlineReport ?? job?.report ?? null;
  const forget = () => {
    setReport(null);
    setJobId(null);
  };
  const { errors, handle, clear } = useFieldErrors();
  const upload = (apply: boolean) => {
    if (!file) return;
    clear();
    run.mutate(
      { kind, file, apply },
      {
        onSuccess: (r) => {
          forget();
          if (isImportJob(r)) {
            setJobId(r.id);
            return;
          }
          setReport(r);
          if (r.applied) toastSuccess(`Imported ${r.created + r.updated} row(s)`);
        },
        onError: (error) => {
          forget();
          handle(error, ["file", "format", "kind"]);
        },
      },
    );
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    upload(false);
  };
  return (
    <div className="qm-page">
      <PageHeader title="Import & export" />
      <Card aria-label="Export">
        <H4>Export</H4>
        <p className="qm-muted">The org's own records, by name and path, in the layout an import reads back.</p>
        <Field label="Format" id="exp-format">
          <HTMLSelect id="exp-format" value={format} onChange={(e) => setFormat(e.currentTarget.value as FileFormat)}>
            <option value="csv">CSV</option>
            <option value="json">JSON</option>
          </HTMLSelect>
        </Field>
        <div className="qm-row">
          {EXPORTS.map((k) => (
            <Button
              key={k.kind}
              icon="download"
              text={`Export ${k.label.toLowerCase()}`}
              onClick={() => void downloadExport(orgId, k.kind, format).catch(toastError)}
            />
          ))}
        </div>
      </Card>
      {canImport && (
        <Card aria-label="Import">
          <H4>Import</H4>
          <form onSubmit={submit} aria-label="Import a file">
            <Field label="What the file holds" id="imp-kind" error={errors.kind}>
              <HTMLSelect
                id="imp-kind"
                value={kind}
                onChange={(e) => {
                  setKind(e.currentTarget.value as ImportKind);
                  forget();
                }}
              >
                {KINDS.map((k) => (
                  <option key={k.kind} value={k.kind}>{k.label}</option>
                ))}
              </HTMLSelect>
            </Field>
            <Field label="File (CSV with a header row, or a JSON array)" id="imp-file" error={errors.file ?? errors.format}>
              <FileInput
                text={file?.name ?? "Choose a file…"}
                hasSelection={file !== null}
                inputProps={{ id: "imp-file", accept: ".csv,.json,text/csv,application/json" }}
                onInputChange={(e) => {
                  setFile(e.currentTarget.files?.[0] ?? null);
                  forget();
                }}
              />
            </Field>
            <div className="qm-row">
              <Button
                type="submit"
                icon="search-text"
                text="Check file"
                disabled={!file || jobRunning}
                loading={(run.isPending && !run.variables?.apply) || (jobRunning && !job.apply)}
              />
              <Button
                intent={Intent.PRIMARY}
                icon="import"
                text="Import"
                disabled={!report || !report.valid || report.applied || jobRunning}
                loading={(run.isPending && run.variables?.apply === true) || (jobRunning && job.apply)}
                onClick={() => upload(true)}
              />
            </div>
          </form>
          {job && <ImportJobView job={job} />}
          {report && <ImportReportView report={report} />}
        </Card>
      )}
    </div>
  );
}
