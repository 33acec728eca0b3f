/** One CSV field as RFC 4180 writes it: quoted (quotes doubled) only when it holds `"`, `,` or a line break. */
export function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
