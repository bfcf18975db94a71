/** Hand a file the app fetched to the browser's download (org exports, my data export). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  // Revoked once the browser has taken the file (revoking at once can cancel the download).
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
