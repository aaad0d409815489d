import { expect } from "vitest";
import type { Choice, SpaceDef } from "../../src/space/types";

/** An independent check of one value against the JSON definition. */
export function expectInDomain(json: SpaceDef, name: string, v: Choice): void {
  const d = json[name]!;
  if (d.type === "categorical") {
    expect(d.choices.some((c) => Object.is(c, v) || c === v), `${name}=${String(v)} is a choice`).toBe(true);
    return;
  }
  expect(typeof v).toBe("number");
  const x = v as number;
  expect(Number.isFinite(x), `${name}=${x} is finite`).toBe(true);
  expect(x, name).toBeGreaterThanOrEqual(d.low);
  expect(x, name).toBeLessThanOrEqual(d.high);
  if (d.type === "int") {
    expect(Number.isInteger(x), `${name}=${x} is an integer`).toBe(true);
    expect((x - d.low) % (d.step ?? 1), `${name}=${x} on the step`).toBe(0);
  } else if (d.step !== undefined) {
    const k = Math.round((x - d.low) / d.step);
    expect(Math.abs(x - (d.low + k * d.step)), `${name}=${x} is low + k*step`).toBeLessThanOrEqual(1e-9 * d.step + 1e-12 * Math.max(Math.abs(x), Math.abs(d.low)));
  }
}

