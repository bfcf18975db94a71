// Numbers as the game shows them: cargo in SCU, money in aUEC, quality 0-1000.

const scuFmt = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 3 });
const auecFmt = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });
const pctFmt = new Intl.NumberFormat("en-GB", { style: "percent", maximumFractionDigits: 0 });

export function toNumber(value: string | number | null | undefined): number {
  if (value === null || value === undefined || value === "") return 0;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}

export function formatScu(value: string | number | null | undefined): string {
  return `${scuFmt.format(toNumber(value))} SCU`;
}

export function formatAuec(value: string | number | null | undefined): string {
  return `${auecFmt.format(Math.round(toNumber(value)))} aUEC`;
}

/** A quantity in the item's unit: SCU for commodities, a count with "pc"/"pcs" for pieces. */
export function formatQuantity(value: string | number | null | undefined, unit?: string | null): string {
  if (unit === "piece") {
    const n = toNumber(value);
    return `${scuFmt.format(n)} ${n === 1 ? "pc" : "pcs"}`;
  }
  return formatScu(value);
}

/** Runs of a blueprint: whole for crafts, fractional for continuous refining. */
export function formatRuns(value: number): string {
  return scuFmt.format(value);
}

export function formatQuality(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `Q${Math.round(value)}`;
}

export function formatPercent(value: number): string {
  return pctFmt.format(value);
}

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "—";
  return new Date(value).toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short" });
}
