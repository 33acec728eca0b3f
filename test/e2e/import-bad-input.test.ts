import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BFLY, bfly, makeTempDir, snapshotTree } from '../helpers.js';

let dir: string;
let ws: string;
let files: string;
let cleanup: () => void;

beforeAll(async () => {
  const t = makeTempDir();
  dir = t.dir;
  cleanup = t.cleanup;
  ws = join(dir, 'ws');
  files = join(dir, 'files');
  mkdirSync(files);
  expect((await bfly(['init', ws])).exitCode).toBe(0);
  // A dataset already there, so "unchanged" covers a non-empty workspace.
  writeFileSync(join(files, 'ok.csv'), 'a,b\n1,x\n');
  expect((await bfly(['-C', ws, 'dataset', 'import', join(files, 'ok.csv')])).exitCode).toBe(0);
});
afterAll(() => cleanup());

function file(name: string, data: string | Buffer): string {
  const p = join(files, name);
  writeFileSync(p, data);
  return p;
}

/** Imports `path` with `--json`, expects failure, and proves .butterfly/ did not change. */
async function refused(path: string, extra: string[] = []): Promise<{ exitCode: number; error: { code: string; category: string; message: string; hint: string } }> {
  const before = snapshotTree(join(ws, '.butterfly'));
  const r = await bfly(['-C', ws, 'dataset', 'import', path, '--json', ...extra]);
  expect(r.stdout).toBe('');
  expect(snapshotTree(join(ws, '.butterfly'))).toEqual(before);
  const { error } = JSON.parse(String(r.stderr));
  expect(error.hint, 'every error says what to do next').toBeTruthy();
  return { exitCode: r.exitCode ?? -1, error };
}

describe('dataset import refuses bad input and leaves .butterfly/ byte-for-byte as before', () => {
  it('an empty file', async () => {
    const r = await refused(file('empty.csv', ''));
    expect(r).toMatchObject({ exitCode: 4, error: { code: 'EMPTY_FILE', category: 'validation' } });
  });

  it('a header with no rows', async () => {
    expect((await refused(file('header.csv', 'a,b,c\n'))).error.code).toBe('NO_ROWS');
  });

  it('a ragged row, naming its line', async () => {
    const r = await refused(file('ragged.csv', 'a,b\n1,2\n3,4,5\n'));
    expect(r.error).toMatchObject({ code: 'RAGGED_ROW', message: expect.stringContaining('line 3: has 3 fields, but the header has 2') });
  });

  it('an unclosed quote, naming the line where it opens', async () => {
    const r = await refused(file('quote.csv', 'a,b\n1,2\n3,"open\n5,6\n'));
    expect(r.error).toMatchObject({ code: 'UNCLOSED_QUOTE', message: expect.stringContaining('line 3') });
  });

  it('NUL bytes', async () => {
    const r = await refused(file('nul.csv', Buffer.from('a,b\n1,2\n3,\u00004\n')));
    expect(r.error).toMatchObject({ code: 'NUL_BYTE', message: expect.stringContaining('line 3') });
  });

  it('bytes that are not UTF-8', async () => {
    const r = await refused(file('latin1.csv', Buffer.concat([Buffer.from('name\nok\ncaf'), Buffer.from([0xe9]), Buffer.from('\n')])));
    expect(r.error).toMatchObject({ code: 'NOT_UTF8', message: expect.stringContaining('line 3') });
    expect(r.error.hint).toContain('iconv');
  });

  it('duplicate and empty column names', async () => {
    expect((await refused(file('dup.csv', 'a,b,a\n1,2,3\n'))).error).toMatchObject({ code: 'DUPLICATE_COLUMN', message: expect.stringContaining('columns 1 and 3') });
    expect((await refused(file('noname.csv', 'a,,c\n1,2,3\n'))).error).toMatchObject({ code: 'EMPTY_COLUMN_NAME', message: expect.stringContaining('column 2') });
  });

  it('a 50 MB single field', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024 + 20, 120);
    Buffer.from('a,b\n1,"').copy(big, 0);
    Buffer.from('"\n').copy(big, big.length - 2);
    const r = await refused(file('bigfield.csv', big));
    expect(r.error).toMatchObject({ code: 'RECORD_TOO_LARGE', message: expect.stringContaining('line 2') });
  });

  it('JSON that is not an array of objects', async () => {
    expect((await refused(file('obj.json', '{"a": 1}'))).error.code).toBe('NOT_AN_ARRAY');
    expect((await refused(file('nums.json', '[1, 2, 3]'))).error.code).toBe('NOT_AN_OBJECT');
    expect((await refused(file('scalar.json', '"text"'))).error.code).toBe('NOT_AN_ARRAY');
    expect((await refused(file('emptyarr.json', '[]'))).error.code).toBe('NO_ROWS');
    expect((await refused(file('emptyobjs.json', '[{}, {}]'))).error.code).toBe('NO_COLUMNS');
    expect((await refused(file('bad.json', '[{"a": 1},\n{"a": 2,}]'))).error).toMatchObject({ code: 'BAD_JSON', message: expect.stringContaining('line 2') });
  });

  it('JSONL with a broken line, naming it', async () => {
    const r = await refused(file('broken.jsonl', '{"a": 1}\n{"a": 2}\n{"a": \n{"a": 4}\n'));
    expect(r.error).toMatchObject({ code: 'BAD_JSON', message: expect.stringContaining('line 3') });
  });

  it('a path that does not exist, or is a directory', async () => {
    expect(await refused(join(files, 'nope.csv'))).toMatchObject({ exitCode: 5, error: { code: 'FILE_NOT_FOUND' } });
    expect(await refused(files)).toMatchObject({ exitCode: 4, error: { code: 'IS_A_DIRECTORY' } });
  });

  it('an unreadable file', async () => {
    const p = file('secret.csv', 'a\n1\n');
    chmodSync(p, 0o000);
    if (process.getuid?.() !== 0) {
      expect(await refused(p)).toMatchObject({ exitCode: 4, error: { code: 'FILE_UNREADABLE' } });
      return;
    }
    // root reads anything: run the CLI as `nobody` on a workspace nobody may write.
    const t = makeTempDir('bfly-nobody-');
    try {
      chmodSync(t.dir, 0o777);
      chmodSync(dir, 0o755);
      chmodSync(files, 0o755);
      const asNobody = (args: string[]) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(__dirname, '..', '..', 'bin', 'bfly.cjs'), ...args], { encoding: 'utf8' });
      expect(asNobody(['init', join(t.dir, 'ws')]).status).toBe(0);
      const before = snapshotTree(join(t.dir, 'ws', '.butterfly'));
      const r = asNobody(['-C', join(t.dir, 'ws'), 'dataset', 'import', p, '--json']);
      expect(r.status).toBe(4);
      expect(JSON.parse(r.stderr).error.code).toBe('FILE_UNREADABLE');
      expect(snapshotTree(join(t.dir, 'ws', '.butterfly'))).toEqual(before);
    } finally {
      t.cleanup();
    }
  });

  it('bad dataset names: /, .., control characters, over 200 bytes', async () => {
    const ok = file('fine.csv', 'a\n1\n');
    for (const name of ['a/b', '..', 'x..y', 'tab\there', 'esc\u001b[31m', 'é'.repeat(101), 'v@2']) {
      expect(await refused(ok, ['--name', name]), JSON.stringify(name)).toMatchObject({ exitCode: 4, error: { code: 'BAD_NAME' } });
    }
  });
});

describe('imports from pipes and devices are bounded, and a signal leaves nothing behind', () => {
  it('/dev/zero is refused at its first byte, not copied', async () => {
    const t0 = Date.now();
    const { exitCode, error } = await refused('/dev/zero', ['--format', 'csv']);
    expect(exitCode).toBe(4);
    expect(error).toMatchObject({ code: 'NUL_BYTE', message: expect.stringMatching(/byte 0/) });
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('a stream past --max-bytes, and a file larger than --max-bytes, are refused with the limit named', async () => {
    const before = snapshotTree(join(ws, '.butterfly'));
    const r = spawnSync('sh', ['-c', `yes 'a,b' | "${process.execPath}" "${BFLY}" -C "${ws}" dataset import /dev/stdin --name y --max-bytes 5MB --json`], { encoding: 'utf8' });
    expect(r.status).toBe(4);
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'SOURCE_TOO_LARGE', message: expect.stringMatching(/5000000 bytes/) });
    expect(snapshotTree(join(ws, '.butterfly'))).toEqual(before);
    const big = file('big.csv', Buffer.alloc(3 << 20, 'x,y\n'));
    expect((await refused(big, ['--max-bytes', '1MiB'])).error.code).toBe('SOURCE_TOO_LARGE');
    expect((await refused(big, ['--max-bytes', 'lots'])).error.code).toBe('BAD_SIZE');
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} during an endless stream stops it (exit 130) and removes its temp copy`, async () => {
      const before = snapshotTree(join(ws, '.butterfly'));
      const fifo = join(dir, `stream-${signal}`);
      execFileSync('mkfifo', [fifo]);
      const writer = spawn('sh', ['-c', `yes 'a,b' > "${fifo}"`], { stdio: 'ignore' });
      const child = spawn(process.execPath, [BFLY, '-C', ws, 'dataset', 'import', fifo, '--name', 'endless', '--format', 'csv'], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const tmp = join(ws, '.butterfly', 'tmp');
        const started = Date.now();
        // wait until it has copied a few MB
        for (;;) {
          const copied = readdirSync(tmp).reduce((n, d) => n + (statSync(join(tmp, d)).isDirectory() ? readdirSync(join(tmp, d)).reduce((m, f) => m + statSync(join(tmp, d, f)).size, 0) : 0), 0);
          if (copied > 4 << 20 || Date.now() - started > 20_000) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        child.kill(signal);
        const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
        expect(code).toBe(130);
        expect(err).toMatch(/cancelled: nothing was imported/);
        expect(snapshotTree(join(ws, '.butterfly'))).toEqual(before);
      } finally {
        child.kill('SIGKILL');
        writer.kill('SIGKILL');
        spawnSync('pkill', ['-f', `yes a,b`]);
      }
    }, 60_000);
  }
});

describe('dataset import accepts awkward but valid input', () => {
  it('a UTF-8 BOM, CRLF line ends, quoted commas and newlines, odd and unicode column names', async () => {
    const p = file('awkward.csv', '\uFEFF__proto__,constructor,"with space",日本語\r\n1,"a, b","multi\r\nline",é\r\n2,c,d,ü\r\n');
    const r = await bfly(['-C', ws, 'dataset', 'import', p, '--json']);
    expect(r.exitCode).toBe(0);
    const d = r.json();
    expect(d.rows).toBe(2);
    expect(d.columns.map((c: { name: string }) => c.name)).toEqual(['__proto__', 'constructor', 'with space', '日本語']);
    expect(d.columns[1].stats.top.map((t: { value: string }) => t.value).sort()).toEqual(['a, b', 'c']);
    expect(d.columns[2].stats.top.map((t: { value: string }) => t.value)).toContain('multi\r\nline');
  });

  it('TSV, JSONL and --format override', async () => {
    const tsv = await bfly(['-C', ws, 'dataset', 'import', file('t.tsv', 'x\ty\n1\ta\n2\tb\n'), '--json']);
    expect(tsv.json()).toMatchObject({ format: 'tsv', rows: 2 });
    const jl = await bfly(['-C', ws, 'dataset', 'import', file('j.jsonl', '{"x":1}\n{"x":2}\n'), '--json']);
    expect(jl.json()).toMatchObject({ format: 'jsonl', rows: 2 });
    const sniff = await bfly(['-C', ws, 'dataset', 'import', file('noext', '[{"q": 1}]'), '--json', '--name', 'sniffed']);
    expect(sniff.json()).toMatchObject({ format: 'json', name: 'sniffed' });
    const forced = await bfly(['-C', ws, 'dataset', 'import', file('data.txt', 'p|q\n1|2\n'), '--format', 'tsv', '--json']);
    expect(forced.json()).toMatchObject({ format: 'tsv', rows: 1 });
  });
});
