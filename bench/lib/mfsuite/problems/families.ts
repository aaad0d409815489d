/**
 * Six parametric learning-curve problems, each on a different family of Domhan et al. (2015,
 * table 1) and a different made-up but typical network / optimizer space: the learning rate
 * (log scale) sets the speed, the asymptote and where training diverges, and the other
 * parameters interact with it (linear batch scaling, momentum's effective step, width-dependent
 * optimal rate, warmup that lets a higher rate survive, weight decay that must grow with width).
 * Fast learners plateau higher, so curves cross; the best configurations start slow.
 * fStar is the noise-free loss minimised over the space (test/bench/mfsuite-problems.test.ts
 * recomputes it).
 */
import { diverges, lcProblem, lg, lrPenalty, num, settling, sq, type LcProblem } from "./lc";

const lr = (low: number, high: number) => ({ type: "float", low, high, scale: "log" });

/** pow3 (c + a t^-alpha, shifted to start at t = 0), an LCBench-like MLP: lr, batch, width, weight decay. */
export const POW3_MLP: LcProblem = lcProblem({
  name: "pow3_mlp",
  set: "dev",
  source:
    "Parametric: Domhan et al. 2015's pow3 family, loss = linf + (0.9 - linf) (1 + t/tau)^-alpha, on an " +
    "LCBench-like MLP space (Zimmer et al. 2021): the optimal lr grows linearly with the batch (Goyal et al. 2017) " +
    "and shrinks with the width; weight decay's optimum grows with the width; lr more than ~0.9 decades above " +
    "the optimum diverges within 81 epochs. Synthetic: only the shapes are from the literature.",
  space: {
    lr: lr(1e-4, 1),
    batch: { type: "categorical", choices: [16, 32, 64, 128, 256] },
    width: { type: "int", low: 16, high: 1024, scale: "log" },
    weight_decay: lr(1e-6, 1e-1),
  },
  maxResource: 81,
  fStar: 0.065399,
  salt: 0x706f7733,
  curve(x) {
    const batch = num(x, "batch"), lw = lg(num(x, "width") / 128);
    const u = lg(num(x, "lr")) - (-2 - 0.5 * lw + lg(batch / 64));
    const uw = lg(num(x, "weight_decay")) - (-3.5 + 0.6 * lw);
    const linf = 0.06 + 0.03 * sq(lw - 0.5) + lrPenalty(u, 0.06, 0.015) + lrPenalty(uw, 0.05, 0.008) + 0.0025 * Math.log2(batch / 16);
    const tau = 2.5 * 10 ** (-0.9 * u) * Math.sqrt(batch / 64) * (num(x, "width") / 128) ** 0.2;
    const alpha = 1.1 + 0.3 * Math.tanh(lw);
    const uDiv = 0.9 - 0.3 * lw;
    return {
      linf,
      decay: (t) => (1 + t / tau) ** -alpha,
      ...diverges(u, uDiv, 81, 0.25),
      sigma: settling(0.003, 0.01 * Math.sqrt(64 / batch)),
      rho: 0.5,
    };
  },
});

/**
 * exp3 (c + a e^-t/tau), with heteroscedastic noise: SGD with momentum, whose per-epoch noise grows
 * with the effective step lr / (1 - momentum) and shrinks with the batch, and stays large at the
 * last epoch (~0.03 against gaps of < 0.01 between the best configurations).
 */
export const EXP3_NOISY: LcProblem = lcProblem({
  name: "exp3_noisy",
  set: "dev",
  source:
    "Parametric with heteroscedastic noise: Domhan et al. 2015's exp3 family, loss = linf + (0.9 - linf) e^(-t/tau), " +
    "for SGD with momentum: the effective step lr/(1 - momentum) (Goh 2017) against an optimum linear in the batch; " +
    "dropout lowers the asymptote around 0.35 but slows learning. The noise is |AR(1)| (rho 0.3) with a scale " +
    "0.012 + 0.03 sqrt(step/optimum) sqrt(32/batch), decaying only to 0.6x by the last epoch, so it is larger " +
    "than the gaps between good configurations. Diverges ~0.7 decades above the optimal step. Synthetic.",
  space: {
    lr: lr(1e-3, 1),
    momentum: { type: "float", low: 0, high: 0.99 },
    batch: { type: "categorical", choices: [32, 64, 128, 256] },
    dropout: { type: "float", low: 0, high: 0.8 },
  },
  maxResource: 27,
  fStar: 0.100098,
  salt: 0x65787033,
  curve(x) {
    const batch = num(x, "batch"), m = num(x, "momentum"), dropout = num(x, "dropout");
    const u = lg(num(x, "lr") / (1 - m)) - lg((0.3 * batch) / 128);
    const linf = 0.1 + lrPenalty(u, 0.05, 0.02) + 0.08 * sq(dropout - 0.35) + (0.015 * Math.log2(batch / 32)) / 3 + 0.02 * sq(m - 0.9);
    const tau = 4 * 10 ** (-0.8 * u) * (1 + 1.5 * dropout) * Math.sqrt(batch / 128);
    const uDiv = 0.7 + 0.2 * lg(batch / 32);
    const scale = (0.012 + 0.03 * Math.sqrt(10 ** Math.min(u, 1))) * Math.sqrt(32 / batch);
    return {
      linf,
      decay: (t) => Math.exp(-t / tau),
      ...diverges(u, uDiv, 27, 0.4),
      sigma: settling(0.6 * scale, 0.4 * scale),
      rho: 0.3,
    };
  },
});

/** MMF / log-power (c + a / (1 + (t/tau)^delta)), a residual network: depth, width, warmup. */
export const MMF_RESNET: LcProblem = lcProblem({
  name: "mmf_resnet",
  set: "dev",
  source:
    "Parametric: Domhan et al. 2015's MMF (= log-power) family, loss = linf + (0.9 - linf) / (1 + (t/tau)^delta), " +
    "for a residual-network-like space: depth and width lower the asymptote but slow learning; deeper nets " +
    "diverge at lower rates unless warmed up (Goyal et al. 2017), and warmup delays progress by up to 6 epochs " +
    "while moving the optimal lr up; weight decay's optimum grows with the width. Synthetic.",
  space: {
    lr: lr(1e-4, 1),
    weight_decay: lr(1e-6, 1e-2),
    depth: { type: "int", low: 1, high: 8 },
    width: { type: "int", low: 16, high: 512, scale: "log" },
    warmup: { type: "float", low: 0, high: 0.3 },
  },
  maxResource: 81,
  fStar: 0.057132,
  salt: 0x6d6d66,
  curve(x) {
    const depth = num(x, "depth"), lw = lg(num(x, "width") / 64), warmup = num(x, "warmup");
    const u = lg(num(x, "lr")) - (-1.5 - 0.1 * depth - 0.3 * lw + 0.6 * warmup);
    const uw = lg(num(x, "weight_decay") / 1e-4) - 0.5 * lw;
    const linf =
      0.04 + 0.1 * Math.exp(-0.35 * (depth - 1) - 1.2 * (lw + 0.6)) + lrPenalty(u, 0.05, 0.012) + lrPenalty(uw, 0.03, 0.006) + 0.02 * warmup;
    const tau = 3 * 10 ** (-0.8 * u) * (1 + 0.12 * (depth - 1)) * (1 + 0.3 * lw);
    const delta = 1.3 + 0.4 * Math.tanh(u);
    const delay = warmup * 81 * 0.25;
    const uDiv = 0.8 - 0.06 * (depth - 1) + 1.5 * warmup;
    return {
      linf,
      decay: (t) => 1 / (1 + (Math.max(0, t - delay) / tau) ** delta),
      ...diverges(u, uDiv, 81, 0.3),
      sigma: settling(0.002, 0.008),
      rho: 0.6,
    };
  },
});

/**
 * Weibull (c + a e^-(t/tau)^delta), 8 parameters of an Adam-trained network; under-regularised
 * configurations overfit (the validation loss climbs after ~2 tau), so they look best early.
 */
export const WEIBULL_ADAM: LcProblem = lcProblem({
  name: "weibull_adam",
  set: "validation",
  source:
    "Parametric: Domhan et al. 2015's Weibull family, loss = linf + (0.9 - linf) exp(-(t/tau)^delta), plus a " +
    "linear overfitting rise after 2 tau when the regularisation (weight decay, dropout, label smoothing) is weak, " +
    "for an 8-parameter Adam space: beta1 sets the curve's shape, a low beta2 makes high rates diverge earlier, " +
    "warmup epochs move both the optimal and the diverging rate up; the optimal lr scales with sqrt(batch). Synthetic.",
  space: {
    lr: lr(1e-5, 1e-1),
    beta1: { type: "float", low: 0.5, high: 0.99 },
    beta2: { type: "float", low: 0.9, high: 0.9999, scale: "reverse-log" },
    weight_decay: lr(1e-6, 1e-1),
    dropout: { type: "float", low: 0, high: 0.7 },
    label_smoothing: { type: "float", low: 0, high: 0.3 },
    warmup: { type: "int", low: 0, high: 10 },
    batch: { type: "categorical", choices: [32, 64, 128, 256, 512] },
  },
  maxResource: 81,
  fStar: 0.12,
  salt: 0x77626c,
  curve(x) {
    const batch = num(x, "batch"), warmup = num(x, "warmup"), beta1 = num(x, "beta1"), dropout = num(x, "dropout");
    const u = lg(num(x, "lr")) - (-3 + 0.5 * lg(batch / 128) + 0.05 * warmup);
    const b2 = -lg(1 - num(x, "beta2"));
    const reg = lg(num(x, "weight_decay") / 1e-6) / 5 + dropout / 0.7 + num(x, "label_smoothing") / 0.3;
    const linf =
      0.12 + lrPenalty(u, 0.04, 0.01) + 0.5 * sq(beta1 - 0.88) + 0.01 * sq(b2 - 2.7) + 0.04 * sq(reg - 1.4) + 0.0025 * Math.log2(batch / 32);
    const tau = 4 * 10 ** (-0.7 * u) * (1 + 0.5 * dropout) * Math.sqrt(batch / 128) + 0.5 * warmup;
    const delta = 0.7 + (0.5 * (beta1 - 0.5)) / 0.49;
    const uDiv = 0.5 + 0.35 * (b2 - 1) + 0.08 * warmup;
    return {
      linf,
      decay: (t) => Math.exp(-((t / tau) ** delta)),
      ...diverges(u, uDiv, 81, 0.3),
      overfit: 0.0015 * Math.max(0, 1.4 - reg),
      overfitAt: 2 * tau,
      sigma: settling(0.003, 0.006),
      rho: 0.5,
    };
  },
});

/**
 * ilog2 (c + a / ln t, shifted), 2 parameters: a slow curve whose best rate sits just below
 * divergence, and weight decay that slows early progress but lowers the asymptote.
 */
export const ILOG2_2D: LcProblem = lcProblem({
  name: "ilog2_2d",
  set: "validation",
  source:
    "Parametric: Domhan et al. 2015's ilog2 family, loss = linf + (0.9 - linf) ln 2 / ln(2 + t/tau): a curve so " +
    "slow that the final loss rewards the highest rate that does not diverge (0.6 decades above the asymptote's " +
    "optimum); weight decay slows the start but lowers the asymptote, so under-regularised runs lead early and " +
    "lose late, and its optimum moves with the lr (their product is what regularises, Loshchilov & Hutter 2019). " +
    "Two parameters. Synthetic.",
  space: { lr: lr(1e-5, 1), weight_decay: lr(1e-6, 1e-1) },
  maxResource: 27,
  fStar: 0.250863,
  salt: 0x696c6f67,
  curve(x) {
    const u = lg(num(x, "lr") / 3e-3);
    const uw = lg(num(x, "weight_decay") / 3e-4) + 0.3 * u;
    const linf = 0.15 + lrPenalty(u, 0.05, 0.01) + lrPenalty(uw, 0.02, 0.12);
    const tau = 10 ** (0.6 * uw - 2 * u);
    return {
      linf,
      decay: (t) => Math.LN2 / Math.log(2 + t / tau),
      ...diverges(u, 0.6, 27, 0.5),
      sigma: settling(0.002, 0.01),
      rho: 0.5,
    };
  },
});

/** The shapes the conditional problem's architectures follow. */
const SHAPES = {
  /** Vapor pressure: exp(a + b/s + c ln s) with s = 1 + t/tau, normalised to 1 at t = 0. */
  mlp: (tau: number) => (t: number) => {
    const s = 1 + t / tau;
    return Math.exp(0.8 * (1 / s - 1)) * s ** -1.2;
  },
  /** Janoschek: exp(-kappa t^delta). */
  cnn: (tau: number) => (t: number) => Math.exp(-0.6 * (t / tau) ** 1.4),
  /** pow4: (1 + t/tau)^-alpha after a delay (the transformer's warmup). */
  transformer: (tau: number, delay: number) => (t: number) => (1 + Math.max(0, t - delay) / tau) ** -1.5,
} as const;

type Arch = keyof typeof SHAPES;
/** Optimal effective step lr (sgd: lr / (1 - momentum)) per architecture and optimizer. */
const ETA: Record<Arch, { sgd: number; adam: number }> = {
  mlp: { sgd: 0.5, adam: 1e-3 },
  cnn: { sgd: 1, adam: 1e-3 },
  transformer: { sgd: 0.1, adam: 3e-4 },
};
/** What the optimizer costs each architecture's asymptote. */
const OPT_COST: Record<Arch, { sgd: number; adam: number }> = {
  mlp: { sgd: 0.01, adam: 0 },
  cnn: { sgd: 0, adam: 0.01 },
  transformer: { sgd: 0.04, adam: 0 },
};

/** Categorical and conditional parameters: three architectures with their own parameters and curve families. */
export const COND_ARCH: LcProblem = lcProblem({
  name: "cond_arch",
  set: "validation",
  source:
    "Parametric with categorical and conditional parameters: an architecture (mlp: width and layers; cnn: " +
    "channels and kernel; transformer: heads and warmup) and an optimizer (sgd with momentum, or adam), each " +
    "architecture on its own family of Domhan et al. 2015 (vapor pressure, Janoschek, pow4). The mlp learns " +
    "fastest and plateaus highest, the cnn is fast and good, the transformer is best but slowest and diverges " +
    "under sgd or without warmup at rates that suit the others. Synthetic.",
  space: {
    arch: { type: "categorical", choices: ["mlp", "cnn", "transformer"] },
    optimizer: { type: "categorical", choices: ["sgd", "adam"] },
    lr: lr(1e-5, 1),
    momentum: { type: "float", low: 0.5, high: 0.999, scale: "reverse-log", when: { optimizer: ["sgd"] } },
    mlp_width: { type: "int", low: 32, high: 1024, scale: "log", when: { arch: ["mlp"] } },
    mlp_layers: { type: "int", low: 1, high: 4, when: { arch: ["mlp"] } },
    cnn_channels: { type: "int", low: 8, high: 128, scale: "log", when: { arch: ["cnn"] } },
    cnn_kernel: { type: "categorical", choices: [3, 5, 7], when: { arch: ["cnn"] } },
    heads: { type: "categorical", choices: [1, 2, 4, 8], when: { arch: ["transformer"] } },
    warmup: { type: "float", low: 0, high: 0.3, when: { arch: ["transformer"] } },
  },
  maxResource: 81,
  fStar: 0.079058,
  salt: 0x636f6e64,
  curve(x) {
    const arch = x["arch"] as Arch, opt = x["optimizer"] as "sgd" | "adam";
    const m = opt === "sgd" ? num(x, "momentum") : 0;
    const u = lg(num(x, "lr") / (1 - m)) - lg(ETA[arch][opt]);
    let linf = OPT_COST[arch][opt] + lrPenalty(u, 0.05, 0.01) + (opt === "sgd" ? 0.02 * sq(lg(1 - m) + 1) : 0);
    let decay: (t: number) => number;
    let uDiv: number;
    if (arch === "mlp") {
      const lw = lg(num(x, "mlp_width") / 32), layers = num(x, "mlp_layers");
      linf += 0.22 - (0.03 * lw) / 1.5 - 0.01 * (layers - 1);
      decay = SHAPES.mlp(1.5 * 10 ** (-0.8 * u) * (1 + 0.1 * layers));
      uDiv = 1 - 0.1 * (layers - 1);
    } else if (arch === "cnn") {
      const channels = num(x, "cnn_channels"), kernel = num(x, "cnn_kernel");
      linf += 0.1 + 0.04 * sq(lg(channels / 64)) + 0.0075 * (kernel - 3) ** 1.5 / 2;
      decay = SHAPES.cnn(4 * 10 ** (-0.8 * u) * (channels / 32) ** 0.3 * Math.sqrt(kernel / 3));
      uDiv = 0.8;
    } else {
      const heads = num(x, "heads"), warmup = num(x, "warmup");
      linf += 0.07 + (0.02 * sq(Math.log2(heads) - 2)) / 4 + 0.5 * sq(warmup - 0.1);
      decay = SHAPES.transformer(5 * 10 ** (-0.8 * u), warmup * 81 * 0.2);
      uDiv = (opt === "sgd" ? 0.2 : 0.3) + 2 * warmup;
    }
    return {
      linf,
      decay,
      ...diverges(u, uDiv, 81, 0.3),
      sigma: settling(0.002, 0.008),
      rho: 0.5,
    };
  },
});

export const FAMILIES: readonly LcProblem[] = [POW3_MLP, EXP3_NOISY, MMF_RESNET, WEIBULL_ADAM, ILOG2_2D, COND_ARCH];
