/**
 * Reading what a chart's canvas shows, for the browser tests: pixels at given points, the most
 * common opaque colours, how many pixels have a colour. Computed in the page (a canvas's pixels
 * are megabytes); points are in the canvas' CSS pixels.
 */
import type { Locator } from "playwright-core";

/** RGBA at each point (the most opaque within 1 px vertically). */
export async function probe(canvas: Locator, points: readonly (readonly [number, number])[]): Promise<number[][]> {
  return canvas.evaluate((c, pts) => {
    const el = c as HTMLCanvasElement;
    const scale = el.width / el.clientWidth;
    const d = el.getContext("2d")!.getImageData(0, 0, el.width, el.height).data;
    return pts.map(([x, y]) => {
      let best = [0, 0, 0, 0];
      for (let dy = -1; dy <= 1; dy++) {
        const i = (Math.round((y + dy) * scale) * el.width + Math.round(x * scale)) * 4;
        if (d[i + 3]! > best[3]!) best = [d[i]!, d[i + 1]!, d[i + 2]!, d[i + 3]!];
      }
      return best;
    });
  }, points);
}

/** The `n` most common colours ("r,g,b") among pixels at least `minAlpha` opaque. */
export async function commonColours(canvas: Locator, n: number, minAlpha = 190): Promise<string[]> {
  return canvas.evaluate(
    (c, [k, alpha]) => {
      const el = c as HTMLCanvasElement;
      const d = el.getContext("2d")!.getImageData(0, 0, el.width, el.height).data;
      const freq = new Map<string, number>();
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3]! < alpha) continue;
        const key = `${d[i]},${d[i + 1]},${d[i + 2]}`;
        freq.set(key, (freq.get(key) ?? 0) + 1);
      }
      return [...freq].sort((a, b) => b[1] - a[1]).slice(0, k).map(([key]) => key);
    },
    [n, minAlpha] as const,
  );
}

/** How many opaque pixels have colour `want` (within 6 in sum). */
export async function pixelsOf(canvas: Locator, want: readonly [number, number, number]): Promise<number> {
  return canvas.evaluate((c, rgb) => {
    const el = c as HTMLCanvasElement;
    const d = el.getContext("2d")!.getImageData(0, 0, el.width, el.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 250 && Math.abs(d[i]! - rgb[0]) + Math.abs(d[i + 1]! - rgb[1]) + Math.abs(d[i + 2]! - rgb[2]) <= 6) n++;
    return n;
  }, want);
}

/** "rgb(r, g, b)" or "#rrggbb" as numbers. */
export function rgb(c: string): [number, number, number] {
  const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(c);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const v = parseInt(c.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** Whether colour "r,g,b" is within `tol` per channel of one of `palette`. */
export function inPalette(key: string, palette: readonly string[], tol = 3): boolean {
  const c = key.split(",").map(Number);
  return palette.some((p) => rgb(p).every((v, i) => Math.abs(v - c[i]!) <= tol));
}
