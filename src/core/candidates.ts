import { adapterModel, resolveModelParams, type Task } from './catalog.js';

/** What a candidate's default id is built from: the model name, or an adapter model's class (`ExtraTreesClassifier-1`). */
export function idBase(model: string): string {
  return adapterModel(model)?.cls ?? model;
}

/** A `model_selection` candidate as written (params as given). */
export interface CandidateInput {
  id?: string;
  model: string;
  params: Record<string, unknown>;
}

/** A candidate with its stable id, its label and its params with every default filled in. */
export interface ResolvedCandidate {
  id: string;
  label: string;
  model: string;
  params: Record<string, unknown>;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const show = (v: unknown): string => (v === undefined || v === null ? 'none' : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The candidates' ids (`id:` in YAML, else `<model>-<n>`, n counting that model's candidates from
 * 1, so adding another model does not renumber them) and labels: the model, plus the params
 * that differ from its siblings of the same model (`random_forest (n_estimators=300)`), or its
 * id when siblings share every param. Ids and labels are unique within a list. Throws the zod
 * error for invalid params.
 *
 * @example
 * resolveCandidates([{ model: 'knn', params: { n_neighbors: 5 } }, { model: 'knn', params: { n_neighbors: 15 } }], 'classification')
 * // [{ id: 'knn-1', label: 'knn (n_neighbors=5)', … }, { id: 'knn-2', label: 'knn (n_neighbors=15)', … }]
 */
export function resolveCandidates(candidates: readonly CandidateInput[], task: Task): ResolvedCandidate[] {
  const seen = new Map<string, number>();
  const base = candidates.map((c) => {
    const n = (seen.get(c.model) ?? 0) + 1;
    seen.set(c.model, n);
    return { id: c.id ?? `${idBase(c.model)}-${n}`, model: c.model, params: resolveModelParams(c.model, c.params, task) };
  });
  return base.map((c) => {
    const siblings = base.filter((s) => s.model === c.model);
    if (siblings.length === 1) return { ...c, label: c.model };
    const keys = [...new Set(siblings.flatMap((s) => Object.keys(s.params)))].filter((k) => siblings.some((s) => !same(s.params[k], siblings[0].params[k])));
    const twins = siblings.filter((s) => keys.every((k) => same(s.params[k], c.params[k])));
    const parts = keys.map((k) => `${k}=${show(c.params[k])}`);
    if (twins.length > 1) parts.push(c.id);
    return { ...c, label: `${c.model} (${parts.join(', ')})` };
  });
}

/** Ids that more than one candidate has (a validation error). */
export function duplicateCandidateIds(candidates: readonly CandidateInput[]): string[] {
  const ids = candidates.map((c, i) => c.id ?? `${idBase(c.model)}-${candidates.slice(0, i + 1).filter((x) => x.model === c.model).length}`);
  return [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
}


export { candidateName } from './candidate-name.js';
