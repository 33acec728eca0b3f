import type { Task } from './metrics-info.js';

// Light on purpose (no zod): `bfly predict` and model loading parse adapter model names.

/** A model trained by a framework adapter: `sklearn:<module.Class>` or `xgboost:XGBClassifier|XGBRegressor`. */
export interface AdapterModel {
  spec: string;
  framework: 'sklearn' | 'xgboost';
  /** The Python module and class. */
  module: string;
  cls: string;
  /** The task its class name says (Classifier / Regressor), or null when it does not say. */
  task: Task | null;
}

/** How a candidate names an adapter model (documented by `bfly blocks`). */
export const ADAPTER_FORMS = ['sklearn:<module.Class> (e.g. sklearn:sklearn.ensemble.ExtraTreesClassifier)', 'xgboost:XGBClassifier', 'xgboost:XGBRegressor'];

/**
 * The adapter model a name denotes, or null for a native model name.
 *
 * @example
 * adapterModel('sklearn:sklearn.ensemble.ExtraTreesClassifier') // { framework: 'sklearn', module: 'sklearn.ensemble', cls: 'ExtraTreesClassifier', task: 'classification', … }
 */
export function adapterModel(name: string): AdapterModel | null {
  const sk = /^sklearn:((?:[A-Za-z_][A-Za-z0-9_]*\.)+)([A-Za-z_][A-Za-z0-9_]*)$/.exec(name);
  const xg = /^xgboost:(XGBClassifier|XGBRegressor|XGBRFClassifier|XGBRFRegressor)$/.exec(name);
  if (sk === null && xg === null) return null;
  const cls = sk !== null ? sk[2] : xg![1];
  const task = /Classifier$/.test(cls) ? 'classification' : /Regress(or|ion)$/.test(cls) ? 'regression' : null;
  return sk !== null ? { spec: name, framework: 'sklearn', module: sk[1].slice(0, -1), cls, task } : { spec: name, framework: 'xgboost', module: 'xgboost', cls, task };
}
