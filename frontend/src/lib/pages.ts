// Lists come in pages; reference data (catalogue, location tree) is small enough to read whole.

interface PageLike<T> {
  items: T[];
  total?: number;
  next_offset?: number | null;
  limit: number;
  offset: number;
}

/** The API's largest page (`limit` above it is a 422). */
export const PAGE_MAX = 500;

/** Read every page of a list endpoint, `limit` rows at a time. */
export async function fetchAllPages<T>(
  fetchPage: (offset: number, limit: number) => Promise<PageLike<T>>,
  limit: number,
  maxRows = 100_000,
): Promise<T[]> {
  const rows: T[] = [];
  let offset = 0;
  for (;;) {
    const page = await fetchPage(offset, limit);
    rows.push(...page.items);
    const next =
      page.next_offset !== undefined
        ? page.next_offset
        : page.total !== undefined && offset + page.items.length < page.total
          ? offset + page.items.length
          : null;
    if (next === null || next === undefined || page.items.length === 0 || rows.length >= maxRows) return rows;
    offset = next;
  }
}
