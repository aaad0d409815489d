import { describe, expect, it } from "vitest";
import { discreteCoordinateSearch, minimizeLbfgs, nearestIndex } from "../../src/math/optimize";

/** Rosenbrock in n dimensions with its gradient. */
function rosen(x: Float64Array, g: Float64Array): number {
  let f = 0;
  g.fill(0);
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1]! - x[i]! * x[i]!;
    const b = 1 - x[i]!;
    f += 100 * a * a + b * b;
    g[i] += -400 * a * x[i]! - 2 * b;
    g[i + 1] += 200 * a;
  }
  return f;
}

describe("minimizeLbfgs", () => {
  it("finds the minimum of Rosenbrock (unbounded)", () => {
    const r = minimizeLbfgs(rosen, [-1.2, 1, -0.5, 0.8], { pgtol: 1e-8, ftol: 0, maxIter: 500 });
    for (const v of r.x) expect(v).toBeCloseTo(1, 5);
    expect(r.reason).toBe("pgtol");
  });

  it("minimises a quadratic in a few iterations", () => {
    const c = [3, -2, 0.5, 7];
    const w = [1, 10, 100, 0.1];
    const r = minimizeLbfgs(
      (x, g) => {
        let f = 0;
        for (let i = 0; i < 4; i++) {
          f += w[i]! * (x[i]! - c[i]!) ** 2;
          g[i] = 2 * w[i]! * (x[i]! - c[i]!);
        }
        return f;
      },
      [0, 0, 0, 0],
      { pgtol: 1e-9, ftol: 0 },
    );
    r.x.forEach((v, i) => expect(v).toBeCloseTo(c[i]!, 6));
    expect(r.iterations).toBeLessThan(40);
  });

  it("stops on the box when the minimum is outside, and keeps every iterate inside", () => {
    const seen: number[][] = [];
    const r = minimizeLbfgs(
      (x, g) => {
        seen.push(Array.from(x));
        g[0] = 2 * (x[0]! - 3);
        g[1] = 2 * (x[1]! + 0.25);
        return (x[0]! - 3) ** 2 + (x[1]! + 0.25) ** 2;
      },
      [0.5, 0.5],
      { lower: [0, 0], upper: [1, 1] },
    );
    expect(r.x[0]).toBe(1);
    expect(r.x[1]).toBe(0);
    expect(r.reason).toBe("pgtol");
    for (const p of seen) for (const v of p) expect(v >= 0 && v <= 1).toBe(true);
  });

  it("minimises bounded Rosenbrock with an interior coordinate", () => {
    // Box [-2, 0.5] x [-2, 2]: the minimum is on x0 = 0.5, x1 = 0.25.
    const r = minimizeLbfgs(rosen, [-1.5, 1.5], { lower: [-2, -2], upper: [0.5, 2], pgtol: 1e-8, maxIter: 500 });
    expect(r.x[0]).toBeCloseTo(0.5, 8);
    expect(r.x[1]).toBeCloseTo(0.25, 5);
  });

  it("leaves fixed coordinates alone", () => {
    const r = minimizeLbfgs(
      (x, g) => {
        g[0] = 2 * x[0]!;
        g[1] = 2 * (x[1]! - 1);
        return x[0]! ** 2 + (x[1]! - 1) ** 2;
      },
      [0.7, 0],
      { fixed: [true, false] },
    );
    expect(r.x[0]).toBe(0.7);
    expect(r.x[1]).toBeCloseTo(1, 6);
  });
});

describe("discreteCoordinateSearch", () => {
  it("tries every value of a small coordinate and pattern-searches a large one", () => {
    const small = [0, 1, 2, 3];
    const large = Array.from({ length: 200 }, (_, i) => i / 10);
    let calls = 0;
    const f = (x: Float64Array) => {
      calls++;
      return (x[0]! - 2) ** 2 + (x[1]! - 13.7) ** 2;
    };
    const x = Float64Array.from([0, 1]);
    let fx = f(x);
    for (let sweep = 0; sweep < 6; sweep++) fx = discreteCoordinateSearch(f, x, [{ index: 0, values: small }, { index: 1, values: large }], fx);
    expect(x[0]).toBe(2);
    expect(x[1]).toBeCloseTo(13.7, 12);
    expect(fx).toBeCloseTo(0, 12);
    expect(calls).toBeLessThan(200); // far fewer than trying all 200 values each sweep
  });

  it("nearestIndex", () => {
    expect(nearestIndex([0, 1, 2, 3], 1.4)).toBe(1);
    expect(nearestIndex([0, 1, 2, 3], 1.6)).toBe(2);
    expect(nearestIndex([0, 1, 2, 3], -5)).toBe(0);
    expect(nearestIndex([0, 1, 2, 3], 9)).toBe(3);
  });
});
