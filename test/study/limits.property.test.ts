// Property tests of `limits`, through the DSL: every invalid value is refused at once by
// `.limits()` with a TunelabError naming the field and the allowed range; every valid combination
// runs to a limit and returns, with every trial settled and the reason the one that was reached.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { float, tune, type Limits } from "../../src/index";
import { isBetter, type FrozenTrial } from "../../src/model/trial";
import { LIMIT_KEYS, MAX_PARALLEL } from "../../src/study/limits";
import { STOPPED_KEY } from "../../src/study/runner";
import { isTunelabError } from "../../src/util/errors";
import { revoked } from "./hostile";

let n = 0;
const builder = () => tune(`limits-${n++}`).space({ x: float(0, 1) }).minimize().storage("memory").display(false);

// ---- invalid limits ---------------------------------------------------------

type IntKey = "trials" | "parallel" | "patience";
type NumKey = "minutes" | "seconds" | "trialSeconds";
const INT_KEYS: IntKey[] = ["trials", "parallel", "patience"];
const NUM_KEYS: NumKey[] = ["minutes", "seconds", "trialSeconds"];

/** Values no field takes. */
const notANumber = fc.oneof(
  fc.string(),
  fc.constantFrom<unknown>(null, true, false, NaN, -Infinity, "5", "1e3", [], [3], {}, { valueOf: () => 3 }),
  fc.bigInt().map((b) => b as unknown),
);

/** A bad limits input, as data: the hostile objects are made inside the property (fast-check would trip over them). */
type Bad =
  | { readonly kind: "value"; readonly key: string; readonly value: unknown }
  | { readonly kind: "unknown"; readonly key: string }
  | { readonly kind: "both times" }
  | { readonly kind: "not an object"; readonly value: unknown }
  | { readonly kind: "unreadable"; readonly how: "revoked" | "ownKeys" | "getter"; readonly key: string };

const badLimits: fc.Arbitrary<Bad> = fc.oneof(
  fc.record({
    kind: fc.constant("value" as const),
    key: fc.constantFrom<string>(...INT_KEYS),
    value: fc.oneof(
      notANumber,
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((v) => !Number.isInteger(v) || v < 1),
      fc.constantFrom(0, -0, -1, 0.5, 1.5, -3),
    ),
  }),
  fc.record({
    kind: fc.constant("value" as const),
    key: fc.constant("parallel"),
    value: fc.oneof(fc.constant(Infinity), fc.integer({ min: MAX_PARALLEL + 1, max: Number.MAX_SAFE_INTEGER }), fc.double({ min: MAX_PARALLEL + 1, noNaN: true })),
  }),
  fc.record({
    kind: fc.constant("value" as const),
    key: fc.constantFrom<string>(...NUM_KEYS),
    value: fc.oneof(notANumber, fc.double({ max: 0, noNaN: true }), fc.constantFrom(0, -0, -1e-300, -5)),
  }),
  fc.record({ kind: fc.constant("value" as const), key: fc.constant("target"), value: fc.oneof(notANumber, fc.constantFrom(Infinity, -Infinity)) }),
  fc.record({ kind: fc.constant("unknown" as const), key: fc.string().filter((k) => !(LIMIT_KEYS as readonly string[]).includes(k)) }),
  fc.constant({ kind: "both times" as const }),
  fc.record({ kind: fc.constant("not an object" as const), value: fc.constantFrom<unknown>(null, 5, "trials: 5", [], [{ trials: 5 }], true) }),
  fc.record({ kind: fc.constant("unreadable" as const), how: fc.constantFrom<"revoked" | "ownKeys" | "getter">("revoked", "ownKeys", "getter"), key: fc.constantFrom<string>(...LIMIT_KEYS, "bogus") }),
);

function makeBad(b: Bad): { input: unknown; field: string } {
  switch (b.kind) {
    case "value":
      return { input: { trials: 3, [b.key]: b.value }, field: `limits.${b.key}` };
    case "unknown":
      return { input: { [b.key]: 1 }, field: `limits.${b.key}` };
    case "both times":
      return { input: { minutes: 1, seconds: 2 }, field: "limits.seconds" };
    case "not an object":
      return { input: b.value, field: "limits" };
    case "unreadable":
      if (b.how === "revoked") return { input: revoked(), field: "limits" };
      if (b.how === "ownKeys") return { input: new Proxy({}, { ownKeys: () => { throw new Error("ownKeys"); } }), field: "limits" };
      return {
        input: Object.defineProperty({}, b.key, { enumerable: true, get: () => { throw new Error("getter"); } }),
        field: `limits.${b.key}`,
      };
  }
}

describe("invalid limits", () => {
  it("property: refused at once by .limits() with a TunelabError naming the field and the rule (never `internal`)", () => {
    fc.assert(
      fc.property(badLimits, (b) => {
        const { input, field } = makeBad(b);
        const t = builder();
        let thrown: unknown;
        try {
          t.limits(input as Limits);
        } catch (e) {
          thrown = e;
        }
        expect(isTunelabError(thrown), `no TunelabError for ${fc.stringify(b)}`).toBe(true);
        const e = thrown as { code: string; field: string; message: string };
        expect(["option.bad_value", "option.unknown", "value.unreadable"]).toContain(e.code);
        // An object given as patience is its object form ({ trials, minImprovement, minDelta }): the field at fault is inside it.
        const inPatience = b.kind === "value" && b.key === "patience" && typeof b.value === "object" && b.value !== null && !Array.isArray(b.value);
        if (inPatience) expect(e.field).toMatch(/^limits\.patience\./);
        else expect(e.field).toBe(field);
        expect(e.message).toContain(field === "limits" || e.code === "option.unknown" ? "limits" : inPatience ? e.field : field);
        if (e.code === "option.bad_value" && field !== "limits" && field !== "limits.seconds") {
          // the allowed range
          expect(e.message).toMatch(/must be (an integer >= 1|an integer from 1 to \d+|a number > 0|a finite number)/);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("examples: the boundaries of each field", () => {
    const refused = (l: unknown, field: string) => expect(() => builder().limits(l as Limits)).toThrow(expect.objectContaining({ field }));
    refused({ parallel: MAX_PARALLEL + 1 }, "limits.parallel");
    refused({ parallel: Infinity }, "limits.parallel");
    refused({ trials: 0 }, "limits.trials");
    refused({ trials: -0 }, "limits.trials");
    refused({ seconds: -0 }, "limits.seconds");
    refused({ trialSeconds: Number.MIN_VALUE * -1 }, "limits.trialSeconds");
    refused({ patience: 2.5 }, "limits.patience");
    refused({ minutes: "1" }, "limits.minutes");
    refused({ trails: 5 }, "limits.trails");
    // Accepted: the edges of the ranges, Infinity as "no limit", and an unknown key left undefined.
    for (const ok of [{ parallel: MAX_PARALLEL }, { trials: Infinity }, { seconds: Number.MIN_VALUE }, { minutes: 1e308 }, { target: -0 }, { bogus: undefined }, {}]) {
      expect(() => builder().limits(ok as Limits)).not.toThrow();
    }
  });
});

// ---- valid limits -------------------------------------------------------------

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const validLimits = fc
  .record({
    trials: opt(fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constantFrom(1e15, 2 ** 53, Infinity))),
    parallel: opt(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 5, max: MAX_PARALLEL }))),
    time: opt(
      fc.oneof(
        fc.record({ seconds: fc.double({ min: 0.005, max: 0.04, noNaN: true }) }),
        fc.record({ minutes: fc.double({ min: 1e-4, max: 6e-4, noNaN: true }) }),
        // Beyond setTimeout's 2^31-1 ms (which would fire after 1 ms), and Infinity: never reached here.
        fc.record({ seconds: fc.constantFrom(3e6, 1e10, 1e300, Infinity) }),
        fc.record({ minutes: fc.constantFrom(1e6, 1e9, 1e308, Infinity) }),
      ),
    ),
    target: opt(fc.double({ min: -0.5, max: 1.5, noNaN: true })),
    patience: opt(fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(1e15))),
    trialSeconds: opt(fc.oneof(fc.double({ min: 0.002, max: 0.01, noNaN: true }), fc.constantFrom(2.2e6, 1e9, 1e300, Infinity))),
    // -1: a synchronous objective (with an in-memory study the run is then all microtasks)
    delays: fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 1, maxLength: 8 }),
  })
  .filter((l) => (l.trials !== undefined && l.trials <= 6) || isShort(l.time));

function isShort(time: { seconds?: number; minutes?: number } | undefined): boolean {
  return time !== undefined && ((time.seconds ?? Infinity) < 1 || (time.minutes ?? Infinity) < 1);
}

/** The limit in ms of a time record, or Infinity. */
function timeMs(time: { seconds?: number; minutes?: number } | undefined): number {
  if (time?.seconds !== undefined) return time.seconds * 1000;
  if (time?.minutes !== undefined) return time.minutes * 60_000;
  return Infinity;
}

/** The trials in the order they finished. */
function finishingOrder(trials: readonly FrozenTrial[]): FrozenTrial[] {
  return trials.filter((t) => t.finishedAt !== undefined).sort((a, b) => a.finishedAt! - b.finishedAt! || a.number - b.number);
}

/** Finished trials in a row since the best (in finishing order): what `patience` counts. */
function sinceBest(finished: readonly FrozenTrial[]): { since: number; hasBest: boolean } {
  let best: number | undefined;
  let since = 0;
  for (const t of finished) {
    if (t.state === "complete" && t.value !== undefined && (best === undefined || isBetter("minimize", t.value, best))) {
      best = t.value;
      since = 0;
    } else since++;
  }
  return { since, hasBest: best !== undefined };
}

describe("valid limits", () => {
  it("property: run() returns at a limit it reached, every trial settled, counts adding up", async () => {
    await fc.assert(
      fc.asyncProperty(validLimits, async (l) => {
        const { time, delays, ...rest } = l;
        const limits = { ...rest, ...time } as Limits;
        const s = builder()
          .limits(limits)
          .objective((p, trial) => {
            const delay = delays[trial.number % delays.length]!;
            return delay < 0 ? p.x : new Promise<number>((r) => setTimeout(() => r(p.x), delay));
          });
        const summary = await s.run({ handleSigint: false });
        const trials = s.trials;
        expect(trials.filter((t) => t.state === "running")).toEqual([]);
        expect(summary.started).toBe(trials.length);
        for (const t of trials) {
          if (t.state === "failed") expect(t.error).toMatch(/\S/);
          else expect(t.state).toBe("complete");
        }
        const stoppedByTime = trials.filter((t) => t.system[STOPPED_KEY] === "time");
        const timedOut = trials.filter((t) => t.system[STOPPED_KEY] === "timeout");
        const ms = timeMs(time);
        // A limit that is never reached (huge, or Infinity) never acts.
        if (!isShort(time)) expect(stoppedByTime).toEqual([]);
        if (!(l.trialSeconds !== undefined && l.trialSeconds < 1)) expect(timedOut).toEqual([]);
        switch (summary.reason) {
          case "trials":
            expect(trials.length - stoppedByTime.length).toBe(l.trials);
            break;
          case "time":
            expect(isShort(time)).toBe(true);
            expect(summary.seconds * 1000).toBeGreaterThanOrEqual(ms - 2);
            break;
          case "target":
            expect(l.target).toBeDefined();
            expect(s.best!.value!).toBeLessThanOrEqual(l.target!);
            break;
          case "patience": {
            // It held when the run decided to stop; trials still in flight then (at most
            // `parallel`) finished afterwards and may have improved the best.
            expect(l.patience).toBeDefined();
            const finished = finishingOrder(trials);
            const inFlight = l.parallel ?? 1;
            const held = finished.some((_, i) => {
              if (finished.length - (i + 1) > inFlight) return false;
              const { since, hasBest } = sinceBest(finished.slice(0, i + 1));
              return hasBest && since >= l.patience!;
            });
            expect(held).toBe(true);
            break;
          }
          default:
            expect.unreachable(`reason ${summary.reason}`);
        }
      }),
      { numRuns: 40 },
    );
  });

  // Counterexamples of the property before long delays were waited in steps: Node fires a
  // setTimeout above 2^31-1 ms after 1 ms, so these stopped the run (or timed out every
  // trial) almost at once.
  it("examples: seconds 1e10 and trialSeconds 1e9 are not reached in a short run", async () => {
    for (const limits of [{ trials: 3, seconds: 1e10 }, { trials: 3, trialSeconds: 1e9 }, { trials: 3, minutes: 1e9, trialSeconds: 2.2e6 }]) {
      const s = builder()
        .limits(limits)
        .objective(async (p) => {
          await new Promise((r) => setTimeout(r, 5));
          return p.x;
        });
      expect((await s.run({ handleSigint: false })).reason).toBe("trials");
      expect(s.trials.map((t) => t.state)).toEqual(["complete", "complete", "complete"]);
    }
  });

  // A counterexample of the property before the run loop gave the event loop turns: a
  // synchronous objective on an in-memory study never let the time limit's timer fire (nor
  // Ctrl-C's signal), and run() never returned.
  it("example: a synchronous objective with only a time limit stops at the limit", async () => {
    const s = builder()
      .limits({ seconds: 0.05 })
      .objective((p) => p.x);
    const summary = await s.run({ handleSigint: false });
    expect(summary.reason).toBe("time");
    expect(summary.started).toBeGreaterThan(0);
    expect(s.trials.filter((t) => t.state === "running")).toEqual([]);
  });

  it("example: parallel far above trials starts only the trials asked for", async () => {
    let active = 0;
    let most = 0;
    const s = builder()
      .limits({ trials: 3, parallel: MAX_PARALLEL })
      .objective(async (p) => {
        most = Math.max(most, ++active);
        await new Promise((r) => setTimeout(r, 2));
        active--;
        return p.x;
      });
    expect(await s.run({ handleSigint: false })).toMatchObject({ reason: "trials", started: 3 });
    expect(most).toBe(3);
  });
});
