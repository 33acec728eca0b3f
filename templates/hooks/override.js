// An override_<stage> hook replaces the stage and returns exactly what it promises:
//   split / features / preprocess: { outputs: { train, test } }
//   model_selection:               { outputs: { selection: { model, params } } }
//   evaluate:                      { outputs: { predictions: { predicted: [...], proba? } } }
export default function (ctx) {
  return { outputs: { selection: { model: 'random_forest', params: { n_estimators: 200 } } } };
}
