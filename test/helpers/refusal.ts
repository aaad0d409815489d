import { expect } from "vitest";
import { TunelabError } from "../../src/util/errors";

/** Awaits `p`, which must reject with a TunelabError; its code and field (tests assert on codes, not text). */
export async function refusal(p: Promise<unknown>): Promise<{ code: string; field?: string }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TunelabError);
    const t = e as TunelabError;
    return t.field === undefined ? { code: t.code } : { code: t.code, field: t.field };
  }
  throw new Error("expected the call to be refused");
}
