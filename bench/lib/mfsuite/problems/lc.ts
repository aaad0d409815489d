/**
 * Parametric learning curves (Domhan et al. 2015, "Speeding up automatic hyperparameter
 * optimization of deep neural networks by extrapolation of learning curves", table 1; Klein et
 * al. 2017, LC-Net / LCBench shapes): a configuration maps to a curve's asymptote, rate and shape,
 * plus the epoch where a too-high learning rate makes training diverge, and the curve is read
 * one epoch at a time with deterministic noise from Rng.derive(seed, trial, salt).
 *
 * Every loss is in "validation error" units: l0 = cap = 0.9 (chance for 10 classes, what a
 * network that predicts a constant scores), so a diverged run is clamped to the cap, as a real
 * training loop that ends in NaN weights would report. Noise is half-normal (|AR(1) normal|, as
 * mfpbench's |z| noise), so a trial's loss is never below its noise-free curve and the
 * noise-free optimum `fStar` bounds every reported loss.
 */
import { Rng } from "../../../../src/index";
import type { MfProblem, MfRun } from "../problem";

/** Loss of a constant predictor on 10 balanced classes (error rate): where curves start and where divergence ends. */
export const CHANCE = 0.9;

export interface Curve {
  /** Asymptote: the loss the configuration would reach with unlimited epochs (before overfitting / divergence). */
  readonly linf: number;
  /** Share of the initial gap (CHANCE - linf) left after t epochs: 1 at t = 0, decreasing. */
  readonly decay: (t: number) => number;
  /** Epoch after which training diverges (Infinity: never within the budget). */
  readonly onset: number;
  /** e-folding rate per epoch of the diverging loss. */
  readonly growth: number;
  /** Validation loss added per epoch after `overfitAt` (default: no overfitting). */
  readonly overfit?: number;
  readonly overfitAt?: number;
  /** Noise scale at epoch t (heteroscedastic problems vary it with the configuration and t). */
  readonly sigma: (t: number) => number;
  /** Epoch-to-epoch correlation of the noise. */
  readonly rho: number;
}

/** The noise-free loss of curve c after t epochs, clamped to the constant predictor's. */
export function cleanLoss(c: Curve, t: number): number {
  // A configuration so bad that its asymptote is above chance learns nothing: it stays at chance.
  const linf = c.linf < CHANCE ? c.linf : CHANCE;
  let v = linf + (CHANCE - linf) * c.decay(t);
  if (c.overfit && t > c.overfitAt!) v += c.overfit * (t - c.overfitAt!);
  // Divergence: the loss grows exponentially from its onset until it reaches the cap.
  if (t > c.onset) v += 0.02 * (CHANCE - linf) * Math.expm1(Math.min(40, c.growth * (t - c.onset)));
  return v < CHANCE ? v : CHANCE;
}

/**
 * Divergence of a learning rate `u` decades above the optimum when training diverges past `uDiv`
 * decades: at the edge the onset is the last epoch and one decade further it is 31x earlier; the
 * loss then grows by e every 1 / growth epochs, faster the further past the edge.
 */
export function diverges(u: number, uDiv: number, maxResource: number, growth: number): Pick<Curve, "onset" | "growth"> {
  return {
    onset: u > uDiv ? maxResource * 10 ** (-1.5 * (u - uDiv)) : Infinity,
    growth: growth + 0.5 * Math.max(0, u - uDiv),
  };
}

/** Noise that settles from a + b after the first epoch towards a. */
export const settling =
  (a: number, b: number) =>
  (t: number): number =>
    a + b / Math.sqrt(t);

/** Asymptote penalty of a learning rate u decades from the optimum: too high costs more than too low. */
export function lrPenalty(u: number, high: number, low: number): number {
  return u > 0 ? high * u * u : low * u * u;
}

export interface LcSpec {
  readonly name: string;
  readonly set: "dev" | "validation";
  readonly source: string;
  readonly space: Record<string, unknown>;
  readonly maxResource: number;
  readonly fStar: number;
  /** Salt of the noise stream (distinct per problem). */
  readonly salt: number;
  /** The configuration's curve (pure; accepts non-integer values of int parameters, for optimising fStar). */
  readonly curve: (x: Readonly<Record<string, unknown>>) => Curve;
}

export interface LcProblem extends MfProblem {
  readonly fStar: number;
  /** The configuration's curve (see LcSpec.curve). */
  readonly curve: (x: Readonly<Record<string, unknown>>) => Curve;
  /** The noise-free loss of x after t epochs. */
  clean(x: Readonly<Record<string, unknown>>, t: number): number;
}

export function lcProblem(spec: LcSpec): LcProblem {
  const { curve, salt, maxResource } = spec;
  return {
    name: spec.name,
    set: spec.set,
    source: spec.source,
    space: spec.space,
    maxResource,
    fStar: spec.fStar,
    curve,
    clean: (x, t) => cleanLoss(curve(x), t),
    open(x: Record<string, unknown>, seed: number, trial: number): MfRun {
      const c = curve(x);
      const rng = Rng.derive(seed, trial, salt);
      const keep = c.rho, fresh = Math.sqrt(1 - c.rho * c.rho);
      let t = 0;
      let e = 0;
      return {
        next(): number {
          t++;
          const z = rng.normal();
          e = t === 1 ? z : keep * e + fresh * z;
          const v = cleanLoss(c, t) + c.sigma(t) * Math.abs(e);
          return v < CHANCE ? v : CHANCE;
        },
      };
    },
  };
}

// Shorthands for the problems' formulas.
export const num = (x: Readonly<Record<string, unknown>>, k: string): number => x[k] as number;
export const sq = (v: number): number => v * v;
export const lg = Math.log10;
