// Property test of the run loop over misbehaving objectives, through the DSL. For every mix of
// behaviours (normal numbers, NaN, named metrics, hostile values returned or thrown, thenables
// that throw or never settle, late results, blocking synchronous work, hostile reports, reports
// after returning), sync and async with delays of 0-3 ms, `parallel` 1-4, trialSeconds on some
// runs, and hostile event listeners:
//   - run() returns;
//   - every trial is settled (complete, failed or pruned) and in the state its behaviour calls for;
//   - every failed trial has a non-empty error;
//   - the counts add up to the trials started;
//   - no unhandled rejection or uncaught exception happens (process-level listeners).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { float, tune, type TrialContext } from "../../src/index";
import { MAX_METRICS } from "../../src/study/result";
import { HOSTILE, HOSTILE_NAMES, revoked, trapsThrow } from "./hostile";

type Ctx = TrialContext<{ x: number }>;

/** Bad report() calls, each a refused report. */
const BAD_REPORTS: Record<string, (trial: Ctx) => Promise<boolean>> = {
  "NaN": (t) => t.report(0, NaN),
  "a string": (t) => t.report(0, "0.5" as never),
  "a revoked Proxy": (t) => t.report(0, revoked() as never),
  "a Proxy whose traps throw": (t) => t.report(0, trapsThrow() as never),
  "a huge object": (t) => t.report(0, Object.fromEntries([...Array(MAX_METRICS + 1).keys()].map((i) => [`m${i}`, i]))),
  "a negative step": (t) => t.report(-1, 0.5),
  "a fractional step": (t) => t.report(0.5, 0.5),
  // Both calls at once (a chain of its own would be the test's unhandled rejection, not tunelab's).
  "a decreasing step": (t) => {
    void t.report(5, 0.5);
    return t.report(4, 0.5);
  },
};

type Behaviour =
  | { readonly kind: "number"; readonly value: number; readonly sync: boolean; readonly delay: number }
  | { readonly kind: "metrics"; readonly sync: boolean; readonly delay: number }
  | { readonly kind: "return hostile" | "throw hostile"; readonly name: string; readonly sync: boolean; readonly delay: number }
  | { readonly kind: "then getter throws" }
  | { readonly kind: "never settles" }
  | { readonly kind: "late"; readonly reject: boolean }
  | { readonly kind: "blocks past the limit" }
  | { readonly kind: "bad report"; readonly name: string; readonly awaited: boolean; readonly caught: boolean }
  | { readonly kind: "report after returning" }
  | { readonly kind: "reports then returns"; readonly steps: number };

const timing = { sync: fc.boolean(), delay: fc.integer({ min: 0, max: 3 }) };
const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.record({ kind: fc.constant("number" as const), value: fc.oneof(fc.double({ min: -10, max: 10, noNaN: true }), fc.constantFrom(NaN, Infinity, -Infinity)), ...timing }),
  fc.record({ kind: fc.constant("metrics" as const), ...timing }),
  fc.record({ kind: fc.constantFrom("return hostile" as const, "throw hostile" as const), name: fc.constantFrom(...HOSTILE_NAMES), ...timing }),
  fc.constant({ kind: "then getter throws" as const }),
  fc.constant({ kind: "never settles" as const }),
  fc.record({ kind: fc.constant("late" as const), reject: fc.boolean() }),
  fc.constant({ kind: "blocks past the limit" as const }),
  fc.record({ kind: fc.constant("bad report" as const), name: fc.constantFrom(...Object.keys(BAD_REPORTS)), awaited: fc.boolean(), caught: fc.boolean() }),
  fc.constant({ kind: "report after returning" as const }),
  fc.record({ kind: fc.constant("reports then returns" as const), steps: fc.integer({ min: 1, max: 3 }) }),
);

/** Behaviours that only end through limits.trialSeconds. */
const NEEDS_TIMEOUT = new Set(["never settles", "late", "blocks past the limit"]);

const LISTENERS = ["throws", "throws a revoked Proxy", "async rejects", "runs again"] as const;

const scenario = fc.record({
  behaviours: fc.array(behaviour, { minLength: 1, maxLength: 10 }),
  trials: fc.integer({ min: 1, max: 10 }),
  parallel: fc.integer({ min: 1, max: 4 }),
  trialSeconds: fc.option(fc.double({ min: 0.004, max: 0.015, noNaN: true }), { nil: undefined }),
  listeners: fc.subarray([...LISTENERS]),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let faults: unknown[] = [];
const onFault = (e: unknown) => faults.push(e);
beforeAll(() => {
  process.on("unhandledRejection", onFault);
  process.on("uncaughtException", onFault);
});
afterAll(() => {
  process.off("unhandledRejection", onFault);
  process.off("uncaughtException", onFault);
  vi.restoreAllMocks();
});

let n = 0;

describe("misbehaving objectives (property)", () => {
  it("run() returns, every trial settles as its behaviour calls for, counts add up, nothing escapes", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        faults = [];
        const trialMs = sc.trialSeconds === undefined ? undefined : sc.trialSeconds * 1000;
        // Without a per-trial limit, behaviours that end only through it become plain numbers.
        const pick = (i: number): Behaviour => {
          const b = sc.behaviours[i % sc.behaviours.length]!;
          return trialMs === undefined && NEEDS_TIMEOUT.has(b.kind) ? { kind: "number", value: 1, sync: true, delay: 0 } : b;
        };
        const late: Promise<unknown>[] = [];
        const objective = (p: { x: number }, trial: Ctx): unknown => {
          const b = pick(trial.number);
          const after = <T>(sync: boolean, delay: number, f: () => T): T | Promise<T> => (sync ? f() : sleep(delay).then(f));
          switch (b.kind) {
            case "number":
              return after(b.sync, b.delay, () => b.value);
            case "metrics":
              return after(b.sync, b.delay, () => ({ value: p.x, accuracy: 0.5, note: "text", nan: NaN }));
            case "return hostile":
              return after(b.sync, b.delay, () => HOSTILE[b.name]!());
            case "throw hostile":
              return after(b.sync, b.delay, () => {
                throw HOSTILE[b.name]!();
              });
            case "then getter throws":
              return {
                get then() {
                  throw new Error("then getter");
                },
              };
            case "never settles":
              return { then() {} };
            case "late": {
              const done = sleep(trialMs! + 5).then(() => (b.reject ? Promise.reject(revoked()) : { value: -100 }));
              late.push(done.catch(() => undefined));
              return done;
            }
            case "blocks past the limit": {
              const end = performance.now() + trialMs! + 3;
              while (performance.now() < end) {
                /* blocking */
              }
              return p.x;
            }
            case "bad report": {
              const call = BAD_REPORTS[b.name]!;
              if (!b.awaited) {
                void call(trial);
                return sleep(2).then(() => p.x);
              }
              return call(trial).then(
                () => p.x,
                (e: unknown) => {
                  if (b.caught) return p.x;
                  throw e;
                },
              );
            }
            case "report after returning":
              late.push(sleep(1).then(() => trial.report(0, p.x)));
              return p.x;
            case "reports then returns":
              return (async () => {
                for (let s = 0; s < b.steps; s++) await trial.report(s, p.x + s);
                return p.x;
              })();
          }
        };

        const s = tune(`objectives-${n++}`)
          .space({ x: float(0, 1) })
          .minimize()
          .storage("memory")
          .display(false)
          .limits({ trials: sc.trials, parallel: sc.parallel, ...(sc.trialSeconds !== undefined ? { trialSeconds: sc.trialSeconds } : {}) })
          .objective(objective);
        for (const l of sc.listeners) {
          if (l === "throws") s.on("trialFinished", () => { throw new Error("listener"); });
          if (l === "throws a revoked Proxy") s.on("trialStarted", () => { throw revoked(); });
          if (l === "async rejects") s.on("trialReported", async () => { throw trapsThrow(); });
          if (l === "runs again") s.on("trialFinished", () => void s.run());
        }

        let timer: ReturnType<typeof setTimeout> | undefined;
        const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("run() did not return")), 8000)));
        const summary = await Promise.race([s.run({ handleSigint: false }), hang]).finally(() => clearTimeout(timer));
        await Promise.all(late);
        await sleep(2); // unhandled rejections are reported once the microtask queue drains

        const trials = s.trials;
        expect(summary.started).toBe(trials.length);
        expect(trials).toHaveLength(sc.trials);
        const byState = { complete: 0, failed: 0, pruned: 0, running: 0 };
        for (const t of trials) byState[t.state]++;
        expect(byState.running).toBe(0);
        expect(byState.complete + byState.failed + byState.pruned).toBe(summary.started);

        for (const t of trials) {
          if (t.state === "failed") expect(t.error).toMatch(/\S/);
          // Any trial may time out when others block the process; otherwise its behaviour decides.
          if (trialMs !== undefined && t.state === "failed" && /^timed out/.test(t.error!)) continue;
          const b = pick(t.number);
          const want =
            b.kind === "number"
              ? Number.isFinite(b.value)
                ? "complete"
                : "failed"
              : b.kind === "metrics" || b.kind === "report after returning" || b.kind === "reports then returns"
                ? "complete"
                : "failed";
          expect([t.number, b.kind, t.state, t.error]).toEqual([t.number, b.kind, want, t.error]);
          if (b.kind === "bad report") expect(t.error).toMatch(/^trial\.report\(\) was refused: /);
          if (NEEDS_TIMEOUT.has(b.kind)) expect(t.error).toMatch(/^timed out/);
        }
        expect(faults).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
