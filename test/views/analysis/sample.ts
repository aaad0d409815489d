// Trials of known functions for the analysis tests: configurations drawn with the seeded Rng
// (uniform in each parameter's own scale), values from the function.
import type { FrozenTrial } from "../../../src/model/trial";
import { toPayloadTrial, type StudyPayload } from "../../../src/views/payload";
import type { Config, ParamDef, SpaceDef } from "../../../src/space/types";
import { Rng } from "../../../src/util/rng";

/** A uniform draw of one parameter in its own scale (log in log space). */
export function draw(rng: Rng, def: SpaceDef[string]): number | string | boolean {
  if (def.type === "categorical") return def.choices[rng.int(def.choices.length)]!;
  const u = rng.next();
  let v: number;
  if (def.scale === "log") v = Math.exp(Math.log(def.low) + u * (Math.log(def.high) - Math.log(def.low)));
  else v = def.low + u * (def.high - def.low);
  if (def.type === "int") v = Math.min(def.high, Math.max(def.low, Math.round(v)));
  return v;
}

/** A configuration drawn uniformly, conditional parameters only where their condition holds. */
export function drawConfig(rng: Rng, space: SpaceDef): Config {
  const c: Config = {};
  for (const [name, def] of Object.entries(space)) {
    if (def.when && !Object.entries(def.when).every(([k, allowed]) => allowed.includes(c[k] as never))) continue;
    c[name] = draw(rng, def);
  }
  return c;
}

/** `n` complete trials of `f` (and, when `failed` > 0, some failed ones in between, which analyses must skip). */
export function sampleTrials(seed: number, n: number, space: SpaceDef, f: (c: Config) => number, failed = 0): FrozenTrial[] {
  const rng = Rng.fromSeed(seed);
  const out: FrozenTrial[] = [];
  for (let i = 0; i < n + failed; i++) {
    const params = drawConfig(rng, space);
    const fail = i < failed;
    out.push({
      number: i,
      state: fail ? "failed" : "complete",
      params,
      ...(fail ? {} : { value: f(params) }),
      metrics: {},
      intermediate: [],
      curves: {},
      startedAt: 0,
      system: {},
    });
  }
  return out;
}

/** The trials in another order (a permutation from `seed`). */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const p = Rng.fromSeed(seed).permutation(xs.length);
  return Array.from(p, (i) => xs[i]!);
}

/** A parameter's value at position u in [0, 1] of its range, in its own scale. */
function at(def: ParamDef, u: number): number | string | boolean {
  if (def.type === "categorical") return def.choices[Math.min(def.choices.length - 1, Math.floor(u * def.choices.length))]!;
  const f = def.scale === "log" ? Math.log : (x: number) => x;
  const g = def.scale === "log" ? Math.exp : (x: number) => x;
  const v = g(f(def.low) + Math.min(1, Math.max(0, u)) * (f(def.high) - f(def.low)));
  return def.type === "int" ? Math.round(v) : v;
}
function unit(def: ParamDef, v: number): number {
  if (def.type === "categorical") return 0;
  const f = def.scale === "log" ? Math.log : (x: number) => x;
  return (f(v) - f(def.low)) / (f(def.high) - f(def.low));
}

/**
 * Trials as an optimiser makes them: half drawn uniformly, half near the best point found (a
 * normal of 10% of the range around `optimum`, clipped into the range), valued by the squared
 * distance to `optimum` in unit coordinates (an optimum outside [0, 1] draws the best trials to
 * the bound). Minimised.
 */
export function optimiserTrials(seed: number, space: SpaceDef, optimum: Record<string, number>, count = 200): FrozenTrial[] {
  const rng = Rng.fromSeed(seed);
  const out: FrozenTrial[] = [];
  for (let i = 0; i < count; i++) {
    const params: Config = i % 2 === 0 ? drawConfig(rng, space) : {};
    if (i % 2 === 1) for (const [k, def] of Object.entries(space)) params[k] = at(def, (optimum[k] ?? 0.5) + 0.1 * rng.normal());
    let value = 0;
    for (const [k, def] of Object.entries(space)) if (def.type !== "categorical" && typeof params[k] === "number") value += (unit(def, params[k] as number) - (optimum[k] ?? 0.5)) ** 2;
    out.push({ number: i, state: "complete", params, value, metrics: {}, intermediate: [], curves: {}, startedAt: 0, system: {} });
  }
  return out;
}

/** A payload of the trials (minimised "loss", declared parameter order), as the kernel sends it. */
export function payloadOf(space: SpaceDef, trials: readonly FrozenTrial[], name = "s"): StudyPayload {
  return {
    version: 1,
    study: { name, direction: "minimize", metric: "loss", strategy: "random", space, paramOrder: Object.keys(space) },
    trials: trials.map(toPayloadTrial),
    running: false,
    updatedAt: 0,
  };
}
