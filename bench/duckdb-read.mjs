// node bench/duckdb-read.mjs FILE [THREADS]: DuckDB reads a CSV into an in-memory table; prints
// {seconds, rows, columns} as JSON (timed around the CREATE TABLE alone).
import { DuckDBInstance } from '@duckdb/node-api';

const [file, threads = '2'] = process.argv.slice(2);
const instance = await DuckDBInstance.create(':memory:', { threads });
const connection = await instance.connect();
const quoted = `'${file.replaceAll("'", "''")}'`;
const t0 = performance.now();
await connection.run(`CREATE TABLE t AS SELECT * FROM read_csv(${quoted})`);
const seconds = (performance.now() - t0) / 1000;
const rows = (await connection.runAndReadAll('SELECT count(*) FROM t')).getRows()[0][0];
const columns = (await connection.runAndReadAll("SELECT count(*) FROM information_schema.columns WHERE table_name = 't'")).getRows()[0][0];
console.log(JSON.stringify({ seconds, rows: Number(rows), columns: Number(columns) }));
connection.closeSync();
instance.closeSync();
