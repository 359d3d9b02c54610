// duckdb_bench.mjs — the DuckDB side of `make bench` (test/bench/run.sh):
// the columnar yardstick, on the same ticks CSV, in the same run.
//
//   node duckdb_bench.mjs DBFILE CSV QUERIES RUNS [THREADS]
//
// DBFILE   the DuckDB database file to create (it must not exist)
// CSV      the ticks (timestamp,symbol,price,volume,bid,ask,exchange, with a header)
// QUERIES  one query a line: KEY <TAB> SQL, over the table `ticks`
// RUNS     timed runs per query, after one warm-up; the median counts
// THREADS  DuckDB's threads (2)
//
// Loads the CSV with read_csv into a table (timed: DuckDB's load figure;
// the commit is durable, as COPY's is), then CHECKPOINTs (not timed, as
// PostgreSQL's CHECKPOINT after COPY) and reports the database file's size;
// then runs each query once to warm up and RUNS more times.  A query is
// timed from the call until its whole result is in JavaScript values (as
// psql's \timing counts until the rows are in the client).
//
// Prints one figure a line, KEY=VALUE, for run.sh to note:
//   duck_version, duck_threads, duck_load_ms, duck_rows, duck_bytes,
//   KEY_duck_ms (median), KEY_duck_result (first row, columns joined by |
//   as psql -At prints them), and error_duck (a load failure: nothing else
//   is measured) or error_duck_KEY (that query failed; the others go on).
// Exits 0 unless its arguments are wrong: failures are reported, not fatal.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

const [dbFile, csv, queriesFile, runsArg, threadsArg] = process.argv.slice(2);
const runs = Number(runsArg);
const threads = Number(threadsArg ?? 2);
if (!dbFile || !csv || !queriesFile || !(runs >= 1) || !(threads >= 1)) {
	console.error('usage: node duckdb_bench.mjs DBFILE CSV QUERIES RUNS [THREADS]');
	process.exit(2);
}

// One line per figure; newlines in a value (error messages) become spaces.
const emit = (key, value) => console.log(`${key}=${String(value).replace(/\s*\n\s*/g, ' ')}`);
const sqlString = (s) => `'${s.replace(/'/g, "''")}'`;

// psql -At's text for a value: NULL empty, booleans t/f, numbers as JavaScript
// prints them (shortest round-trip digits, as PostgreSQL 15's float8 output),
// times in ISO 8601 (UTC).
function text(v) {
	if (v === null || v === undefined) return '';
	if (typeof v === 'boolean') return v ? 't' : 'f';
	if (v instanceof Date) return v.toISOString();
	return String(v);
}

function median(xs) {
	const v = [...xs].sort((a, b) => a - b);
	const n = v.length;
	return n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

let duckdb;
try {
	// Resolved from the bench's own install (test/bench/duckdb/node_modules).
	duckdb = createRequire(new URL('./duckdb/package.json', import.meta.url))('@duckdb/node-api');
} catch (e) {
	emit('error_duck', `cannot load @duckdb/node-api: ${e.message}`);
	process.exit(0);
}

const queries = readFileSync(queriesFile, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => {
	const tab = l.indexOf('\t');
	return { key: l.slice(0, tab), sql: l.slice(tab + 1) };
});

let conn;
try {
	if (existsSync(dbFile)) throw new Error(`${dbFile} exists`);
	// No extension is ever fetched: everything used here is built in.
	const db = await duckdb.DuckDBInstance.create(dbFile, {
		threads: String(threads),
		autoinstall_known_extensions: 'false',
		autoload_known_extensions: 'false',
	});
	conn = await db.connect();
	await conn.run(`SET threads = ${threads}`);
	const info = (await conn.runAndReadAll(
		"SELECT version(), current_setting('threads'), current_setting('memory_limit')")).getRowsJS()[0];
	emit('duck_version', info[0]);
	emit('duck_threads', info[1]);
	emit('duck_memory_limit', info[2]);

	// The same column types as the heap table and the foreign table.
	const t0 = process.hrtime.bigint();
	await conn.run(`CREATE TABLE ticks AS SELECT * FROM read_csv(${sqlString(csv)}, header = true,
		columns = {'timestamp': 'TIMESTAMPTZ', 'symbol': 'VARCHAR', 'price': 'DOUBLE',
		           'volume': 'BIGINT', 'bid': 'DOUBLE', 'ask': 'DOUBLE', 'exchange': 'VARCHAR'})`);
	emit('duck_load_ms', ms(t0).toFixed(3));
	emit('duck_rows', text((await conn.runAndReadAll('SELECT count(*) FROM ticks')).getRowsJS()[0][0]));
	await conn.run('CHECKPOINT');
	const wal = `${dbFile}.wal`;
	emit('duck_bytes', statSync(dbFile).size + (existsSync(wal) ? statSync(wal).size : 0));
} catch (e) {
	emit('error_duck', `DuckDB load failed: ${e.message}`);
	process.exit(0);
}

for (const { key, sql } of queries) {
	try {
		const times = [];
		let rows;
		for (let i = 0; i <= runs; i++) {
			const t0 = process.hrtime.bigint();
			rows = (await conn.runAndReadAll(sql)).getRowsJS();
			if (i > 0) times.push(ms(t0));
			if (i === 0) emit(`${key}_duck_result`, rows.length ? rows[0].map(text).join('|') : '');
		}
		emit(`${key}_duck_ms`, median(times).toFixed(3));
	} catch (e) {
		emit(`error_duck_${key}`, `DuckDB: ${e.message}`);
	}
}
