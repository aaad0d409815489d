import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { int } from "../../src/space/builders";
import { MemoryStorage } from "../../src/storage/base";
import { QUEUE_KEY, Study } from "../../src/study/study";
import { FreePosition } from "../../src/util/positions";

type Trial = { readonly system: Readonly<Record<string, unknown>> };

describe("FreePosition", () => {
  it("is the smallest non-negative integer no trial holds, however the positions were taken and read", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat({ max: 30 }), fc.constantFrom(-1, 1.5, "2", null, 2 ** 60)), { maxLength: 40 }), fc.array(fc.nat({ max: 40 })), (positions, cuts) => {
        const free = new FreePosition("k");
        const trials: Trial[] = [];
        const snap = { trials, sysOps: 0 };
        // Read after every cut, the trials array growing in between (as a replica does).
        let at = 0;
        for (const c of [...cuts.map((c) => Math.min(c, positions.length)).sort((a, b) => a - b), positions.length]) {
          for (; at < c; at++) trials.push({ system: { k: positions[at] } });
          const held = new Set(trials.map((t) => t.system["k"]));
          let expected = 0;
          while (held.has(expected)) expected++;
          expect(free.next(snap)).toBe(expected);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("reads each trial once while the replica only grows; all of them again after a sys op or on another array", () => {
    let reads = 0;
    const trial = (k: number): Trial => ({
      get system() {
        reads++;
        return { k };
      },
    });
    const trials = [trial(0), trial(1)];
    const snap = { trials, sysOps: 0 };
    const free = new FreePosition("k");
    expect(free.next(snap)).toBe(2);
    trials.push(trial(2));
    expect(free.next(snap)).toBe(3);
    expect(reads).toBe(3);
    snap.sysOps = 1;
    expect(free.next(snap)).toBe(3);
    expect(reads).toBe(6);
    expect(free.next({ trials: [...trials] })).toBe(3); // not a replica: read in full every time
    expect(free.next({ trials: [...trials] })).toBe(3);
    expect(reads).toBe(12);
  });
});

describe("enqueued configurations (issue 11: each ask scanned every trial once anything was enqueued)", () => {
  it("run in order, each once, then the strategy's proposals; a resumed study continues the queue", async () => {
    const storage = new MemoryStorage();
    const open = () => Study.open({ name: "q", space: { x: int(0, 1e9) }, direction: "minimize", storage, seed: 1 });
    const study = await open();
    for (let i = 0; i < 300; i++) await study.enqueue({ x: 1e6 + i });
    const xs: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = (await study.ask())!;
      expect(t.system[QUEUE_KEY]).toBe(i);
      xs.push(t.params["x"] as number);
      await study.tell(t.number, { value: i });
    }
    const again = await open();
    for (let i = 200; i < 310; i++) {
      const t = (await again.ask())!;
      if (i < 300) expect(t.system[QUEUE_KEY]).toBe(i);
      else expect(t.system[QUEUE_KEY]).toBeUndefined();
      xs.push(t.params["x"] as number);
      await again.tell(t.number, { value: i });
    }
    expect(xs.slice(0, 300)).toStrictEqual(Array.from({ length: 300 }, (_, i) => 1e6 + i));
  });
});
