import type { FrozenTrial, StudySnapshot } from "../model/trial";
import type { TrialOutcome } from "../record/ops";
import { FAILURE_KEY, ownerOf, processOf, workerKey, type InfrastructureCause, type SystemRecord } from "../record/system";
import { holderVerdict, type Verdict } from "../storage/lock";
import type { WriteContext } from "../storage/storage";
import { isPlainObject } from "../util/json";
import type { HeartbeatPolicy } from "./heartbeat";
import { failureRecord, type RetryPolicy } from "./retry";

/**
 * Finds, inside an ask's write, the running trials whose worker is gone, and fails them there
 * (WriteContext.finish), so the same write can hand out their retry (retry.ts):
 *
 * - stale: its last sign of life (its last heartbeat, else its start) is older than the grace
 *   period, both read in the storage's clock (the database server's for PostgreSQL);
 * - orphaned: its owner is a process of this machine (same boot, same pid namespace) that is no
 *   longer running: known at once, without waiting for the grace period (a restarted kernel, a
 *   crashed script). Trials of a command() objective are left to the grace period here: their
 *   process group may still run, and src/command/recover.ts stops it before failing them.
 *
 * This worker's own trials are never judged (its heartbeat thread beats for them). Each ask
 * looks only at the trials that were running at the last look and at new ones, so a long study
 * costs no more per ask than a short one; trials of other workers cost a read of their beats.
 */
export class StaleSweep {
  /** Trials that were running at the last look (and those this sweep failed: a failed write takes the failure back). */
  private open: number[] = [];
  private seen = 0;
  private readonly verdicts = new Map<string, { readonly verdict: Verdict; readonly at: number }>();

  constructor(
    private readonly policy: HeartbeatPolicy,
    /** This worker's key (record/system.ts workerKey). */
    private readonly me: string,
    private readonly retries: RetryPolicy | undefined,
  ) {}

  /**
   * After a sweep: how long until the first trial of another worker that has missed beats (silent
   * for more than two intervals, yet within the grace period) would be stale; undefined when none has.
   */
  suspectMs: number | undefined;

  /** Fails every stale or orphaned trial of another worker in the write `w`; returns their numbers. */
  sweep(snap: StudySnapshot, w: WriteContext): number[] | undefined {
    this.suspectMs = undefined;
    const trials = snap.trials;
    if (trials.length < this.seen) {
      this.open = [];
      this.seen = 0;
    }
    if (this.open.length === 0 && this.seen === trials.length) return undefined;
    let failed: number[] | undefined;
    const still: number[] = [];
    const look = (i: number): void => {
      const t = trials[i];
      if (!t || t.state !== "running") return;
      still.push(i);
      const outcome = this.judge(t, w);
      if (!outcome) return;
      w.finish(i, outcome);
      (failed ??= []).push(i);
    };
    for (const i of this.open) look(i);
    for (let i = this.seen; i < trials.length; i++) look(i);
    this.open = still;
    this.seen = trials.length;
    if (this.signs.size > still.length) for (const k of this.signs.keys()) if (trials[k]?.state !== "running") this.signs.delete(k);
    return failed;
  }

  private judge(t: FrozenTrial, w: WriteContext): TrialOutcome | undefined {
    const owner = ownerOf(t.system);
    if (owner && workerKey(owner) === this.me) return undefined;
    const verdict = owner ? this.verdict(t.system) : "unknown";
    if (verdict === "dead" && !processOf(t.system)) {
      return this.failed(t, "orphaned", `orphaned: its worker, process ${owner!.pid} on this machine, ended while the trial ran`);
    }
    const beat = w.lastBeat(t.number);
    // A beat older than the trial's start is some earlier study's (a journal deleted and made again).
    const last = beat !== undefined && beat > t.startedAt ? beat : t.startedAt;
    const silent = w.now - last;
    if (!(silent > this.policy.graceMs)) {
      // A worker seen running on this machine leaves no doubt; others are judged by their beats.
      if (verdict !== "alive") this.suspect(t.number, last, silent);
      return undefined;
    }
    const who = owner ? `its worker (process ${owner.pid} on ${owner.host})` : "its worker";
    return this.failed(
      t,
      "stale",
      `stale: ${who} sent no heartbeat for ${(silent / 1000).toFixed(1)} s, longer than the grace period of ${this.policy.graceMs / 1000} s; it was presumably killed, or lost its machine or its network`,
    );
  }

  /**
   * Whether a live trial of another worker leaves doubt, and until when: silent for more than
   * two intervals (missed beats), it is checked again when it would be stale; silent for less,
   * and not seen to beat since the last sweep, it is checked again once two intervals have
   * passed (a live worker beats by then).
   */
  private suspect(trial: number, last: number, silent: number): void {
    const { intervalMs, graceMs } = this.policy;
    const before = this.signs.get(trial);
    this.signs.set(trial, last);
    let wait: number | undefined;
    if (silent > 2 * intervalMs) wait = graceMs - silent;
    else if (before === undefined || before >= last) wait = 2 * intervalMs - silent;
    if (wait !== undefined) this.suspectMs = Math.min(this.suspectMs ?? Infinity, Math.max(0, wait));
  }

  /** The last sign of life seen of other workers' running trials. */
  private readonly signs = new Map<number, number>();

  private failed(t: FrozenTrial, cause: InfrastructureCause, error: string): TrialOutcome {
    // A command() trial keeps the record it started with under `process.origin`: what a retry starts from.
    const origin = processOf(t.system)?.origin;
    const base = origin ? { ...t, system: origin } : t;
    return { state: "failed", error, system: { [FAILURE_KEY]: failureRecord(base, cause, this.retries) } };
  }

  /** Whether the owner a record names is alive, dead or unknown (another machine or container); a live verdict is kept a second. */
  private verdict(system: SystemRecord): Verdict {
    const o = system?.["owner"];
    if (!isPlainObject(o)) return "unknown";
    const str = (k: string): string | null => (typeof o[k] === "string" ? (o[k] as string) : null);
    if (typeof o["pid"] !== "number" || typeof o["host"] !== "string" || str("boot") === null) return "unknown";
    const key = `${o["host"]}/${o["pid"]}/${str("ticks")}/${str("boot")}/${str("pidns")}`;
    const now = Date.now();
    const known = this.verdicts.get(key);
    if (known && (known.verdict === "dead" || now - known.at < 1000)) return known.verdict;
    const verdict = holderVerdict({ pid: o["pid"], start: str("ticks"), boot: str("boot"), pidns: str("pidns"), host: o["host"], token: "" });
    this.verdicts.set(key, { verdict, at: now });
    return verdict;
  }
}
