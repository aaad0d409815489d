import type { Direction, StudySnapshot, WarmStartSpec, WarmStartType } from "../model/trial";
import { decode } from "../space/encoding";
import type { SearchSpace } from "../space/space";
import type { Config } from "../space/types";
import type { Storage } from "../storage/storage";
import type { PriorObservations, PriorTrial, Proposal } from "../strategies/strategy";
import { copulaScores } from "../strategies/prior";
import { isPlainObject } from "../util/json";
import { Msg } from "../util/messages";
import { Rng } from "../util/rng";

/**
 * Warm start from parent studies (issue 17 part 2), as SageMaker's warm-start tuning jobs:
 * `identical` (IDENTICAL_DATA_AND_ALGORITHM: the parents ran this objective) or `transfer`
 * (TRANSFER_LEARNING: a related one).
 *
 * What is recorded: the study's spec holds the type, each parent's name and how many trials it
 * had when this study was created (`trials`), and where the parents live when not beside it.
 * A resumed study reads the parents' first `trials` trials again, so it sees the same prior
 * whatever the parents did since: same seed, same proposals.
 *
 * How a parent's trial becomes a prior observation of this study's current space (PriorSet):
 * - only complete trials with a finite value;
 * - parameters this study doesn't have are dropped;
 * - a trial missing a parameter active here, holding a value outside this study's range (or off
 *   its step), or a choice it doesn't list, is skipped: imputing or clamping would invent a
 *   result nobody measured. After `extendSpace` a parent trial that now fits is used.
 */

/** The most parents (SageMaker's limit). */
export const MAX_PARENTS = 5;

export const WarmStartTypes = ["identical", "transfer"] as const;

/** `.warmStart(parents, { type, storage })` as given. */
export interface WarmStartOptions {
  readonly parents: readonly string[];
  /** Default "identical". */
  readonly type?: WarmStartType;
  /** Where the parents live, when not in the study's own storage: a Storage, or a location openStorage reads. */
  readonly storage?: Storage | string;
}

/** Checks the option (throws catalog errors naming `field`). */
export function checkWarmStart(o: unknown, study: string, field = "warmStart"): { parents: string[]; type: WarmStartType } {
  if (!isPlainObject(o)) throw Msg.warmStartParents(`${field}.parents`, o, MAX_PARENTS);
  const parents = o["parents"];
  if (!Array.isArray(parents) || parents.length === 0 || parents.length > MAX_PARENTS || !parents.every((p) => typeof p === "string" && p.length > 0) || new Set(parents).size !== parents.length) {
    throw Msg.warmStartParents(`${field}.parents`, parents, MAX_PARENTS);
  }
  if (parents.includes(study)) throw Msg.warmStartSelf(`${field}.parents`, study);
  const type = o["type"] ?? "identical";
  if (!(WarmStartTypes as readonly unknown[]).includes(type)) throw Msg.warmStartType(`${field}.type`, type);
  return { parents: parents as string[], type: type as WarmStartType };
}

/** A parent's usable trial, before it is fitted to a space. */
interface RawPrior {
  readonly params: Readonly<Config>;
  readonly value: number;
  readonly source: number;
  readonly score: number;
}

/**
 * Reads the parents: each one's first `counts[i]` trials (all it has when counts is absent: a
 * study being created). Throws warm_start.not_found for a parent that isn't there.
 */
export async function readParents(
  storage: Storage,
  parents: readonly string[],
  type: WarmStartType,
  direction: Direction,
  counts: readonly number[] | undefined,
  field = "warmStart",
): Promise<{ spec: Omit<WarmStartSpec, "storage">; prior: PriorSet }> {
  const raw: RawPrior[] = [];
  const recorded: { study: string; trials: number }[] = [];
  for (let i = 0; i < parents.length; i++) {
    const name = parents[i]!;
    const snap: StudySnapshot | undefined = await storage.openExisting(name);
    if (!snap) throw Msg.warmStartMissing(`${field}.parents[${i}]`, name, storage.where(name));
    if (type === "identical" && snap.spec.direction !== direction) throw Msg.warmStartDirection(`${field}.parents[${i}]`, name, snap.spec.direction, direction);
    const upTo = Math.min(counts?.[i] ?? snap.trials.length, snap.trials.length);
    recorded.push({ study: name, trials: upTo });
    const usable = snap.trials.slice(0, upTo).filter((t) => t.state === "complete" && typeof t.value === "number" && Number.isFinite(t.value));
    // Normal scores of the ranks, best first in the parent's own direction (Gaussian copula).
    const score = copulaScores(usable.map((t) => t.value!), snap.spec.direction === "maximize" ? 1 : -1);
    usable.forEach((t, k) => raw.push({ params: t.params, value: t.value!, source: i, score: score[k]! }));
  }
  return { spec: { type, parents: recorded }, prior: new PriorSet(type, raw) };
}

/** The parents' trials as observations of one space at a time (cached for the latest space). */
export class PriorSet {
  private cached?: { space: SearchSpace; prior: PriorObservations; keys: Set<string> };

  constructor(
    readonly type: WarmStartType,
    private readonly raw: readonly RawPrior[],
  ) {}

  /** The prior observations in `space`, undefined when no parent trial fits it. */
  observations(space: SearchSpace): PriorObservations | undefined {
    const c = this.fitted(space);
    return c.prior.trials.length ? c.prior : undefined;
  }

  /**
   * With "identical", a proposal equal to a parent's complete trial is replaced by a uniform
   * draw (seeded by the trial number) that isn't one: the same configuration is not run twice.
   * "transfer" parents measured another objective: their configurations may run here.
   */
  dedupe(p: Proposal, space: SearchSpace, seed: number, trial: number): Proposal {
    if (this.type !== "identical") return p;
    const keys = this.fitted(space).keys;
    if (keys.size === 0 || !keys.has(configKey(space, p.params))) return p;
    const u = new Float64Array(space.size);
    for (let a = 0; a < DEDUPE_ATTEMPTS; a++) {
      const rng = Rng.derive(seed, trial, DEDUPE_PURPOSE + a);
      for (let i = 0; i < u.length; i++) u[i] = rng.next();
      const params = decode(space, u);
      if (!keys.has(configKey(space, params))) return { ...p, params };
    }
    // (A space with hardly a configuration the parents didn't run: keep the proposal.)
    return p;
  }

  private fitted(space: SearchSpace): { space: SearchSpace; prior: PriorObservations; keys: Set<string> } {
    if (this.cached?.space === space) return this.cached;
    const trials: PriorTrial[] = [];
    const keys = new Set<string>();
    for (const r of this.raw) {
      const projected: Config = {};
      for (const k of Object.keys(r.params)) if (space.param(k)) projected[k] = r.params[k]!;
      let params: Config;
      try {
        params = space.check(projected);
      } catch {
        continue;
      }
      trials.push({ params, value: r.value, source: r.source, score: r.score });
      keys.add(configKey(space, params));
    }
    this.cached = { space, prior: { type: this.type, trials }, keys };
    return this.cached;
  }
}

const DEDUPE_ATTEMPTS = 64;
const DEDUPE_PURPOSE = 0x5700;

function configKey(space: SearchSpace, c: Readonly<Config>): string {
  let k = "";
  for (const p of space.params) k += (p.name in c ? JSON.stringify(c[p.name]) : "-") + ",";
  return k;
}
