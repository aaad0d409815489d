// Reading a process's output as it streams: lines in bounded memory whatever the bytes and
// however they are chunked, metrics from regexes and structured lines, and the capped log.
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { LineSplitter } from "../../src/command/lines";
import { LineTail, TrialLog } from "../../src/command/log";
import { compileMetrics, MAX_METRICS, MetricReader, type ReadReport } from "../../src/command/metrics";
import { isTunelabError } from "../../src/util/errors";
import { cleanup, scratch } from "./helpers";

afterAll(cleanup);

/** Feeds `bytes` to a splitter in chunks cut at `cuts`; returns the lines, the logged text and the largest carry seen. */
function split(bytes: Buffer, cuts: number[], maxLine: number): { lines: string[]; logged: string; held: number } {
  const lines: string[] = [];
  let logged = "";
  const s = new LineSplitter(maxLine, (l) => lines.push(l), (t) => (logged += t));
  let held = 0;
  let at = 0;
  for (const c of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    s.push(bytes.subarray(at, c));
    at = c;
    held = Math.max(held, (s as unknown as { carry: string }).carry.length);
  }
  s.end();
  return { lines, logged, held };
}

/** What the lines of a text are, by the documented rule (breaks at \n and \r, a last unbroken line counts). */
function reference(text: string, maxLine: number): string[] {
  const parts = text.split(/[\r\n]/);
  if (parts[parts.length - 1] === "") parts.pop();
  return parts.map((p) => p.slice(0, maxLine));
}

describe("LineSplitter", () => {
  it("gives the same lines however the bytes are chunked, cut to maxLine, holding at most maxLine characters (property)", () => {
    const text = fc.array(fc.oneof(fc.string({ unit: "grapheme", maxLength: 40 }), fc.constantFrom("\n", "\r", "\r\n", "tunelab: {\"loss\": 1}\n", "x".repeat(70))), { maxLength: 30 }).map((a) => a.join(""));
    fc.assert(
      fc.property(text, fc.array(fc.nat(2000), { maxLength: 8 }), fc.integer({ min: 4, max: 64 }), (t, cuts, maxLine) => {
        const bytes = Buffer.from(t, "utf8");
        const { lines, logged, held } = split(bytes, cuts, maxLine);
        expect(lines).toEqual(reference(t, maxLine));
        expect(held).toBeLessThanOrEqual(maxLine);
        // The log is the input, except that cut lines are marked (and end with a break).
        if (!lines.some((l, i) => reference(t, Infinity)[i]!.length > maxLine)) expect(logged).toBe(/[\r\n]$/.test(t) || t === "" ? t : t + "\n");
      }),
      { numRuns: 300 },
    );
  });

  it("reads binary garbage as text without failing, and keeps memory bounded over a line of 20 MB", () => {
    const garbage = Buffer.alloc(1 << 20);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
    const { held } = split(garbage, [1, 7, 65536, 300_001], 1000);
    expect(held).toBeLessThanOrEqual(1000);
    const lines: string[] = [];
    let logged = 0;
    const s = new LineSplitter(64 * 1024, (l) => lines.push(l), (t) => (logged += t.length));
    const chunk = Buffer.alloc(1 << 16, 97);
    for (let i = 0; i < 320; i++) s.push(chunk); // 20 MB, no newline
    expect((s as unknown as { carry: string }).carry.length).toBeLessThanOrEqual(64 * 1024);
    s.push(Buffer.from("\nloss=0.5\n"));
    s.end();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toHaveLength(64 * 1024);
    expect(lines[1]).toBe("loss=0.5");
    expect(logged).toBeLessThan(70 * 1024);
  });

  it("keeps a multi-byte character split across chunks whole", () => {
    const { lines } = split(Buffer.from("é€😀 loss\n", "utf8"), [1, 2, 3, 4, 5, 6], 100);
    expect(lines).toEqual(["é€😀 loss"]);
  });
});

describe("metric definitions", () => {
  const code = (defs: unknown) => {
    try {
      compileMetrics(defs);
      return "ok";
    } catch (e) {
      if (!isTunelabError(e)) throw e;
      return `${e.code} ${e.field}`;
    }
  };

  it("need exactly one capture group and a valid regex, named by field", () => {
    expect(code([{ name: "loss", regex: "loss=([0-9.]+)" }])).toBe("ok");
    expect(code([{ name: "loss", regex: "loss=(?<v>[0-9.]+)(?:x)?" }])).toBe("ok");
    expect(code([{ name: "loss", regex: "loss=[0-9.]+" }])).toBe("command.regex_groups metrics[0].regex");
    expect(code([{ name: "a", regex: "(x)" }, { name: "loss", regex: "(a)(b)" }])).toBe("command.regex_groups metrics[1].regex");
    expect(code([{ name: "loss", regex: "loss=([0-9.]+" }])).toBe("command.bad_regex metrics[0].regex");
    expect(code([{ name: "loss", regex: "(x)" }, { name: "loss", regex: "(y)" }])).toBe("command.duplicate_metric metrics[1].name");
    expect(code([{ name: "", regex: "(x)" }])).toBe("option.bad_value metrics[0].name");
    expect(code([{ name: "loss", regex: "(x)", flags: "i" }])).toBe("option.unknown metrics[0].flags");
    expect(code({ name: "loss" })).toBe("option.bad_value metrics");
  });

  it("never throw anything but a catalog error, whatever they are (property)", () => {
    fc.assert(
      fc.property(fc.anything(), (defs) => {
        const c = code(defs);
        expect(c === "ok" || /^(command|option)\./.test(c)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("MetricReader", () => {
  const read = (lines: string[], metric = "loss", defs: unknown = []) => {
    const reports: ReadReport[] = [];
    const r = new MetricReader(metric, compileMetrics(defs), (x) => reports.push(x));
    for (const l of lines) r.line(l);
    return { reports, r };
  };

  it("makes each objective match one report, stepped 1, 2, ... with the other metrics seen since the last one", () => {
    const { reports, r } = read(["epoch 1 acc=0.5", "loss=0.9", "noise", "acc=0.6 loss=0.7", "loss=nan", "done acc=0.7"], "loss", [
      { name: "loss", regex: "loss=([-+0-9.eE]+|nan)" },
      { name: "acc", regex: "acc=([0-9.]+)" },
    ]);
    expect(reports).toEqual([
      { step: 1, values: { acc: 0.5, loss: 0.9 } },
      { step: 2, values: { acc: 0.6, loss: 0.7 } },
    ]);
    expect({ ...r.last }).toEqual({ acc: 0.7, loss: 0.7 });
    expect(r.final("last")).toBe(0.7);
    expect(r.final("max")).toBe(0.9);
  });

  it("takes the step from a definition named step, or the structured line's step; a step that does not increase is not a report", () => {
    const { reports } = read(["epoch 5", "loss=1", "epoch 5", "loss=0.5", "epoch 9", "loss=0.25"], "loss", [
      { name: "loss", regex: "loss=([0-9.]+)" },
      { name: "step", regex: "epoch (\\d+)" },
    ]);
    expect(reports.map((r) => [r.step, r.values["loss"]])).toEqual([
      [5, 1],
      [9, 0.25],
    ]);
    const s = read(['tunelab: {"step": 0, "loss": 3}', 'INFO tunelab:{"loss": 2, "lr": 0.1}', 'tunelab: {"step": 10, "loss": 1}', "tunelab: not json", 'tunelab: {"loss": "x"}']);
    expect(s.reports).toEqual([
      { step: 0, values: { loss: 3 } },
      { step: 1, values: { lr: 0.1, loss: 2 } },
      { step: 10, values: { loss: 1 } },
    ]);
  });

  it("keeps at most MAX_METRICS names whatever the process invents, and only finite numbers (property)", () => {
    const line = fc.oneof(
      fc.string(),
      fc.dictionary(fc.string({ maxLength: 300 }), fc.oneof(fc.double(), fc.string(), fc.boolean(), fc.constant(null))).map((o) => `tunelab: ${JSON.stringify(o)}`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), (lines) => {
        const many = Array.from({ length: 150 }, (_, i) => `tunelab: {"m${i}": ${i}}`);
        const { reports, r } = read([...lines, ...many]);
        expect(Object.keys(r.last).length).toBeLessThanOrEqual(MAX_METRICS);
        let last = -1;
        for (const rep of reports) {
          expect(rep.step).toBeGreaterThan(last);
          last = rep.step;
          for (const v of Object.values(rep.values)) expect(Number.isFinite(v)).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("TrialLog", () => {
  it("keeps the first and last halves of the cap, marks what it left out, and says so while open (property)", () => {
    const dir = scratch("log");
    let n = 0;
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme-ascii", maxLength: 400 }), { maxLength: 40 }), fc.integer({ min: 1024, max: 4096 }), (writes, cap) => {
        const file = path.join(dir, `${n++}.log`);
        const log = new TrialLog(file, cap);
        for (const w of writes) log.write(w);
        const live = log.text();
        log.close("[end]\n");
        const all = writes.join("");
        const text = fs.readFileSync(file, "utf8");
        expect(live + "[end]\n").toBe(text);
        if (Buffer.byteLength(all) <= cap) {
          expect(text).toBe(all + "[end]\n");
        } else {
          expect(text.startsWith(all.slice(0, Math.floor(cap / 2)))).toBe(true);
          expect(text.endsWith(all.slice(all.length - (cap - Math.floor(cap / 2))) + "[end]\n")).toBe(true);
          expect(text).toContain(`[tunelab: ${Buffer.byteLength(all) - cap} bytes of output left out here`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("LineTail keeps the last lines, each cut to its width", () => {
    const t = new LineTail(3, 5);
    for (const l of ["a", "", "bbbbbbbb", "c", "d"]) t.push(l);
    expect(t.text()).toBe("bbbbb [...]\nc\nd");
  });
});
