/**
 * fast-check generators of hostile input for `tunelab serve`: JSON text
 * (deep, wide, every string JSON can carry, numbers at and past the edges
 * of a double, odd keys, duplicate keys), lines that are not JSON (bytes,
 * invalid UTF-8, cut-off JSON, very long lines), and valid request sequences
 * with the mutations a buggy client makes (fields dropped, duplicated,
 * retyped, swapped). Also the inputs of issue 11's other classes (huge grids,
 * huge size options, ranges wider than a double), so the serve suite covers
 * them too.
 *
 * Requests are kept as lists of [key, JSON text] pairs rather than objects:
 * that keeps duplicate keys and number texts JSON.stringify can't write
 * (1e999, -0, 123456789012345678901234567890).
 */
import fc from "fast-check";
import { arbGridSpace, arbSpace } from "../space/arbitrary";

// ---- how counterexamples print ---------------------------------------------

/** Long texts print as their start, length and end, so a failing run's report stays readable. */
export function abbreviate(text: string): string {
  return text.length <= 240 ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, 120))} ...(${text.length} units)... ${JSON.stringify(text.slice(-40))}`;
}

/** A line of bytes that prints as text (or as hex, when it is not UTF-8) in a counterexample. */
function printable(bytes: Buffer): Buffer {
  const text = bytes.toString("utf8");
  const shown = Buffer.from(text, "utf8").equals(bytes) ? abbreviate(text) : `hex ${bytes.subarray(0, 120).toString("hex")}${bytes.length > 120 ? `... (${bytes.length} bytes)` : ""}`;
  return Object.assign(bytes, { [fc.toStringMethod]: () => `line(${shown})` });
}

/** A mutation that prints its value abbreviated. */
function printableMutation(m: Mutation): Mutation {
  const value = "value" in m ? m.value : undefined;
  return Object.assign(m, { [fc.toStringMethod]: () => JSON.stringify({ ...m, ...(value !== undefined ? { value: "..." } : {}) }) + (value !== undefined ? ` value=${abbreviate(value)}` : "") });
}

// ---- strings and keys ------------------------------------------------------

/** One UTF-16 string unit or code point, weighted towards the ones that break things. */
export const oddChar: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  // Lone surrogates: JSON carries them ("\ud800"), UTF-8 can't.
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom("\u0000", "\u0001", "\u001f", "\u007f", "\u2028", "\u2029", "\ufeff", "\ufffd", "\u00a0", '"', "\\", "/", "%", ".", "~", "\r", "\n", "\t", "😀", "é"),
);

export const oddString = (maxLength = 12): fc.Arbitrary<string> => fc.string({ unit: oddChar, maxLength });

/** Keys that collide with what every JavaScript object inherits, the protocol's own names, and anything else. */
export const oddKey: fc.Arbitrary<string> = fc.oneof(
  oddString(8),
  fc.constantFrom("__proto__", "constructor", "toString", "valueOf", "hasOwnProperty", "toJSON", "prototype", "length", "then", ""),
  fc.constantFrom("op", "id", "study", "space", "direction", "strategy", "options", "seed", "storage", "stopping", "limits", "trial", "step", "value", "state", "error"),
  fc.constantFrom("type", "low", "high", "scale", "step", "when", "choices", "rule", "candidates", "maxResource", "startupTrials"),
);

/** A long run of one character (up to 30 000 units; test/cli/serve.test.ts sends a 2 MB and a 16 MiB line). */
export const longString: fc.Arbitrary<string> = fc.tuple(oddChar, fc.integer({ min: 1_000, max: 30_000 })).map(([c, n]) => c.repeat(n));

// ---- JSON text ------------------------------------------------------------

/** Number texts, including ones a double can't hold (they parse to ±Infinity, 0 or a rounded value). */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => JSON.stringify(x)),
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.constantFrom(
    "-0", "0.0", "-0.0", "1e308", "-1.7e308", "1.7976931348623157e308", "1e309", "-1e999", "1e400", "5e-324", "4e-324", "1e-400",
    "2.2250738585072014e-308", "9007199254740993", "123456789012345678901234567890", "1E+2", "-1e-7", "0e0", "1.5", "1e9", "1000000000",
  ),
);

const leafText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom("null", "true", "false"), weight: 1 },
  { arbitrary: numberText, weight: 3 },
  { arbitrary: oddString().map((s) => JSON.stringify(s)), weight: 3 },
);

const pairsText = (pairs: ReadonlyArray<readonly [string, string]>): string => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`;

/** Random JSON text of moderate size: nesting, odd keys (duplicates included), odd strings and numbers. */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leafText, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 5 }).map((items) => `[${items.join(",")}]`),
  object: fc.array(fc.tuple(oddKey, tie("value")), { maxLength: 5 }).map(pairsText),
})).value;

/** `inner` wrapped in `levels` arrays or objects (the limit is 64 for a whole request, so most land near it). */
export const deepText: fc.Arbitrary<string> = fc
  .tuple(fc.oneof(fc.integer({ min: 58, max: 70 }), fc.integer({ min: 1, max: 5_000 }), fc.constant(20_000)), fc.boolean(), leafText)
  .map(([levels, arrays, inner]) => (arrays ? "[".repeat(levels) + inner + "]".repeat(levels) : '{"a":'.repeat(levels) + inner + "}".repeat(levels)));

/** Many members: a long array or an object with many keys. */
export const wideText: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 100, max: 5_000 }), fc.boolean(), leafText)
  .map(([n, array, leaf]) => (array ? `[${Array(n).fill(leaf).join(",")}]` : `{${Array.from({ length: n }, (_, i) => `"k${i}":${leaf}`).join(",")}}`));

/** Any JSON text the suite sends as a field value. */
export const anyValueText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: jsonText, weight: 12 },
  { arbitrary: deepText, weight: 2 },
  { arbitrary: wideText, weight: 1 },
  { arbitrary: longString.map((s) => JSON.stringify(s)), weight: 1 },
);

// ---- inputs of issue 11's other classes -------------------------------------

/** Spaces whose cost or arithmetic is out of range (classes 2 and 3). */
export const hugeSpaceText: fc.Arbitrary<string> = fc.constantFrom(
  '{"x":{"type":"int","low":0,"high":1000000000}}',
  '{"x":{"type":"int","low":-9007199254740991,"high":9007199254740991}}',
  '{"x":{"type":"float","low":0,"high":1,"step":1e-9}}',
  '{"x":{"type":"float","low":-1e300,"high":1e300,"step":1e-300}}',
  '{"a":{"type":"int","low":0,"high":100000},"b":{"type":"int","low":0,"high":100000}}',
  '{"x":{"type":"float","low":-1.7e308,"high":1.7e308}}',
  '{"x":{"type":"float","low":-1.7976931348623157e308,"high":1.7976931348623157e308},"c":{"type":"categorical","choices":[1,2]}}',
  '{"x":{"type":"float","low":5e-324,"high":1e-323,"scale":"log"}}',
  '{"x":{"type":"float","low":0.9999999999999998,"high":0.9999999999999999,"scale":"reverse-log"}}',
  '{"x":{"type":"float","low":1,"high":1.0000000000000002}}',
  '{"x":{"type":"int","low":1,"high":9007199254740991,"scale":"log"}}',
);

/** Size options far past any sensible bound (class 2). */
export const hugeOptionsText: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom("candidates", "startupTrials", "localSearches", "maxObservations", "quasiTrials", "maxResource", "minResource", "eta", "minObservations"), fc.constantFrom("1000000000", "9007199254740991", "1e308"))
  .map(([k, v]) => `{${JSON.stringify(k)}:${v}}`);

// ---- lines that are not JSON ------------------------------------------------

const NL = 0x0a;

/** Raw bytes (no newline: the suite decides where lines end). */
export const bytesLine: fc.Arbitrary<Buffer> = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b.filter((x) => x !== NL)));

/** Invalid UTF-8 sequences, alone or inside an otherwise valid request's strings. */
const badUtf8 = fc.array(fc.constantFrom([0xc0], [0xc1, 0xbf], [0xff], [0xfe], [0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x9f]), {
  minLength: 1,
  maxLength: 4,
}).map((parts) => Buffer.from(parts.flat()));

export const invalidUtf8Line: fc.Arbitrary<Buffer> = fc.oneof(
  badUtf8,
  fc.tuple(badUtf8, fc.constantFrom("study", "op", "id", "error")).map(([bad, key]) =>
    Buffer.concat([Buffer.from(`{"op":"${key === "op" ? "" : "ask"}`), key === "op" ? bad : Buffer.alloc(0), Buffer.from(`","${key === "op" ? "id" : key}":"`), bad, Buffer.from('"}')]),
  ),
);

/** Valid JSON cut anywhere. */
export const cutJsonLine: fc.Arbitrary<string> = jsonText.chain((t) => fc.nat({ max: t.length }).map((n) => t.slice(0, n)));

/** Long lines (up to 300 kB) of one character or of a repeated fragment. */
export const longLine: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom("a", "[", "{", '{"a":', " ", '"', "\\", "\u0000", "é", "1", ",", "\r"), fc.integer({ min: 10_000, max: 300_000 }))
  .map(([s, n]) => s.repeat(Math.ceil(n / s.length)));

// ---- requests ----------------------------------------------------------------

export type Pairs = Array<[string, string]>;

export const OPS = ["create", "ask", "report", "tell", "best", "trials", "importance", "exit", "attr", "note", "extend"] as const;
const NON_EXIT_OPS = OPS.filter((o) => o !== "exit");

/**
 * A request-shaped object with random contents: an op, maybe an id, and
 * fields that op takes or doesn't, each with any value. (The suite drops
 * lines that would be an exit request before sending them.)
 */
export const randomRequestText: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(fc.constantFrom(...NON_EXIT_OPS).map((op) => JSON.stringify(op)), anyValueText),
    fc.option(anyValueText, { nil: undefined }),
    fc.array(
      fc.tuple(
        oddKey,
        fc.oneof(
          { arbitrary: anyValueText, weight: 8 },
          { arbitrary: hugeSpaceText, weight: 1 },
          { arbitrary: hugeOptionsText, weight: 1 },
        ),
      ),
      { maxLength: 6 },
    ),
  )
  .map(([op, id, fields]) => pairsText([["op", op], ...(id !== undefined ? ([["id", id]] as const) : []), ...fields.map(([k, v]) => [k, k === "storage" ? contained(v) : v] as const)]));

/** Any line at all, as bytes. */
export const anyLine: fc.Arbitrary<Buffer> = fc
  .oneof(
    { arbitrary: randomRequestText.map((t) => Buffer.from(t)), weight: 8 },
    { arbitrary: jsonText.map((t) => Buffer.from(t)), weight: 2 },
    { arbitrary: deepText.map((t) => Buffer.from(t)), weight: 1 },
    { arbitrary: bytesLine, weight: 2 },
    { arbitrary: invalidUtf8Line, weight: 2 },
    { arbitrary: cutJsonLine.map((t) => Buffer.from(t)), weight: 2 },
    { arbitrary: longLine.map((t) => Buffer.from(t)), weight: 1 },
  )
  .map(printable);

// ---- valid request sequences and their mutations ---------------------------

const finiteValue = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(-0, 5e-324, 1e308, -1.7976931348623157e308, 0.1),
);

/** What a trial sees after its ask: reports with increasing steps, then maybe a tell. */
const trialPlan = fc.record({
  steps: fc.uniqueArray(fc.nat({ max: 50 }), { maxLength: 4 }).map((s) => [...s].sort((a, b) => a - b)),
  values: fc.array(finiteValue, { minLength: 4, maxLength: 4 }),
  outcome: fc.oneof(
    finiteValue.map((value) => ({ value })),
    fc.option(oddString(20), { nil: undefined }).map((error) => ({ state: "failed", ...(error !== undefined ? { error } : {}) })),
    fc.constant({ state: "pruned" }),
    fc.constant(undefined), // left running
  ),
});

/** A strategy with valid options, for a valid space. */
const strategyPlan = fc.oneof(
  arbSpace.chain((space) =>
    fc.oneof(
      fc.record({ strategy: fc.constant("random"), options: fc.option(fc.record({ quasi: fc.constantFrom("none", "sobol") }), { nil: undefined }) }),
      fc.record({ strategy: fc.constant("tpe"), options: fc.record({ startupTrials: fc.integer({ min: 0, max: 3 }) }) }),
      fc.record({ strategy: fc.constant("bayesian"), options: fc.record({ startupTrials: fc.integer({ min: 1, max: 3 }), candidates: fc.integer({ min: 1, max: 64 }) }) }),
      fc.record({ strategy: fc.constantFrom("hyperband", "asha"), options: fc.record({ maxResource: fc.integer({ min: 3, max: 27 }) }) }),
    ).map((s) => ({ space, ...s })),
  ),
  arbGridSpace.map((space) => ({ space, strategy: "grid", options: undefined })),
);

export interface Sequence {
  /** The study's name and storage (null: memory; a string: a journal directory, relative). */
  readonly study: string;
  readonly storage: string | null;
  readonly requests: Pairs[];
}

/** Study names: plain, odd (every string JSON carries) or exactly 200 units long; `prefix` keeps runs apart. */
const nameSuffix = fc.oneof(
  fc.string({ unit: "grapheme-ascii", maxLength: 8 }),
  oddString(10),
  fc.tuple(oddChar, fc.constant(190)).map(([c, n]) => c.repeat(n)),
  fc.constantFrom("__proto__", "constructor", "toString", ".", "..", "a/b", "%2F", "~", "\ud800", "\udc00x", "\u0000"),
);

/**
 * A valid sequence for one study: create (with a seed), asks, reports with
 * increasing steps and tells, some best and trials. Trial numbers are the
 * order of the asks (each study is fresh), so the requests are known in
 * advance. `prefix` makes the name unique; the name is cut to 200 units.
 */
export function validSequence(prefix: string, o: { storage?: string | null } = {}): fc.Arbitrary<Sequence> {
  return fc
    .record({
      suffix: nameSuffix,
      storage: o.storage !== undefined ? fc.constant(o.storage) : fc.constantFrom(null, "journal", "journal/sub dir"),
      plan: strategyPlan,
      direction: fc.constantFrom("minimize", "maximize"),
      seed: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      trials: fc.array(trialPlan, { minLength: 1, maxLength: 5 }),
      order: fc.array(fc.nat(), { maxLength: 40 }),
      reads: fc.array(fc.tuple(fc.nat(), fc.constantFrom("best", "trials")), { maxLength: 3 }),
      ids: fc.boolean(),
    })
    .map(({ suffix, storage, plan, direction, seed, trials, order, reads, ids }) => {
      const study = cut200(prefix + suffix);
      const create: Record<string, unknown> = { op: "create", study, space: plan.space, direction, strategy: plan.strategy, seed };
      if (plan.options !== undefined) create["options"] = plan.options;
      if (storage !== null) create["storage"] = storage;
      // Each trial's requests in order; the queues are then interleaved by `order`.
      const queues = trials.map((t): Array<Record<string, unknown>> => [
        { op: "ask", study },
        ...t.steps.map((step, k) => ({ op: "report", study, step, value: t.values[k] })),
        ...(t.outcome ? [{ op: "tell", study, ...t.outcome }] : []),
      ]);
      const out: Record<string, unknown>[] = [create];
      const numberOf = new Map<number, number>();
      let asked = 0;
      let pick = 0;
      while (queues.some((q) => q.length > 0)) {
        const open = queues.map((q, i) => [q, i] as const).filter(([q]) => q.length > 0);
        const [q, i] = open[(order[pick++] ?? 0) % open.length]!;
        const r = q.shift()!;
        if (r["op"] === "ask") numberOf.set(i, asked++);
        else r["trial"] = numberOf.get(i);
        out.push(r);
      }
      for (const [at, op] of reads) out.splice(1 + (at % out.length), 0, { op, study });
      const requests = out.map((r, k) => {
        const pairs: Pairs = Object.entries(r).map(([key, v]) => [key, JSON.stringify(v)]);
        if (ids) pairs.push(["id", JSON.stringify(k)]);
        return pairs;
      });
      return { study, storage, requests };
    });
}

function cut200(name: string): string {
  let s = name.slice(0, 200);
  // Don't end on half of a pair made by the cut (the generator's lone halves stay).
  if (s.length === 200 && /[\ud800-\udbff]$/.test(s) && /[\udc00-\udfff]/.test(name.charAt(200))) s = s.slice(0, 199);
  return s;
}

/** The mutations a buggy or hostile client makes to a request sequence. */
export type Mutation =
  | { kind: "drop"; at: number; key: number }
  | { kind: "retype"; at: number; key: number; value: string }
  | { kind: "add"; at: number; key: string; value: string }
  | { kind: "duplicateKey"; at: number; key: number; value: string }
  | { kind: "duplicateLine"; at: number }
  | { kind: "removeLine"; at: number }
  | { kind: "swap"; at: number; with: number };

/** A value for a retyped field: anything, a field of another type, or a class-2/3 input. */
const retypeValue = fc.oneof(
  { arbitrary: anyValueText, weight: 6 },
  { arbitrary: fc.constantFrom('"grid"', '"bayesian"', '"tpe"', '"hyperband"', '"maximize"', '"failed"', '"pruned"', "0", "-1", "1.5", "null", "{}", "[]", '""'), weight: 3 },
  { arbitrary: hugeSpaceText, weight: 1 },
  { arbitrary: hugeOptionsText, weight: 1 },
  { arbitrary: fc.constantFrom('"journal"', '"journal/other"', '"postgres://x"', '""', '" "', '"j/\\u0000"', '"j/\\ud800"', '"j/' + "x".repeat(300) + '"'), weight: 1 },
);

export const mutation: fc.Arbitrary<Mutation> = fc
  .oneof(
    fc.record({ kind: fc.constant("drop" as const), at: fc.nat(), key: fc.nat() }),
    fc.record({ kind: fc.constant("retype" as const), at: fc.nat(), key: fc.nat(), value: retypeValue }),
    fc.record({ kind: fc.constant("add" as const), at: fc.nat(), key: oddKey, value: retypeValue }),
    fc.record({ kind: fc.constant("duplicateKey" as const), at: fc.nat(), key: fc.nat(), value: retypeValue }),
    fc.record({ kind: fc.constant("duplicateLine" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("removeLine" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("swap" as const), at: fc.nat(), with: fc.nat() }),
  )
  .map(printableMutation);

/** Applies mutations in order; storage paths stay inside the working directory (see contained). */
export function mutate(requests: readonly Pairs[], mutations: readonly Mutation[]): Pairs[] {
  const out = requests.map((p) => p.map(([k, v]) => [k, v] as [string, string]));
  for (const m of mutations) {
    if (out.length === 0) break;
    const at = m.at % out.length;
    const pairs = out[at]!;
    switch (m.kind) {
      case "drop":
        if (pairs.length > 0) pairs.splice(m.key % pairs.length, 1);
        break;
      case "retype":
        if (pairs.length > 0) pairs[m.key % pairs.length]![1] = m.value;
        break;
      case "add":
        pairs.push([m.key, m.value]);
        break;
      case "duplicateKey":
        if (pairs.length > 0) pairs.splice(m.key % pairs.length, 0, [pairs[m.key % pairs.length]![0], m.value]);
        break;
      case "duplicateLine":
        out.splice(at, 0, pairs.map(([k, v]) => [k, v]));
        break;
      case "removeLine":
        out.splice(at, 1);
        break;
      case "swap": {
        const other = m.with % out.length;
        [out[at], out[other]] = [out[other]!, pairs];
        break;
      }
    }
  }
  return out.map((pairs) => pairs.map(([k, v]) => [k, k === "storage" ? contained(v) : v]));
}

// ---- inputs of the other classes, as whole cases -------------------------------

/**
 * A study whose space or options are out of bounds (classes 2 and 3): the
 * strategy's own options keep its model in play from the second ask on
 * (startupTrials 1), and the out-of-bounds pair comes last, so it wins over
 * a default of the same key.
 */
export interface ClassCase {
  readonly space: string;
  readonly strategy: string;
  readonly options: string;
  readonly asks: number;
}

const BASE_OPTIONS: Record<string, string> = {
  grid: "",
  random: "",
  tpe: '"startupTrials":1',
  bayesian: '"startupTrials":1',
  hyperband: '"maxResource":27',
  asha: '"maxResource":27',
};

export const classCase: fc.Arbitrary<ClassCase> = fc
  .record({
    space: fc.oneof(hugeSpaceText, fc.constant('{"x":{"type":"float","low":0,"high":1},"n":{"type":"int","low":1,"high":5}}')),
    strategy: fc.constantFrom(...Object.keys(BASE_OPTIONS)),
    huge: fc.option(hugeOptionsText.map((t) => t.slice(1, -1)), { nil: undefined }),
    asks: fc.integer({ min: 1, max: 4 }),
  })
  .map(({ space, strategy, huge, asks }) => ({ space, strategy, options: `{${[BASE_OPTIONS[strategy], huge].filter((x) => x).join(",")}}`, asks }));

/** Damage to a journal between two processes (class 5) or a lock left behind (class 6). */
export type Damage =
  | { kind: "garble"; line: number; bytes: Buffer }
  | { kind: "nul"; at: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "duplicate"; line: number }
  | { kind: "swap"; line: number }
  | { kind: "lock"; content: "garbage" | "live-pid" | "dead-pid" | "empty" };

export const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant("garble" as const), line: fc.nat(), bytes: bytesLine }),
  fc.record({ kind: fc.constant("nul" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 600 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("swap" as const), line: fc.nat() }),
  fc.record({ kind: fc.constant("lock" as const), content: fc.constantFrom("garbage" as const, "live-pid" as const, "dead-pid" as const, "empty" as const) }),
);

/** A storage path that stays inside the server's working directory (not absolute, no ".."), so the suite writes only in its own folder. */
function contained(text: string): string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof v !== "string") return text;
  return JSON.stringify(v.replace(/\.\./g, "__").replace(/^[/\\]+/, "").replace(/^[a-z]:/i, "d_"));
}

export const requestText = (pairs: Pairs): string => pairsText(pairs);
