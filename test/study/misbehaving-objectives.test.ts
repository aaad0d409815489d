// Objectives that misbehave in unusual ways, driven through the DSL (`tune(...).objective(fn)
// .run()`): whatever an objective returns, throws, reports or leaves pending, run() returns, every
// trial ends settled with the best error text obtainable, and nothing escapes as an unhandled
// rejection or an uncaught exception. Several of these cases made run() hang (a trial left
// `running`) or ended a plain Node script before this was fixed; they stay as explicit examples.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { float, tune, type Limits } from "../../src/index";
import type { Strategy } from "../../src/strategies/strategy";
import type { TrialContext } from "../../src/study/runner";
import { MAX_METRICS } from "../../src/study/result";
import { STOPPED_KEY } from "../../src/study/runner";
import { isTunelabError } from "../../src/util/errors";
import { HOSTILE, HOSTILE_NAMES, revoked, trapsThrow } from "./hostile";

type Fn = (p: { x: number }, trial: TrialContext<{ x: number }>) => unknown;

let n = 0;
function study(fn: Fn, limits: Limits = { trials: 2 }) {
  return tune(`misbehaving-${n++}`).space({ x: float(0, 1) }).minimize().storage("memory").display(false).limits(limits).objective(fn);
}

/** run() must return: a hang fails the test here instead of at vitest's timeout. */
async function run(s: ReturnType<typeof study>, options: { signal?: AbortSignal } = {}) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("run() did not return")), 8000)));
  try {
    return await Promise.race([s.run({ handleSigint: false, ...options }), hang]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = () => new Promise<never>(() => {});

// Process-level faults during each test: there must be none.
let faults: unknown[] = [];
const onFault = (e: unknown) => faults.push(e);
beforeEach(() => {
  faults = [];
  process.on("unhandledRejection", onFault);
  process.on("uncaughtException", onFault);
});
afterEach(async () => {
  await sleep(5); // unhandled rejections are reported after the microtask queue drains
  process.off("unhandledRejection", onFault);
  process.off("uncaughtException", onFault);
  vi.restoreAllMocks();
  expect(faults).toEqual([]);
});

function expectAllFailed(s: ReturnType<typeof study>, pattern?: RegExp) {
  expect(s.trials.length).toBeGreaterThan(0);
  for (const t of s.trials) {
    expect(t.state).toBe("failed");
    expect(typeof t.error).toBe("string");
    expect(t.error!.length).toBeGreaterThan(0);
    if (pattern) expect(t.error).toMatch(pattern);
  }
}

/** What each hostile value's error text must mention: what reading it threw, or what it was. */
const MENTIONS: Record<string, RegExp> = {
  "a getter that throws": /getter/,
  "a Proxy whose ownKeys throws": /ownKeys/,
  "a Proxy whose every trap throws": /trap/,
  "a revoked Proxy": /revoked/,
  "an object whose toString and toJSON throw": /toString|toJSON/,
  "an Error whose message getter throws": /message getter/,
  "an Error whose name getter throws": /the real message|name getter/,
  "an Error whose stack getter throws": /the real message/,
};

describe("hostile results and throws", () => {
  describe.each(HOSTILE_NAMES)("%s", (name) => {
    const mention = MENTIONS[name];
    it("returned: the trials fail, run() returns", async () => {
      const s = study(() => HOSTILE[name]!());
      expect((await run(s)).started).toBe(2);
      expectAllFailed(s, mention && !/^an Error/.test(name) ? mention : undefined);
    });
    it("resolved by an async objective: the trials fail, run() returns", async () => {
      const s = study(async () => {
        await sleep(1);
        return HOSTILE[name]!();
      });
      await run(s);
      expectAllFailed(s);
    });
    it("thrown synchronously: the trials fail with the best text obtainable", async () => {
      const s = study(() => {
        throw HOSTILE[name]!();
      });
      await run(s);
      expectAllFailed(s, mention);
    });
    it("rejected by an async objective: the trials fail with the best text obtainable", async () => {
      const s = study(async () => {
        await sleep(1);
        throw HOSTILE[name]!();
      });
      await run(s);
      expectAllFailed(s, mention);
    });
  });

  it("a result with more than MAX_METRICS numeric metrics fails naming the bound", async () => {
    const s = study(() => Object.fromEntries([...Array(MAX_METRICS + 1).keys()].map((i) => [i === 0 ? "value" : `m${i}`, i])));
    await run(s);
    expectAllFailed(s, new RegExp(`${MAX_METRICS + 1} numeric metrics, more than the ${MAX_METRICS}`));
  });

  it("a metric named __proto__ is kept as data", async () => {
    const s = tune(`proto-${n++}`).space({ x: float(0, 1) }).minimize("loss").storage("memory").display(false).limits({ trials: 1 });
    s.objective(() => JSON.parse('{"loss": 1, "__proto__": 2}'));
    await run(s);
    expect(s.trials[0]!.state).toBe("complete");
    expect(Object.getOwnPropertyDescriptor(s.trials[0]!.metrics, "__proto__")?.value).toBe(2);
  });
});

describe("an objective that changes its params", () => {
  it("changes neither the stored trial nor what a resumed study reads (memory and journal)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-mutate-"));
    try {
      for (const storage of ["memory", { dir }] as const) {
        const seen: number[] = [];
        const name = `mutating-${n++}`;
        const s = tune(name).space({ x: float(0, 1) }).minimize().storage(storage).display(false).limits({ trials: 3 });
        s.objective((p: { x: number }) => {
          seen.push(p.x);
          p.x = 42;
          delete (p as { x?: number }).x;
          (p as Record<string, unknown>)["extra"] = 1;
          return seen.length;
        });
        await run(s);
        expect(s.trials.map((t) => t.params)).toEqual(seen.map((x) => ({ x })));
        if (storage !== "memory") {
          const again = tune(name).space({ x: float(0, 1) }).minimize().storage(storage).display(false);
          await again.limits({ trials: 3 }).objective(() => 0).run({ handleSigint: false });
          expect(again.trials.map((t) => t.params)).toEqual(seen.map((x) => ({ x })));
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("thenables", () => {
  it("a thenable whose `then` getter throws: failed with what it threw", async () => {
    const s = study(() => ({
      get then() {
        throw new Error("then getter");
      },
    }));
    await run(s);
    expectAllFailed(s, /then getter/);
  });

  it("a Proxy returned as the result, its `then` trap throwing: failed", async () => {
    const s = study(() => trapsThrow());
    await run(s);
    expectAllFailed(s, /get trap/);
  });

  it("a thenable that resolves and then rejects: the first outcome counts", async () => {
    const s = study(() => ({
      then(ok: (v: number) => void, fail: (e: unknown) => void) {
        ok(0.5);
        fail(new Error("too late"));
        ok(7);
      },
    }));
    await run(s);
    expect(s.trials.map((t) => [t.state, t.value])).toEqual([
      ["complete", 0.5],
      ["complete", 0.5],
    ]);
  });

  it("a thenable that never settles, with limits.trialSeconds: failed as a timeout, run() returns", async () => {
    const s = study(() => ({ then() {} }), { trials: 3, parallel: 2, trialSeconds: 0.02 });
    const summary = await run(s);
    expect(summary).toMatchObject({ reason: "trials", started: 3 });
    expectAllFailed(s, /timed out/);
    for (const t of s.trials) expect(t.system[STOPPED_KEY]).toBe("timeout");
  });

  it("a thenable that never settles, without trialSeconds: the run's time limit stops it", async () => {
    const s = study(never, { trials: 3, seconds: 0.05 });
    const summary = await run(s);
    expect(summary.reason).toBe("time");
    expectAllFailed(s, /time limit/);
  });

  it("a thenable that never settles, without any time limit: an abort stops it", async () => {
    const ac = new AbortController();
    let calls = 0;
    const s = study(
      () => {
        if (++calls === 2) setTimeout(() => ac.abort(), 10);
        return never();
      },
      { trials: 5, parallel: 2 },
    );
    const summary = await run(s, { signal: ac.signal });
    expect(summary.reason).toBe("interrupted");
    expectAllFailed(s, /interrupted/);
  });
});

describe("outcomes that come too late", () => {
  it("resolving after the trial timed out does not overwrite the timeout", async () => {
    const s = study(
      async () => {
        await sleep(30);
        return { value: -1, extra: 5 };
      },
      { trials: 2, trialSeconds: 0.005 },
    );
    await run(s);
    await sleep(40); // the late results arrive now
    expectAllFailed(s, /timed out/);
    for (const t of s.trials) {
      expect(t.value).toBeUndefined();
      expect(t.metrics).toEqual({});
    }
  });

  it("rejecting with a hostile value after the timeout changes nothing and raises nothing", async () => {
    const s = study(
      async () => {
        await sleep(30);
        throw revoked();
      },
      { trials: 2, trialSeconds: 0.005 },
    );
    await run(s);
    await sleep(40);
    expectAllFailed(s, /timed out/);
  });

  it("returning after report() said stop: pruned with the last reported value, the returned one ignored", async () => {
    const s = study(
      async (_p, trial) => {
        await trial.report(1, 0.9);
        await trial.report(2, 0.8);
        return 123;
      },
      { trials: 1 },
    ).stopping({ name: "always", shouldStop: (ctx) => ({ stop: ctx.step >= 2 }) });
    await run(s);
    expect(s.trials[0]).toMatchObject({ state: "pruned", value: 0.8 });
  });
});

describe("a synchronous objective that outlives limits.trialSeconds", () => {
  const busy = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      /* the process is blocked: no timer can fire */
    }
  };

  it("is recorded failed as a timeout, its result discarded (the README's limits table)", async () => {
    const s = study(
      (p) => {
        busy(30);
        return p.x;
      },
      { trials: 2, trialSeconds: 0.005 },
    );
    await run(s);
    expectAllFailed(s, /timed out.*synchronous objective/);
    for (const t of s.trials) {
      expect(t.system[STOPPED_KEY]).toBe("timeout");
      expect(t.value).toBeUndefined();
    }
  });

  it("an async objective delayed past its limit by a blocking sibling is a timeout too; quick ones complete", async () => {
    let i = 0;
    const s = study(
      async (p) => {
        if (i++ === 0) {
          await sleep(1);
          return p.x; // its timer cannot fire while the next trial blocks
        }
        busy(30);
        return p.x;
      },
      { trials: 2, parallel: 2, trialSeconds: 0.01 },
    );
    await run(s);
    expectAllFailed(s, /timed out/);
  });

  it("a synchronous objective within its limit completes", async () => {
    const s = study((p) => p.x, { trials: 3, trialSeconds: 60 });
    await run(s);
    expect(s.trials.map((t) => t.state)).toEqual(["complete", "complete", "complete"]);
  });
});

describe("trial.report() with hostile input", () => {
  const bad: Record<string, [step: unknown, values: unknown, code: string]> = {
    "NaN": [0, NaN, "trial.bad_value"],
    "Infinity": [0, Infinity, "trial.bad_value"],
    "a string": [0, "0.5", "trial.bad_value"],
    "the metric as a string": [0, { value: "0.5" }, "trial.bad_value"],
    "a revoked Proxy": [0, revoked(), "value.unreadable"],
    "a Proxy whose traps throw": [0, trapsThrow(), "value.unreadable"],
    "a getter that throws": [0, { get value(): number { throw new Error("getter"); } }, "value.unreadable"],
    "a huge object": [0, Object.fromEntries([...Array(MAX_METRICS + 1).keys()].map((i) => [`m${i}`, i])), "trial.too_many_metrics"],
    "a negative step": [-1, 0.5, "trial.bad_step"],
    "a fractional step": [1.5, 0.5, "trial.bad_step"],
    "a NaN step": [NaN, 0.5, "trial.bad_step"],
    "an infinite step": [Infinity, 0.5, "trial.bad_step"],
    "a step beyond 2^53": [2 ** 53, 0.5, "trial.bad_step"],
    "a string step": ["3", 0.5, "trial.bad_step"],
    "a revoked Proxy as the step": [revoked(), 0.5, "trial.bad_step"],
  };

  describe.each(Object.keys(bad))("%s", (name) => {
    const [step, values, code] = bad[name]!;
    it("awaited: rejects with a TunelabError of its code; the trial fails with it", async () => {
      const seen: unknown[] = [];
      const s = study(async (_p, trial) => {
        try {
          await trial.report(step as number, values as number);
        } catch (e) {
          seen.push(e);
          throw e;
        }
        return 1;
      });
      await run(s);
      expect(seen).toHaveLength(2);
      for (const e of seen) expect(isTunelabError(e, code), String((e as Error).message)).toBe(true);
      expectAllFailed(s, /^trial\.report\(\) was refused: /);
    });

    it("not awaited: no unhandled rejection; the trial still fails with the error", async () => {
      const s = study(async (_p, trial) => {
        void trial.report(step as number, values as number);
        await sleep(2);
        return 1;
      });
      await run(s);
      expectAllFailed(s, /^trial\.report\(\) was refused: /);
    });

    it("caught by the objective, which returns a value anyway: the trial stays failed", async () => {
      const s = study(async (_p, trial) => {
        await trial.report(step as number, values as number).catch(() => false);
        return 1;
      });
      await run(s);
      expectAllFailed(s, /^trial\.report\(\) was refused: /);
    });
  });

  it("decreasing and repeated steps are refused once they reach the storage", async () => {
    for (const steps of [
      [2, 1],
      [3, 3],
    ]) {
      const s = study(async (_p, trial) => {
        for (const st of steps) await trial.report(st, 0.5);
        return 1;
      });
      await run(s);
      expectAllFailed(s, /step must be an integer greater than the last reported step/);
      expect(s.trials[0]!.intermediate).toEqual([[steps[0], 0.5]]);
    }
  });

  it("report() after the objective returned records nothing and resolves true", async () => {
    const answers: Promise<boolean>[] = [];
    const s = study((_p, trial) => {
      setTimeout(() => answers.push(trial.report(0, 0.1), trial.report(-1, revoked() as never)), 1);
      return 0.5;
    });
    await run(s);
    await sleep(10);
    expect(await Promise.all(answers)).toEqual([true, true, true, true]);
    expect(s.trials.map((t) => [t.state, t.intermediate.length])).toEqual([
      ["complete", 0],
      ["complete", 0],
    ]);
  });

  it("a stopping rule that throws inside report(): the trial fails with what it threw", async () => {
    const s = study(async (_p, trial) => {
      await trial.report(0, 0.5);
      return 1;
    }).stopping({
      name: "broken",
      shouldStop: () => {
        throw new Error("stopper bug");
      },
    });
    await run(s);
    expectAllFailed(s, /^trial\.report\(\) failed: Error: stopper bug$/);
  });
});

describe("event listeners", () => {
  it("listeners that throw hostile values, reject, or return a thenable whose `then` throws never break the run", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const s = study((p) => p.x, { trials: 3 })
      .on("trialStarted", () => {
        throw revoked();
      })
      .on("trialReported", () => {
        throw HOSTILE["an Error whose message getter throws"]!();
      })
      .on("trialFinished", async () => {
        await sleep(1);
        throw trapsThrow();
      })
      .on("studyFinished", () => ({
        get then() {
          throw new Error("then getter");
        },
      }));
    const summary = await run(s);
    await sleep(10);
    expect(summary).toMatchObject({ reason: "trials", started: 3 });
    expect(s.trials.map((t) => t.state)).toEqual(["complete", "complete", "complete"]);
    const said = warn.mock.calls.map((c) => String(c[0]));
    expect(said.filter((m) => m.includes('"trialStarted" listener threw'))).toHaveLength(3);
    expect(said.filter((m) => m.includes('"trialFinished" listener failed'))).toHaveLength(3);
    expect(said.filter((m) => m.includes('"studyFinished" listener threw') && m.includes("then getter"))).toHaveLength(1);
  });

  it("a listener that calls run() again: refused with dsl.running (awaited or not), the first run goes on", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const refusals: unknown[] = [];
    const s = study((p) => p.x, { trials: 3 });
    s.on("trialFinished", () => {
      void s.run(); // not awaited: must not become an unhandled rejection
      s.run().catch((e: unknown) => refusals.push(e));
    });
    s.on("studyFinished", () => s.run()); // returned to the emitter, which reports its rejection
    const summary = await run(s);
    await sleep(5);
    expect(summary).toMatchObject({ reason: "trials", started: 3 });
    expect(refusals).toHaveLength(3);
    for (const e of refusals) expect(isTunelabError(e, "dsl.running")).toBe(true);
    expect(warn.mock.calls.some((c) => String(c[0]).includes('"studyFinished" listener failed'))).toBe(true);
    // Once the first run is over, run() works again.
    expect((await run(s.limits({ trials: 4 }))).started).toBe(1);
  });
  it(".on() refuses an unknown event or a listener that is not a function, naming the field", () => {
    const s = study((p) => p.x);
    expect(() => s.on("trialEnded" as never, () => {})).toThrow(expect.objectContaining({ code: "option.bad_value", field: "event" }));
    expect(() => s.on("trialFinished", "log" as never)).toThrow(expect.objectContaining({ code: "option.bad_value", field: "listener" }));
  });
});

describe("a strategy that fails while trials are in flight", () => {
  it("run() rejects with its error and leaves no trial running", async () => {
    let asks = 0;
    const broken: Strategy = {
      name: "broken",
      propose: () => {
        if (++asks === 3) throw new Error("propose bug");
        return { params: { x: 0.5 } };
      },
    };
    const s = study(never, { trials: 10, parallel: 3 }).strategy(broken);
    await expect(s.run({ handleSigint: false })).rejects.toThrow("propose bug");
    expect(s.trials).toHaveLength(2);
    expectAllFailed(s, /next trial could not be started \(Error: propose bug\)/);
  });
});

describe("run() options", () => {
  it("a signal that is not an AbortSignal, or unreadable options, are refused before anything runs", async () => {
    const s = study((p) => p.x);
    await expect(s.run({ signal: {} as AbortSignal })).rejects.toMatchObject({ code: "option.bad_value", field: "signal" });
    await expect(s.run({ handleSigint: "no" as never })).rejects.toMatchObject({ code: "option.bad_value", field: "handleSigint" });
    await expect(s.run(revoked() as never)).rejects.toMatchObject({ code: "value.unreadable", field: "run options" });
    expect(s.trials).toEqual([]);
  });
});
