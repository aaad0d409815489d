// A real Hyperband study (the DSL, memory storage) and a random one under the median stopping
// rule, through the views: the curves data, the extension's payload gate and the static SVG read
// the system records the strategies actually write.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { checkPayload } from "../../extension/src/payload-check";
import { tune } from "../../src/dsl/tuner";
import { renderSvg } from "../../src/notebook/vega";
import { float, int } from "../../src/space/builders";
import { curvesData, curvesSpec, curveStops } from "../../src/views/curves";
import { toPayload } from "../../src/views/payload";

const space = { lr: float(1e-3, 1, { scale: "log" }), width: int(1, 8) };
type P = { lr: number; width: number };

/** A deterministic fake loss curve whose floor and speed depend on the configuration. */
function loss(p: P, epoch: number): number {
  const floor = 0.1 + 0.15 * (Math.log10(p.lr) + 1.5) ** 2 + 0.3 / p.width;
  return floor + (2.5 - floor) * Math.exp(-(0.05 + 0.6 * Math.sqrt(p.lr)) * epoch);
}

async function train(p: P, trial: { budget?: number; report(step: number, v: number): Promise<boolean> }): Promise<number> {
  let value = NaN;
  for (let epoch = 1; epoch <= (trial.budget ?? 27); epoch++) {
    value = loss(p, epoch);
    if (await trial.report(epoch, value)) break;
  }
  return value;
}

beforeEach(() => {
  vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("the views of a real multi-fidelity study", () => {
  it("hyperband: every curve's bracket and rungs, stops at the rung judged at, rung lines, and the static chart", async () => {
    const study = tune("hb-views")
      .space(space)
      .minimize("loss")
      .strategy("hyperband", { minResource: 1, maxResource: 27, eta: 3 })
      .seed(5)
      .storage("memory")
      .display(false)
      .limits({ trials: 40, parallel: 2 })
      .objective(train);
    await study.run();
    const payload = JSON.parse(JSON.stringify(toPayload((await study.open()).snapshot, false)));
    expect(checkPayload(payload).ok).toBe(true);

    const d = curvesData(payload);
    expect(d.trials).toHaveLength(40);
    expect(d.brackets).toEqual([0, 1, 2, 3]);
    expect(d.rungs).toEqual([1, 3, 9]); // below maxResource 27
    const pruned = d.trials.filter((t) => t.state === "pruned");
    expect(pruned.length).toBeGreaterThan(10);
    for (const t of d.trials) {
      const sys = study.trials.find((s) => s.number === t.number)!.system["hyperband"] as { bracket: number; rungs: number[] };
      expect([t.bracket, t.rungs]).toEqual([sys.bracket, sys.rungs]);
      if (t.state !== "pruned") continue;
      const last = t.points[t.points.length - 1]![0];
      expect(t.stop).toMatchObject({ rule: "rung", step: last, rung: last, text: `stopped at rung ${last} by hyperband` });
    }

    const svg = await renderSvg(curvesSpec(d));
    const group = (cls: string) => svg.match(new RegExp(`<g class="${cls}"[^>]*>([\\s\\S]*?)</g>`))?.[1] ?? "";
    expect(group("mark-rule role-mark layer_0_marks").match(/<line /g)).toHaveLength(3);
    expect(group("mark-symbol role-mark layer_3_marks").match(/<path /g)).toHaveLength(curveStops(d).length);
    expect(curveStops(d)).toHaveLength(pruned.length);
  });

  it("random with the median rule: no brackets (the plain chart), each pruned trial stopped by the median rule at its last step", async () => {
    const study = tune("median-views")
      .space(space)
      .minimize("loss")
      .strategy("random")
      .stopping("median", { startupTrials: 3 })
      .seed(2)
      .storage("memory")
      .display(false)
      .limits({ trials: 15 })
      .objective(train);
    await study.run();
    const payload = toPayload((await study.open()).snapshot, false);
    expect(checkPayload(JSON.parse(JSON.stringify(payload))).ok).toBe(true);
    const d = curvesData(payload);
    expect(d.brackets).toEqual([]);
    expect(d.rungs).toEqual([]);
    const pruned = d.trials.filter((t) => t.state === "pruned");
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) {
      const step = t.points[t.points.length - 1]![0];
      expect(t.stop).toMatchObject({ rule: "median", step, rung: null, text: `stopped by the median rule at step ${step}` });
    }
    const spec = curvesSpec(d) as unknown as { layer: { mark: { type: string } }[] };
    expect(spec.layer.map((l) => l.mark.type)).toEqual(["line", "point"]);
  });
});
