import * as os from "os";
import type { Client, Pool, PoolClient, PoolConfig, QueryResult } from "pg";
import type { StudySnapshot, StudySpec } from "../model/trial";
import { checkSpecFields, decodeRecord } from "../record/journal-format";
import type { StudyOp } from "../record/ops";
import { StudyReplica, type Undo } from "../record/replica";
import { TunelabError, errorText } from "../util/errors";
import { Msg } from "../util/messages";
import { ReplicaStorage, Tx, applyChecked } from "./base";
import { redactUrl, stripPassword } from "./open";
import type { HeartbeatTarget } from "./storage";

/**
 * The PostgreSQL storage: many workers, on many machines, share a study through one database.
 * Opened by openStorage("postgresql://user:password@host:5432/db"); the only file that loads
 * the `pg` client (node-postgres), and only when such a location is opened.
 *
 * Tables (created on first use, in the database's default schema, under an advisory lock so
 * that workers starting together don't race; `tunelab_schema` holds the version):
 *
 *   tunelab_studies    (id, name, created_at)          one row per study; `name` is the name's
 *                                                       JSON, exact for any string
 *   tunelab_ops        (study_id, seq, op, kind, trial, tx, at)
 *                                                       the study's operations (src/record/ops.ts,
 *                                                       the journal's, as JSON text), numbered
 *                                                       1, 2, ... per study in commit order
 *   tunelab_heartbeats (study_id, trial, owner, beat_at) the last heartbeat of each running trial
 *
 * A write (an ask, a report, a tell) is one transaction: lock the study's row, read the ops
 * committed since this process last looked (its replica catches up), run the engine's decision
 * on that state (which trial number, which grid position or queued configuration, whether to
 * stop), insert the new ops after the last sequence number, commit. Writers of one study are
 * serialised by the row lock, so sequence numbers commit in order and a reader that reads "ops
 * after the last one I saw", without any lock, always reads a prefix of the log; a unique index
 * on (study, trial number) makes a duplicate trial number impossible even for a writer that
 * skipped the lock. The lock is held for two round trips and microseconds of work: a model's
 * proposal is computed before the write (Study.ask), never inside it.
 *
 * Failures: every connection error (a restart, a dropped or idle-killed connection,
 * pg_terminate_backend) is retried with backoff for up to `retryMs`; the transaction is rolled
 * back by the server, the replica takes its ops back, and the write is done again on the state
 * then read. A connection lost while COMMIT was on its way is resolved by looking the
 * transaction's id up in the log, so an operation is never recorded twice or lost. Sessions run
 * with statement, lock and idle-in-transaction timeouts (a hung worker can't hold a study's
 * lock), and the pool is small (two connections a process, plus one for LISTEN while
 * watching), so a hundred workers stay within PostgreSQL's default connection limit.
 * Messages name the URL with its password hidden.
 */

export interface PostgresOptions {
  /** Where warnings go (a connection lost and found again, a record skipped). Default: console.warn. */
  readonly onWarning?: (message: string) => void;
  /** How long a write keeps retrying a lost database before it fails (storage.unreachable). Default 60 s. */
  readonly retryMs?: number;
  /** Connections in the pool. Default 2. */
  readonly poolSize?: number;
  /** Give up connecting after this long. Default 10 s. */
  readonly connectTimeoutMs?: number;
}

/** The schema version this code creates and reads. Bump it (and migrate) when the tables change. */
export const PG_SCHEMA_VERSION = 1;

const DEFAULT_RETRY_MS = 60_000;
/** The channel notifications of new ops go to (payload: "<study id> <last seq>"). */
const CHANNEL = "tunelab_ops";
/** pg_advisory_xact_lock key of the schema's creation ("tunelab" in ASCII). */
const SCHEMA_LOCK = 0x74756e656c6162;

const SCHEMA_SQL = `
CREATE TABLE tunelab_schema (version integer NOT NULL);
CREATE TABLE tunelab_studies (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TABLE tunelab_ops (
  study_id bigint NOT NULL REFERENCES tunelab_studies (id) ON DELETE CASCADE,
  seq bigint NOT NULL,
  op text NOT NULL,
  kind text NOT NULL,
  trial integer,
  tx text NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (study_id, seq)
);
CREATE UNIQUE INDEX tunelab_ops_trial_number ON tunelab_ops (study_id, trial) WHERE kind = 'trial';
CREATE TABLE tunelab_heartbeats (
  study_id bigint NOT NULL REFERENCES tunelab_studies (id) ON DELETE CASCADE,
  trial integer NOT NULL,
  owner text NOT NULL,
  beat_at timestamptz NOT NULL,
  PRIMARY KEY (study_id, trial)
);
CREATE FUNCTION tunelab_notify_ops() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${CHANNEL}', study_id::text || ' ' || max(seq)::text) FROM added GROUP BY study_id;
  RETURN NULL;
END $$;
CREATE TRIGGER tunelab_ops_notify AFTER INSERT ON tunelab_ops REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE PROCEDURE tunelab_notify_ops();
INSERT INTO tunelab_schema (version) VALUES (${PG_SCHEMA_VERSION});
`;

/** One open study in this process. */
interface PgStudy {
  readonly id: number;
  readonly replica: StudyReplica;
  /** The last sequence number applied to the replica. */
  seq: number;
  /** Writes and reads of this study's replica, one after another. */
  chain: Promise<unknown>;
  readonly listeners: Set<() => void>;
  /** A write whose COMMIT was sent on a connection then lost: whether it landed is looked up. */
  pending?: { readonly base: number; readonly count: number; readonly undo: readonly Undo[]; readonly result: unknown };
}

/** This process, as a transaction id's prefix: unique across machines and restarts. */
const WORKER = `${os.hostname()}/${process.pid}/${Date.now()}`;
let txCounter = 0;

export class PostgresStorage extends ReplicaStorage {
  readonly description: string;
  readonly kind = "postgresql";
  readonly location: string;
  private readonly shown: string;
  private readonly warn: (m: string) => void;
  private readonly retryMs: number;
  private readonly config: PoolConfig;
  private pool: Pool | undefined;
  private schema: Promise<void> | undefined;
  private readonly studies = new Map<string, PgStudy>();
  private listener: { client: Client | undefined; stopped: boolean } | undefined;
  private closed = false;

  constructor(
    /**
     * The URL as given, password included: for another handle of this process on the same
     * database (a heartbeat thread's). Never shown: messages and `location` hide the password.
     */
    readonly url: string,
    options: PostgresOptions = {},
  ) {
    super();
    this.shown = redactUrl(url);
    this.location = stripPassword(url);
    this.description = `postgresql ${this.shown}`;
    this.warn = options.onWarning ?? ((m) => console.warn(`tunelab: ${m}`));
    this.retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
    // Defaults first: parameters in the URL (e.g. ?statement_timeout=60000) override them.
    this.config = {
      connectionString: url,
      max: options.poolSize ?? 2,
      idleTimeoutMillis: 30_000,
      // Idle connections don't keep the process alive: a script that never closes its storage
      // (a notebook, tune(...).run()) still ends when its work does (optuna#1347).
      allowExitOnIdle: true,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: "tunelab",
      statement_timeout: 30_000,
      lock_timeout: 20_000,
      idle_in_transaction_session_timeout: 30_000,
      // A socket that stops answering (a half-open connection) fails a query instead of hanging it.
      query_timeout: 45_000,
    };
  }

  where(study: string): string {
    return `${this.shown} (study ${JSON.stringify(study)})`;
  }

  // ---- connections ------------------------------------------------------------------------

  private getPool(): Pool {
    if (this.closed) throw Msg.pgFailed(this.shown, "the storage was closed");
    if (!this.pool) {
      const pg = loadPg();
      const pool = new pg.Pool(this.config);
      // An idle connection the server drops emits "error" on the pool, and a checked-out one
      // on the client: without listeners either would end the process. The query in flight
      // (if any) fails too, and that is where the error is handled. (Never log the error
      // object itself: pg attaches the client, whose parameters hold the password.)
      pool.on("error", () => undefined);
      pool.on("connect", (c: PoolClient) => c.on("error", () => undefined));
      this.pool = pool;
    }
    return this.pool;
  }

  /** A pooled connection; throws the connection error as is (callers decide whether to retry). */
  private async connect(): Promise<PoolClient> {
    await (this.schema ??= this.createSchema().catch((e: unknown) => {
      this.schema = undefined;
      throw e;
    }));
    return this.getPool().connect();
  }

  /** Creates the tables on first use, or checks the version of those there. */
  private async createSchema(): Promise<void> {
    const client = await this.getPool().connect();
    let bad = false;
    try {
      // Read from pg_class with the statement's snapshot (to_regclass may answer from an older
      // catalog snapshot): after the lock, a table another worker just created is seen.
      const exists = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE relname = 'tunelab_schema' AND relnamespace = current_schema()::regnamespace) AS has";
      if (!(await client.query(exists)).rows[0].has) {
        await client.query("BEGIN");
        try {
          await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
          if (!(await client.query(exists)).rows[0].has) await client.query(SCHEMA_SQL);
          await client.query("COMMIT");
        } catch (e) {
          await client.query("ROLLBACK").catch(() => undefined);
          // 42P07: another worker created the tables meanwhile (its transaction committed first).
          if ((e as { code?: unknown }).code !== "42P07") throw e;
        }
      }
      const v = await client.query("SELECT max(version) AS v FROM tunelab_schema");
      const version = Number(v.rows[0].v);
      if (version > PG_SCHEMA_VERSION) throw Msg.pgNewerSchema(this.shown, version, PG_SCHEMA_VERSION);
    } catch (e) {
      bad = isConnectionError(e);
      throw e;
    } finally {
      client.release(bad);
    }
  }

  /**
   * Runs `work` with a connection, again on a fresh one after connection errors, with backoff,
   * for up to retryMs (storage.unreachable after that; at once when `once`). `work` gets the
   * attempt number; an error it throws that is not about the connection is thrown as is.
   */
  private async withClient<T>(what: string, work: (client: PoolClient, attempt: number) => Promise<T>, once = false): Promise<T> {
    const t0 = Date.now();
    let delay = 50;
    for (let attempt = 0; ; attempt++) {
      let client: PoolClient | undefined;
      try {
        client = await this.connect();
      } catch (e) {
        if (e instanceof TunelabError) throw e;
        if (!isConnectionError(e)) throw this.failure(e);
        if (once || Date.now() - t0 >= this.retryMs) throw this.connectionFailure(e, t0, once);
        delay = await this.backoff(delay, what, e, attempt);
        continue;
      }
      let broken = false;
      try {
        return await work(client, attempt);
      } catch (e) {
        broken = isConnectionError(e);
        if (!broken) {
          // Back to the pool only outside a transaction (a failed statement leaves one aborted).
          await client.query("ROLLBACK").catch(() => (broken = true));
          throw e;
        }
        if (Date.now() - t0 >= this.retryMs) throw this.connectionFailure(e, t0, false);
        delay = await this.backoff(delay, what, e, attempt);
      } finally {
        client.release(broken);
      }
    }
  }

  private connectionFailure(e: unknown, t0: number, first: boolean): TunelabError {
    if (e instanceof TunelabError) return e;
    const code = (e as { code?: unknown }).code;
    if (code === "42501") return Msg.pgNoPermission(this.shown, describe(e));
    if (first) return Msg.pgUnreachable(this.shown, describe(e));
    return Msg.pgLost(this.shown, Math.round((Date.now() - t0) / 1000), describe(e));
  }

  private async backoff(delay: number, what: string, e: unknown, attempt: number): Promise<number> {
    if (attempt === 0) this.warn(`${this.shown}: the connection failed while ${what} (${describe(e)}); retrying for up to ${Math.round(this.retryMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, delay));
    return Math.min(delay * 2, 2_000);
  }

  // ---- studies ------------------------------------------------------------------------------

  protected async openReplica(spec: StudySpec): Promise<StudyReplica> {
    const known = this.studies.get(spec.name);
    if (known) return known.replica;
    const key = JSON.stringify(spec.name);
    const id = await this.withClient(
      "opening the study",
      async (c) => {
        await c.query("BEGIN");
        try {
          const made = await c.query("INSERT INTO tunelab_studies (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id", [key]);
          let id: number;
          if (made.rows.length) {
            id = Number(made.rows[0].id);
            await c.query("INSERT INTO tunelab_ops (study_id, seq, op, kind, tx) VALUES ($1, 1, $2, 'study', $3)", [id, JSON.stringify(this.studyOp(spec)), nextTx()]);
          } else {
            id = Number((await c.query("SELECT id FROM tunelab_studies WHERE name = $1", [key])).rows[0].id);
          }
          await c.query("COMMIT");
          return id;
        } catch (e) {
          await c.query("ROLLBACK").catch(() => undefined);
          throw e;
        }
      },
      true,
    ).catch((e: unknown) => {
      throw e instanceof TunelabError ? e : isConnectionError(e) ? Msg.pgUnreachable(this.shown, describe(e)) : this.failure(e);
    });
    const raced = this.studies.get(spec.name);
    if (raced) return raced.replica;
    const st = await this.readStudy(id, spec.name);
    this.studies.set(spec.name, st);
    return st.replica;
  }

  /** The stored study of that name, read with its own spec; undefined when there is none. */
  async openExisting(name: string): Promise<StudySnapshot | undefined> {
    const known = this.studies.get(name);
    if (known) return known.replica;
    const found = await this.withClient("opening the study", (c) => c.query("SELECT id FROM tunelab_studies WHERE name = $1", [JSON.stringify(name)]), true).catch((e: unknown) => {
      throw e instanceof TunelabError ? e : isConnectionError(e) ? Msg.pgUnreachable(this.shown, describe(e)) : this.failure(e);
    });
    if (found.rows.length === 0) return undefined;
    const raced = this.studies.get(name);
    if (raced) return raced.replica;
    const st = await this.readStudy(Number(found.rows[0].id), name);
    this.studies.set(name, st);
    return st.replica;
  }

  /** Reads a study's log from its first op. */
  private async readStudy(id: number, name: string): Promise<PgStudy> {
    const rows = await this.withClient("reading the study", (c) => c.query("SELECT seq, op FROM tunelab_ops WHERE study_id = $1 ORDER BY seq", [id])).catch((e: unknown) => {
      throw e instanceof TunelabError ? e : this.failure(e);
    });
    const first = rows.rows[0] as { seq: string; op: string } | undefined;
    const header = first ? decodeRecord(first.op, false) : undefined;
    if (!header?.ok || header.op.op !== "study" || checkSpecFields(header.op.spec) !== null) {
      throw Msg.pgFailed(this.shown, `study ${JSON.stringify(name)} has no valid study record (its first operation); it was not written by tunelab`);
    }
    const replica = new StudyReplica(header.op.spec);
    replica.apply(header.op);
    const st: PgStudy = { id, replica, seq: Number(first!.seq), chain: Promise.resolve(), listeners: new Set() };
    this.applyRows(st, rows.rows.slice(1));
    return st;
  }

  /** Applies rows (seq, op) read after st.seq; a row that doesn't fit is skipped with a warning. */
  private applyRows(st: PgStudy, rows: readonly { seq: string; op: string }[]): void {
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq <= st.seq) continue;
      st.seq = seq;
      const d = decodeRecord(row.op, false);
      try {
        if (!d.ok) throw new Error(d.reason + (d.detail ? ` (${d.detail})` : ""));
        if (d.op.op === "study") throw new Error("a second study record");
        applyChecked(st.replica, d.op);
      } catch (e) {
        this.warn(`${this.shown}: study ${JSON.stringify(st.replica.spec.name)}: operation ${seq} was skipped: ${errorText(e)}`);
      }
    }
  }

  private study(name: string): PgStudy {
    const st = this.studies.get(name);
    if (!st) throw Msg.studyUnknown(name);
    return st;
  }

  /** Runs `f` after the study's earlier reads and writes in this process (one at a time). */
  private serial<T>(st: PgStudy, f: () => Promise<T>): Promise<T> {
    const run = st.chain.then(f, f);
    st.chain = run.catch(() => undefined);
    return run;
  }

  load(study: string): Promise<StudySnapshot> {
    let st: PgStudy;
    try {
      st = this.study(study);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.serial(st, async () => {
      // No lock: ops commit in sequence order, so what is read is a prefix of the log.
      const rows = await this.withClient("reading the study", (c) => c.query("SELECT seq, op FROM tunelab_ops WHERE study_id = $1 AND seq > $2 ORDER BY seq", [st.id, st.seq])).catch((e: unknown) => {
        throw e instanceof TunelabError ? e : this.failure(e);
      });
      this.applyRows(st, rows.rows);
      return st.replica;
    });
  }

  protected transact<T>(study: string, fn: (tx: Tx) => T): Promise<T> {
    let st: PgStudy;
    try {
      st = this.study(study);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.serial(st, () => this.write(st, fn));
  }

  /** One write transaction (see the class comment), retried on connection errors. */
  private async write<T>(st: PgStudy, fn: (tx: Tx) => T): Promise<T> {
    const txId = nextTx();
    return this.withClient("recording an operation", async (c, attempt) => {
      // A COMMIT sent on a connection that was then lost may have landed.
      if (attempt > 0 && st.pending) {
        const p = st.pending;
        const found = await c.query("SELECT count(*)::int AS n FROM tunelab_ops WHERE study_id = $1 AND seq > $2 AND seq <= $3 AND tx = $4", [st.id, p.base, p.base + p.count, txId]);
        st.pending = undefined;
        if (found.rows[0].n === p.count) {
          st.seq = p.base + p.count;
          return p.result as T;
        }
        for (let i = p.undo.length - 1; i >= 0; i--) st.replica.undo(p.undo[i]!);
      }
      const results = (await c.query(
        // One round trip; in READ COMMITTED each statement reads what was committed before it
        // started, so the ops read after the lock is taken include every earlier writer's.
        `BEGIN; SELECT id FROM tunelab_studies WHERE id = ${st.id} FOR NO KEY UPDATE; ` +
          `SELECT seq, op FROM tunelab_ops WHERE study_id = ${st.id} AND seq > ${st.seq} ORDER BY seq; ` +
          `SELECT trial, (extract(epoch from beat_at) * 1000)::float8 AS at FROM tunelab_heartbeats WHERE study_id = ${st.id}; ` +
          `SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS now`,
      )) as unknown as QueryResult[];
      if (results[1]!.rows.length === 0) {
        await c.query("ROLLBACK");
        throw Msg.studyUnknown(st.replica.spec.name);
      }
      const now = Number(results[4]!.rows[0].now);
      this.applyRows(st, results[2]!.rows as { seq: string; op: string }[]);
      const beats = new Map<number, number>();
      for (const b of results[3]!.rows as { trial: number; at: number }[]) beats.set(b.trial, b.at);
      const tx = new PgTx(st.replica, now, beats);
      let result: T;
      try {
        result = fn(tx);
      } catch (e) {
        // The engine refused the operation (a trial already finished, ...): nothing to record.
        for (let i = tx.undo.length - 1; i >= 0; i--) st.replica.undo(tx.undo[i]!);
        await c.query("ROLLBACK");
        throw e;
      }
      if (tx.ops.length === 0) {
        await c.query("COMMIT");
        return result;
      }
      const base = st.seq;
      const values = tx.ops
        .map((op, i) => {
          const trial = op.op === "trial" ? String(op.n) : "NULL";
          return `(${st.id}, ${base + i + 1}, ${c.escapeLiteral(JSON.stringify(op))}, ${c.escapeLiteral(op.op)}, ${trial}, ${c.escapeLiteral(txId)})`;
        })
        .join(", ");
      st.pending = { base, count: tx.ops.length, undo: tx.undo, result };
      try {
        await c.query(`INSERT INTO tunelab_ops (study_id, seq, op, kind, trial, tx) VALUES ${values}; COMMIT`);
      } catch (e) {
        if (isConnectionError(e)) throw e; // the outcome is looked up on the next attempt
        st.pending = undefined;
        for (let i = tx.undo.length - 1; i >= 0; i--) st.replica.undo(tx.undo[i]!);
        await c.query("ROLLBACK").catch(() => undefined);
        throw this.failure(e);
      }
      st.pending = undefined;
      st.seq = base + tx.ops.length;
      return result;
    }).catch((e: unknown) => {
      // Gave up: ops of a write whose outcome is still unknown are taken back (a later read
      // brings them back if the commit did land).
      const p = st.pending;
      if (p) {
        st.pending = undefined;
        for (let i = p.undo.length - 1; i >= 0; i--) st.replica.undo(p.undo[i]!);
      }
      throw e instanceof TunelabError || !isDatabaseError(e) ? e : this.failure(e);
    });
  }

  private failure(e: unknown): TunelabError {
    if (e instanceof TunelabError) return e;
    if ((e as { code?: unknown }).code === "42501") return Msg.pgNoPermission(this.shown, describe(e));
    return Msg.pgFailed(this.shown, describe(e));
  }

  async heartbeat(study: string, owner: string, trials: readonly number[]): Promise<void> {
    // A heartbeat thread's handle has not opened the study (that reads its whole log): its id is looked up once.
    const id = this.studies.get(study)?.id ?? (await this.studyId(study));
    await this.withClient("recording a heartbeat", (c) =>
      c.query(
        `WITH gone AS (DELETE FROM tunelab_heartbeats WHERE study_id = $1 AND owner = $2 AND NOT (trial = ANY($3::int[])))
         INSERT INTO tunelab_heartbeats (study_id, trial, owner, beat_at) SELECT $1, t, $2, statement_timestamp() FROM unnest($3::int[]) AS t
         ON CONFLICT (study_id, trial) DO UPDATE SET owner = excluded.owner, beat_at = excluded.beat_at`,
        [id, owner, trials],
      ),
    ).catch((e: unknown) => {
      throw e instanceof TunelabError ? e : this.failure(e);
    });
  }

  private readonly ids = new Map<string, number>();

  /** The id of a stored study this handle has not opened. */
  private async studyId(study: string): Promise<number> {
    const known = this.ids.get(study);
    if (known !== undefined) return known;
    const r = await this.withClient("finding the study", (c) => c.query("SELECT id FROM tunelab_studies WHERE name = $1", [JSON.stringify(study)])).catch((e: unknown) => {
      throw e instanceof TunelabError ? e : this.failure(e);
    });
    if (r.rows.length === 0) throw Msg.studyUnknown(study);
    const id = Number(r.rows[0].id);
    this.ids.set(study, id);
    return id;
  }

  /** Another handle on this database (a heartbeat thread's) beats for `study` through the URL. */
  heartbeatTarget(study: string): HeartbeatTarget | undefined {
    return this.studies.has(study) ? { kind: "postgresql", url: this.url, study } : undefined;
  }

  /** The database's clock (epoch ms): what heartbeats and trial times are measured in. */
  async now(): Promise<number> {
    const r = await this.withClient("reading the clock", (c) => c.query("SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS now"));
    return Number(r.rows[0].now);
  }

  // ---- watching -----------------------------------------------------------------------------

  /**
   * LISTEN on a connection of its own (opened with the first watcher): each commit of new ops
   * notifies, and a watcher of that study is called. After the connection is lost it is made
   * again and every watcher is called once (notifications sent meanwhile were missed).
   */
  watch(study: string, listener: () => void): () => void {
    const st = this.study(study);
    st.listeners.add(listener);
    if (!this.listener) {
      this.listener = { client: undefined, stopped: false };
      void this.listen(this.listener, 0);
    }
    return () => {
      st.listeners.delete(listener);
      if (this.listener && [...this.studies.values()].every((s) => s.listeners.size === 0)) {
        this.listener.stopped = true;
        void this.listener.client?.end().catch(() => undefined);
        this.listener = undefined;
      }
    };
  }

  private async listen(l: { client: Client | undefined; stopped: boolean }, failures: number): Promise<void> {
    if (l.stopped || this.closed) return;
    const pg = loadPg();
    const client = new pg.Client({ ...this.config, query_timeout: 0, statement_timeout: 0 } as never);
    l.client = client;
    const again = () => {
      if (l.client !== client) return;
      l.client = undefined;
      void client.end().catch(() => undefined);
      if (!l.stopped && !this.closed) setTimeout(() => void this.listen(l, failures + 1), Math.min(2_000, 100 * 2 ** failures)).unref();
    };
    client.on("error", again);
    client.on("end", again);
    client.on("notification", (n) => {
      const [id, seq] = (n.payload ?? "").split(" ");
      for (const st of this.studies.values()) if (String(st.id) === id && Number(seq) > st.seq) for (const f of [...st.listeners]) f();
    });
    try {
      await this.schema;
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      failures = 0;
      // Whatever was committed while no connection listened.
      for (const st of this.studies.values()) for (const f of [...st.listeners]) f();
    } catch {
      again();
    }
  }

  async listStudies(): Promise<string[]> {
    const r = await this.withClient("listing studies", (c) => c.query("SELECT name FROM tunelab_studies ORDER BY id"), true).catch((e: unknown) => {
      throw e instanceof TunelabError ? e : isConnectionError(e) ? Msg.pgUnreachable(this.shown, describe(e)) : this.failure(e);
    });
    return r.rows.map((row: { name: string }) => JSON.parse(row.name) as string);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.listener) {
      this.listener.stopped = true;
      await this.listener.client?.end().catch(() => undefined);
      this.listener = undefined;
    }
    for (const st of this.studies.values()) await st.chain;
    this.studies.clear();
    await this.pool?.end().catch(() => undefined);
  }
}

/** A write to PostgreSQL: the ops to insert, and how to take them back from the replica. */
class PgTx extends Tx {
  readonly ops: StudyOp[] = [];
  readonly undo: Undo[] = [];
  constructor(
    readonly replica: StudyReplica,
    readonly now: number,
    private readonly beats: ReadonlyMap<number, number>,
  ) {
    super();
  }
  write(op: StudyOp): void {
    const u = this.replica.undoPoint(op);
    applyChecked(this.replica, op);
    this.undo.push(u);
    this.ops.push(op);
  }
  lastBeat(trial: number): number | undefined {
    return this.beats.get(trial);
  }
}

function nextTx(): string {
  return `${WORKER}/${++txCounter}`;
}

function loadPg(): typeof import("pg") {
  return require("pg") as typeof import("pg");
}

/** SQLSTATE classes and codes, and socket errors, after which the same work may succeed on a new connection. */
const RETRYABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
  "57P01", // admin_shutdown: pg_terminate_backend, a fast shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: starting up or shutting down
  "57014", // query_canceled: a statement timeout
  "55P03", // lock_not_available: lock_timeout
  "25P03", // idle_in_transaction_session_timeout
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "53300", // too_many_connections
]);

/** Whether `e` is about the connection (or a timeout), not about what was asked. */
export function isConnectionError(e: unknown): boolean {
  if (e instanceof TunelabError) return false;
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && (RETRYABLE_CODES.has(code) || code.startsWith("08"))) return true;
  const m = e instanceof Error ? e.message : "";
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Client was closed|Query read timeout|socket hang up/i.test(m);
}

function isDatabaseError(e: unknown): boolean {
  return typeof (e as { code?: unknown } | undefined)?.code === "string";
}

/** An error's text for a message: its code and message, never its attached client (which holds the password). */
function describe(e: unknown): string {
  const code = (e as { code?: unknown } | undefined)?.code;
  const m = e instanceof Error ? e.message || e.name : String(e);
  return typeof code === "string" && !m.includes(code) ? `${code}: ${m}` : m;
}
