import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { type AdapterModel, adapterModel } from '../../core/adapter-model.js';
import { BflyError } from '../../core/errors.js';
import { sha256Hex } from '../../core/hash.js';
import type { Matrix } from '../../ml/matrix.js';
import type { ExternalModelJson, FittedModel } from '../../ml/models.js';
import { packageRoot } from '../../store/package-root.js';

/** A fitted adapter model as `model.json` records it; the model itself is the pickle artifact (`file`, `sha256`). */
export type PythonModelJson = ExternalModelJson;

/** Where the interpreter comes from: the workspace config, BFLY_PYTHON, or python3 on PATH. */
export function pythonInterpreter(configured?: string): string {
  return configured ?? process.env.BFLY_PYTHON ?? 'python3';
}

const versionCache = new Map<string, Record<string, string>>();

/**
 * The interpreter's Python and framework versions (part of an adapter run's execution key),
 * asked once per process. No interpreter is an `infra` error with the install hint.
 */
export function pythonVersions(python: string): Record<string, string> {
  const known = versionCache.get(python);
  if (known !== undefined) return known;
  const script = "import sys,json,importlib\nv={'python':'%d.%d.%d'%sys.version_info[:3]}\nfor m in ('numpy','sklearn','xgboost'):\n  try: v[m]=importlib.import_module(m).__version__\n  except ImportError: pass\nprint(json.dumps(v))";
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined || r.status !== 0) {
    throw new BflyError('infra', 'PYTHON_NOT_FOUND', `cannot run the Python interpreter ${JSON.stringify(python)}: ${r.error?.message ?? r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`}`, {
      hint: 'install Python 3 with the framework (Debian: apt-get install python3-sklearn python3-xgboost), or point bfly at one: bfly config set frameworks.python=/usr/bin/python3 (or BFLY_PYTHON)',
      data: { python },
    });
  }
  const v = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, string>;
  versionCache.set(python, v);
  return v;
}

/** The framework versions an adapter model needs (numpy, and its framework), refused when it is not importable. */
export function frameworkVersions(python: string, model: AdapterModel): Record<string, string> {
  const v = pythonVersions(python);
  const need = model.framework === 'xgboost' ? ['numpy', 'sklearn', 'xgboost'] : ['numpy', 'sklearn'];
  const missing = need.filter((m) => v[m] === undefined);
  if (missing.length > 0) {
    throw new BflyError('framework', 'FRAMEWORK_MISSING', `${python} cannot import ${missing.join(', ')} (needed by ${model.spec})`, {
      hint: `install it for that interpreter (Debian: apt-get install ${missing.map((m) => `python3-${m === 'sklearn' ? 'sklearn' : m}`).join(' ')}), or point bfly at another: bfly config set frameworks.python=/path/to/python3`,
      data: { python, missing },
    });
  }
  return Object.fromEntries(['python', ...need].map((k) => [k, v[k]]));
}

type Response = { header: { error?: { kind: string; message: string; traceback: string }; versions?: Record<string, string> }; buffers: ArrayBuffer[] } | { died: { code: number | null; signal: string | null; error?: string; stderr: string } };

/** Per-call limit (ms): BFLY_PYTHON_CALL_TIMEOUT_MS, else 30 minutes. */
function callTimeout(): number {
  const v = Number(process.env.BFLY_PYTHON_CALL_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 30 * 60_000;
}

function hostScript(): string {
  const bundled = join(packageRoot(), 'dist', 'cli', 'python-host.cjs');
  return existsSync(bundled) ? bundled : join(packageRoot(), 'dist', 'runner', 'adapters', 'python-host.js');
}

/**
 * One persistent Python process (the adapter worker, `python/bfly_adapter.py`) for this bfly
 * process, spoken to synchronously: a worker thread owns the process and its pipes, and each
 * call waits for its answer with Atomics.wait, so the models' `predict` stays synchronous like
 * the native ones'. Matrices go as raw float64 bytes, never as JSON numbers.
 */
export class PythonWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** [0]: set to 1 when an answer is waiting; [1]: the Python process id (set by the host). */
  private readonly flag = new SharedArrayBuffer(8);
  private readonly killOnExit = (): void => this.kill();
  private closed = false;
  private died: string | null = null;

  constructor(readonly python: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(hostScript(), { workerData: { python, script: join(packageRoot(), 'python', 'bfly_adapter.py'), flag: this.flag, port: port2 }, transferList: [port2] });
    this.worker.unref();
    this.port.unref();
    process.on('exit', this.killOnExit);
  }

  /** Kills the Python process (a fit in progress does not finish first). */
  private kill(): void {
    const pid = Atomics.load(new Int32Array(this.flag), 1);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  /** Sends one command and waits for its answer (errors become bfly errors naming the cause). */
  call(header: Record<string, unknown>, buffers: ArrayBuffer[] = [], what = String(header.cmd)): { header: Record<string, unknown>; buffers: ArrayBuffer[] } {
    if (this.died !== null) throw this.deadError(this.died);
    const signal = new Int32Array(this.flag);
    Atomics.store(signal, 0, 0);
    this.port.postMessage({ header, buffers }, buffers);
    const limit = callTimeout();
    if (Atomics.wait(signal, 0, 0, limit) === 'timed-out') {
      this.close(true);
      this.died = `the ${what} call took longer than ${limit} ms`;
      throw new BflyError('infra', 'ADAPTER_TIMEOUT', `the Python adapter did not answer ${what} within ${Math.round(limit / 1000)} s; it was stopped`, { hint: 'use a smaller model or fewer rows, or raise BFLY_PYTHON_CALL_TIMEOUT_MS' });
    }
    const got = receiveMessageOnPort(this.port)?.message as Response | undefined;
    if (got === undefined) throw new BflyError('infra', 'ADAPTER_LOST', 'the Python adapter answered nothing', { hint: 'run again; if it persists, report it' });
    if ('died' in got) {
      const d = got.died;
      this.died = d.error ?? `exited with ${d.signal !== null ? `signal ${d.signal}` : `code ${d.code}`}${d.stderr.trim() !== '' ? `: ${d.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
      throw this.deadError(this.died);
    }
    const error = got.header.error;
    if (error !== undefined) {
      const code = error.kind === 'import' ? 'ADAPTER_IMPORT' : error.kind === 'converter' ? 'ADAPTER_NO_CONVERTER' : 'ADAPTER_EXCEPTION';
      if (error.kind === 'converter') throw new BflyError('framework', code, error.message, { hint: 'install the converter for the interpreter, or export a native model', data: { python: this.python } });
      const err = new BflyError('framework', code, `${error.kind === 'import' ? '' : `${String(header.spec ?? 'the Python model')} ${what}: `}${error.message}`, {
        hint: error.kind === 'import' ? 'check the module and class name, and that the framework is installed for the interpreter (`bfly config get frameworks`)' : "check the model's params; the Python traceback is in the run's logs/error.log",
        data: { python: this.python },
      });
      if (error.traceback !== '') err.stack = `${err.message}\n\nPython traceback:\n${error.traceback}`;
      throw err;
    }
    return got as { header: Record<string, unknown>; buffers: ArrayBuffer[] };
  }

  private deadError(why: string): BflyError {
    return new BflyError('infra', 'ADAPTER_DIED', `the Python adapter process ${why}`, { hint: 'a model that crashes its interpreter (out of memory, a native library fault) cannot run here; try smaller params, or check the interpreter', data: { python: this.python } });
  }

  /** Ends the process (killing it when `now`). */
  close(now = false): void {
    if (this.closed) return;
    this.closed = true;
    process.off('exit', this.killOnExit);
    if (now) {
      this.kill();
      void this.worker.terminate();
    } else this.port.postMessage('close');
  }
}

let shared: PythonWorker | null = null;

/** This process's adapter worker for `python` (started on first use). */
export function pythonWorker(python: string): PythonWorker {
  if (shared === null || shared.python !== python) {
    shared?.close();
    shared = new PythonWorker(python);
  }
  return shared;
}

/** Float64 rows × cols as bytes for the wire. */
function matrixBytes(X: Matrix): ArrayBuffer {
  return X.data.slice(0, X.rows * X.cols).buffer as ArrayBuffer;
}

let nextId = 0;

/** A fitted adapter model as bfly's uniform model interface (predictions through the worker). */
function adapterFitted(worker: PythonWorker, id: string, json: PythonModelJson): FittedModel {
  return {
    task: json.task,
    predict: (X) => new Float64Array(worker.call({ cmd: 'predict', id, spec: json.spec, rows: X.rows, cols: X.cols }, [matrixBytes(X)], 'predict').buffers[0]),
    predictProba: (X) => new Float64Array(worker.call({ cmd: 'proba', id, spec: json.spec, rows: X.rows, cols: X.cols, classes: json.classes }, [matrixBytes(X)], 'predict_proba').buffers[0]),
    toJSON: () => json,
  };
}

/** Pickles of fitted adapter models by sha256 (the run writes them as artifacts; evaluate and explain reuse the worker's copy). */
const pickles = new Map<string, { bytes: Uint8Array; id: string; python: string }>();

/** The pickle of a model this process fitted, by its sha256 (for the model artifact). */
export function pickleOf(sha256: string): Uint8Array | undefined {
  return pickles.get(sha256)?.bytes;
}

/**
 * Fits `spec` (an adapter model name) in the worker: params as keyword arguments, the run seed
 * as `random_state` where the estimator has one. The fitted estimator is pickled at once (its
 * bytes and sha256 go into the model JSON).
 */
export function fitAdapterModel(python: string, spec: string, params: Record<string, unknown>, X: Matrix, y: Int32Array | Float64Array, classes: number, seed: number): FittedModel {
  const model = adapterModel(spec)!;
  const versions = frameworkVersions(python, model);
  const worker = pythonWorker(python);
  const id = `m${nextId++}`;
  const task = classes > 0 ? 'classification' : 'regression';
  worker.call({ cmd: 'fit', id, spec, params, seed, task, rows: X.rows, cols: X.cols }, [matrixBytes(X), Float64Array.from(y).buffer], 'fit');
  const bytes = new Uint8Array(worker.call({ cmd: 'save', id, spec }, [], 'pickle').buffers[0]);
  const sha256 = `sha256:${sha256Hex(bytes)}`;
  pickles.set(sha256, { bytes, id, python });
  return adapterFitted(worker, id, { kind: 'python', spec, framework: model.framework, params, task, classes, file: 'model.pkl', sha256, versions });
}

/**
 * A stored adapter model, ready to predict: the worker loads its pickle (the bytes given, or the
 * copy this process fitted). The pickle's sha256 must be the one model.json records.
 */
export function loadAdapterModel(python: string, json: PythonModelJson, bytes?: Uint8Array): FittedModel {
  const own = pickles.get(json.sha256);
  if (own !== undefined) return adapterFitted(pythonWorker(own.python), own.id, json);
  if (bytes === undefined) throw new BflyError('integrity', 'MODEL_FILE_MISSING', `the pickled model ${json.file} is missing`, { hint: 'predict with the run folder or an export of it, where model.pkl sits beside model.json' });
  if (`sha256:${sha256Hex(bytes)}` !== json.sha256) throw new BflyError('integrity', 'MODEL_CHANGED', `${json.file} does not match the sha256 model.json records`, { hint: 'export the run again (`bfly export <run> <dir>`)' });
  frameworkVersions(python, adapterModel(json.spec)!);
  const worker = pythonWorker(python);
  const id = `m${nextId++}`;
  worker.call({ cmd: 'load', id, spec: json.spec }, [bytes.slice().buffer as ArrayBuffer], 'load');
  pickles.set(json.sha256, { bytes, id, python });
  return adapterFitted(worker, id, json);
}

/**
 * An adapter model as an ONNX model from its framework's own converter (skl2onnx for
 * scikit-learn, onnxmltools for XGBoost): input `X` float [N, cols]. The model must be loaded in
 * this process (by {@link loadAdapterModel}); a converter that is not importable is an
 * `ADAPTER_NO_CONVERTER` error.
 */
export function adapterToOnnx(json: PythonModelJson, cols: number): Uint8Array {
  const own = pickles.get(json.sha256);
  if (own === undefined) throw new BflyError('framework', 'ADAPTER_NOT_LOADED', `the ${json.spec} model is not loaded`, { hint: 'load it with loadModel() first' });
  return new Uint8Array(pythonWorker(own.python).call({ cmd: 'onnx', id: own.id, spec: json.spec, cols, task: json.task }, [], 'onnx').buffers[0]);
}
