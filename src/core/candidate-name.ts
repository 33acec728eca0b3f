/**
 * How a candidate is named to people: its label, and its id in brackets unless the id adds
 * nothing (a model's only candidate with the default id): `knn (n_neighbors=15) [knn-2]`.
 */
export function candidateName(c: { id?: string | null; label: string; model: string }): string {
  const plain = c.id === undefined || c.id === null || (c.label === c.model && c.id === `${c.model}-1`);
  return plain ? c.label : `${c.label} [${c.id}]`;
}
