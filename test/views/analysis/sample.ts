// Trials of known functions for the analysis tests: configurations drawn with the seeded Rng
// (uniform in each parameter's own scale), values from the function.
import type { FrozenTrial } from "../../../src/model/trial";
import type { Config, SpaceDef } from "../../../src/space/types";
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
