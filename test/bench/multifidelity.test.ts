/**
 * The multi-fidelity benchmark problems (bench/lib/multifidelity.ts) and their BLAKE2b
 * (bench/lib/blake2b.ts) against Python.
 *
 * Golden values: computed once with Python 3.11.7's hashlib and the reference script itself
 * (/tmp/mf_golden.py, run in .bench-venv with numpy 2.4.6):
 *   sys.path.insert(0, "shared/bench/multifidelity"); import mf_bench as M
 *   msg(n) = bytes((i * 7 + 3) & 255 for i in range(n))
 *   BLAKE2B16[n] = hashlib.blake2b(msg(n), digest_size=16).hexdigest()
 *   ROWS: [x, b, hashlib.blake2b(np.array(x).tobytes() + struct.pack("<ii", b, 1), digest_size=16).hexdigest(),
 *          M._z(x, b, 1), M._z(x, b, 2), M.lc_h6(x, b), M.mfh6_bad(x, b)]
 * The first x is Hartmann6's optimum, the second its second-best local minimum (props.json's
 * x_loc); the lc_h6 / mfh6_bad values at b = 1, 3, 81 agree with props.json's curves.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { blake2b } from "../../bench/lib/blake2b";
import { F_STAR, lcH6, MF_PROBLEMS, mfh6Bad, z } from "../../bench/lib/multifidelity";
import { hartmann6 } from "../../bench/lib/functions";

type Golden = [number[], number, string, number, number, number, number];

const BLAKE2B16: Record<string, string> = {"0": "cae66941d9efbd404e4d88758ea67670", "1": "71b186b851e866e71be237342976049a", "3": "09e03a807474593d5cb98909e5d502cd", "56": "72c2ebecfb97e679be6f03b1b8f45848", "127": "e00ab0ead4d729de8fbe7745d642e416", "128": "8e0cf9bb1b36fa6c42aa6490f719b575", "129": "6cefde50e4008690e61cf8225d101256", "255": "b1bce9f0dc0bec101cd5e09b7961937c", "256": "ac60b0f8b3227af67328401630cd4dfa", "300": "636641af584d2b29992856b0a1386c59"};
const ROWS: readonly Golden[] = [
  [[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573], 1, "a436409997b18c27307e86dd1f365cb1", -0.6795930145778919, -1.3664594809482284, -1.6588826621202335, -0.005368612751603052],
  [[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573], 2, "a94b081eee57a2c342374e6002983749", -0.16449853497967507, 0.5350873415206865, -2.2806555237327877, -0.8086621299122105],
  [[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573], 3, "f3fd2b6711351267046a1d938747552c", 0.6261169256498931, -0.06826429832034542, -2.5154237830821775, -1.224077017199902],
  [[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573], 9, "402691c59828cee6c9991d44a0617003", 0.4535781528171277, 0.32286139525673097, -2.9786066625915586, -1.8725879292097705],
  [[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573], 27, "d6a2d30246b356eb046376ab9664e4bb", -0.041291830905704936, 0.23004011939259086, -3.2130440002781526, -2.6067600978869683],
  [[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573], 80, "3a25bdc3d575eabef0ea5d17541b7a18", 0.6318442190151115, 0.3413542145686338, -3.321420662714842, -3.3141504319348742],
  [[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573], 81, "795c16ff4f82ce2c196e4dde78a3fc1d", 1.383750139271987, -0.20908865563121995, -3.322368011391339, -3.322368011391339],
  [[0.4047, 0.8824, 0.8461, 0.574, 0.1389, 0.0385], 1, "a201526ffde2e958ac37079e869c13f9", 1.4333663286909009, -0.12334521246529587, -1.7385434263251436, -1.151262738496167],
  [[0.4047, 0.8824, 0.8461, 0.574, 0.1389, 0.0385], 2, "8739b51612d1fc2e8992e7929b68850d", 1.7408880976210723, -0.4292375581989707, -2.4366571235588457, -1.3718564917123868],
  [[0.4047, 0.8824, 0.8461, 0.574, 0.1389, 0.0385], 3, "4ac939ab4475876f172c5a37c9534b97", -1.0840931034071903, 1.146959666271463, -2.7854956057889657, -1.3571531534201973],
  [[0.4047, 0.8824, 0.8461, 0.574, 0.1389, 0.0385], 9, "84044f931a6277ada7d5c23510b68782", -0.8805622904536337, 0.6678367783344533, -3.0825374752236945, -2.068313927454096],
  [[0.4047, 0.8824, 0.8461, 0.574, 0.1389, 0.0385], 27, "cfd5ae46dbe3ceff0f949f44502abfca", 0.01009509047729586, -0.5986107247646615, -3.167021931924421, -2.6426604404638714],
  [[0.4047, 0.8824, 0.8461, 0.574, 0.1389, 0.0385], 80, "fb5aee4c8b5d8ccc7ebc3495a1069058", -0.3798238087189713, -0.8481061393904544, -3.202988603351151, -3.1965417778368694],
  [[0.4047, 0.8824, 0.8461, 0.574, 0.1389, 0.0385], 81, "0ae03a6652c1e4c8d8f8978f9efe47b8", -0.13112042962568488, 0.6150881024775046, -3.2031617427596886, -3.2031617427596886],
  [[0.0, 1.0, 0.5, 0.25, 0.125, 0.9999], 1, "7073cc00aa6a86d455553d0be04431d8", 0.3413517652479319, 0.4699648763394098, 1.9578840738462937, 0.18647735313792815],
  [[0.0, 1.0, 0.5, 0.25, 0.125, 0.9999], 2, "50acbedb0f4457757f54ebe267b8af44", -0.14335420749163078, 0.6559716203233672, 1.4221015557743788, 0.21039564416006454],
  [[0.0, 1.0, 0.5, 0.25, 0.125, 0.9999], 3, "65945676d2feb30ef038d6ea99a9732c", 1.1034024650694743, -0.7815416321814357, 1.2154834304588478, 0.2185351630020282],
  [[0.0, 1.0, 0.5, 0.25, 0.125, 0.9999], 9, "1efaa55765f0e2b55f51ca577f9ba658", -0.47026433184394106, 1.2528512743304316, 0.6109132260957238, 0.22022419895911707],
  [[0.0, 1.0, 0.5, 0.25, 0.125, 0.9999], 27, "2d8893f4f55576838efc7ab913a1ef0a", 1.1131802510126412, 0.24675241807037607, 0.23997907923022546, -0.020089543354498415],
  [[0.0, 1.0, 0.5, 0.25, 0.125, 0.9999], 80, "9c3ed738f4bb3d2ad700e479dd7deb43", -0.1823516564579853, -0.16321488208315893, -0.056481158554339314, -0.0588359204831643],
  [[0.0, 1.0, 0.5, 0.25, 0.125, 0.9999], 81, "224f81be0672783f270d746d0c9f4ff8", 1.6404403226604467, -0.06508991285747172, -0.05918351441610277, -0.05918351441610277],
  [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 1, "1b6f5e64c032535c2dc361d3f270c673", -1.3643834789100249, -0.8361948344637984, 0.3748702499159692, 0.07648674934967847],
  [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 2, "052d65d6626b20877b12f490c66c3c2f", 0.45211261518409257, 1.0998749700989285, -0.12690752897382862, -0.06865743795077406],
  [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 3, "82d3e417e281cb6417f323d51aaa4d6b", -1.1929505632468365, 0.9999280331532077, -0.45607356192463666, -0.24524262241555078],
  [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 9, "4ecaeea6827100d0ad7067dc25659ef8", 0.6338623840176626, 1.408483722289733, -0.9053245956081384, -0.5507541358292387],
  [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 27, "96921b1140f7b80c0cee0cff35b4da2d", 1.0555199946217448, -1.382222895467559, -1.2121925284695305, -0.9814584386661014],
  [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 80, "ba00b1136837de7ed994dd36b6a0368a", -1.1478958331005764, -0.1333663426779562, -1.4055001793004858, -1.403511931162083],
  [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 81, "fddaca1cf2a75c416e10466bdadeacd6", 0.8728836083996421, 0.08083477018242002, -1.4069105761385297, -1.4069105761385297],
];

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const msg = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 255);
const ascii = (s: string) => new TextEncoder().encode(s);
/** The ported functions may differ from numpy/glibc in the last ulp of exp/log/pow/cos. */
const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(b)));

describe("blake2b", () => {
  it("matches RFC 7693 appendix A (BLAKE2b-512 of 'abc')", () => {
    expect(hex(blake2b(ascii("abc"), 64))).toBe(
      "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1" + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
    );
  });

  it("matches Python's hashlib.blake2b(digest_size=16 / 32)", () => {
    expect(hex(blake2b(ascii("abc"), 16))).toBe("cf4ab791c62b8d2b2109c90275287816");
    expect(hex(blake2b(ascii("abc"), 32))).toBe("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
    for (const [n, digest] of Object.entries(BLAKE2B16)) expect(hex(blake2b(msg(Number(n)), 16)), `length ${n}`).toBe(digest);
  });

  it("matches node's blake2b512 on every length from 0 to 400 (block boundaries included)", () => {
    for (let n = 0; n <= 400; n++) {
      const m = msg(n);
      expect(hex(blake2b(m, 64)), `length ${n}`).toBe(createHash("blake2b512").update(m).digest("hex"));
    }
  });

  it("rejects digest lengths outside 1..64", () => {
    expect(() => blake2b(msg(3), 0)).toThrow(/1\.\.64/);
    expect(() => blake2b(msg(3), 65)).toThrow(/1\.\.64/);
  });
});

describe("mf_bench.py's problems", () => {
  it.each(ROWS.map((r, i) => [i, r] as const))("row %i: the hash input, z, lc_h6 and mfh6_bad agree with Python", (_i, [x, b, digest, z1, z2, lc, mf]) => {
    const bytes = new Uint8Array(56);
    const dv = new DataView(bytes.buffer);
    x.forEach((v, i) => dv.setFloat64(8 * i, v, true));
    dv.setInt32(48, b, true);
    dv.setInt32(52, 1, true);
    expect(hex(blake2b(bytes, 16))).toBe(digest);
    close(z(x, b, 1), z1);
    close(z(x, b, 2), z2);
    close(lcH6(x, b), lc);
    close(mfh6Bad(x, b), mf);
  });

  it("both problems equal Hartmann6 at the full budget, with the optimum at f*", () => {
    const xStar = ROWS[0]![0];
    for (const p of Object.values(MF_PROBLEMS)) {
      for (const [x] of ROWS) expect(p.f(x, 81)).toBe(hartmann6(x));
      expect(p.final(xStar)).toBeCloseTo(F_STAR, 4);
    }
  });

  it("is deterministic and depends on the salt", () => {
    const x = [0.3, 0.1, 0.4, 0.1, 0.5, 0.9];
    expect(z(x, 5, 1)).toBe(z(Float64Array.from(x), 5, 1));
    expect(z(x, 5, 1)).not.toBe(z(x, 5, 2));
    expect(z(x, 5, 1)).not.toBe(z(x, 6, 1));
  });
});
