import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anyLine, mutate, mutation, validSequence } from "./fuzz-arbitraries";
import { Ledger, PROPERTY_TIMEOUT, RUN_MARK, exchange, expectCleanExit, expectKept, lines, propertyOnServers, trialsRequest } from "./fuzz-harness";
import { Servers, builtMain, isExit, type Reply, type ServeChild } from "./serve-child";

// Property-based requests to real `tunelab serve` processes (issue 11):
// whatever a line holds, serve answers it, in order, once, and stays alive;
// no error is "internal" and each names a field; nothing acknowledged is
// lost, also for another process reading the journal; the same seed and
// requests give the same bytes. One long-lived server per role and property.

let main: string;
let tmp: string;

beforeAll(() => {
  main = builtMain();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tunelab-fuzz-"));
}, 120_000);

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function folder(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

const ledgers = new WeakMap<ServeChild, Ledger>();

describe("tunelab serve under hostile input (fuzz)", () => {
  it("a request whose id is nested 5000 levels deep is answered and the process keeps its studies (it used to die writing the reply)", async () => {
    const servers = new Servers(main, [folder("deep-id")]);
    try {
      await servers.run(async ([s]) => {
        const deep = "[".repeat(5000) + "]".repeat(5000);
        const sent = [
          '{"op":"create","id":"c","study":"s","space":{"x":{"type":"int","low":0,"high":9}},"direction":"minimize","strategy":"random","seed":1}',
          '{"op":"ask","study":"s","id":"a"}',
          `{"op":"exit","id":${deep}}`,
          '{"op":"trials","study":"s","id":"t"}',
        ].map((l) => Buffer.from(l));
        const replies = (await exchange(s!, sent)).map((r) => r.reply);
        expect(replies.map((r) => [r["id"], r["ok"], r["code"]])).toEqual([
          ["c", true, undefined],
          ["a", true, undefined],
          [null, false, "request.too_deep"],
          ["t", true, undefined],
        ]);
        expect(replies[3]!["trials"]).toHaveLength(1);
      });
      await expectCleanExit(servers);
    } finally {
      await servers.kill();
    }
  });

  it(
    "answers every line (random JSON, request-shaped objects, bytes, invalid UTF-8, cut JSON, long lines) once, in order, never with an internal error, and stays alive",
    async () => {
      await propertyOnServers(main, [folder("lines")], fc.array(anyLine, { minLength: 1, maxLength: 8 }), 40, async ([s], ls) => {
        await exchange(s!, ls.filter((l) => !isExit(l)));
      });
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "mutated request sequences (fields dropped, duplicated, retyped, swapped; memory and journal): every reply is clean and nothing acknowledged is lost, also for another process reading the journal",
    async () => {
      const cwd = folder("mutations");
      // The writer serves the sequences; the reader opens each journal study afresh from disk.
      await propertyOnServers(main, [cwd, cwd], fc.tuple(validSequence(RUN_MARK), fc.array(mutation, { maxLength: 6 })), 40, async ([writer, reader], [seq, mutations]) => {
        // One ledger per server: a mutated name may be that of a study an earlier run created.
        const ledger = ledgers.get(writer!) ?? ledgers.set(writer!, new Ledger(cwd)).get(writer!)!;
        const touched = new Set<string>();
        for (const { line, reply } of await exchange(writer!, lines(mutate(seq.requests, mutations)))) {
          const key = ledger.record(line, reply);
          if (key !== undefined) touched.add(key);
        }
        for (const key of touched) {
          const study = ledger.studies.get(key)!;
          let listed: unknown;
          if (ledger.keyOf(study.name) === key) {
            const [{ reply }] = await exchange(writer!, [trialsRequest(study.name)]);
            expect(reply["ok"], JSON.stringify(reply)).toBe(true);
            listed = reply["trials"];
            expectKept(ledger.factsOf(key), listed as Reply[], "the server that served them");
          }
          if (!study.journal) continue;
          const [created, again] = await exchange(reader!, [study.create, trialsRequest(study.name)]);
          expect(created!.reply["ok"], JSON.stringify(created!.reply)).toBe(true);
          expect(again!.reply["ok"], JSON.stringify(again!.reply)).toBe(true);
          expectKept(ledger.factsOf(key), again!.reply["trials"] as Reply[], "another process reading the journal");
          if (listed !== undefined) expect(again!.reply["trials"]).toEqual(listed);
        }
      });
    },
    PROPERTY_TIMEOUT,
  );

  it(
    "valid sequences with a seed give byte-identical replies in two servers (memory and journal)",
    async () => {
      await propertyOnServers(main, [folder("twin-a"), folder("twin-b")], validSequence(RUN_MARK), 25, async ([a, b], seq) => {
        const sent = lines(seq.requests);
        const [ra, rb] = await Promise.all([exchange(a!, sent), exchange(b!, sent)]);
        expect(ra.map((x) => x.text)).toEqual(rb.map((x) => x.text));
      });
    },
    PROPERTY_TIMEOUT,
  );
});
