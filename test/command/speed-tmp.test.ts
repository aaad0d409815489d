import { it } from "vitest";
import { LineSplitter } from "../../src/command/lines";
import { compileMetrics, MetricReader } from "../../src/command/metrics";
it("speed", () => {
  const lines: string[] = [];
  let len = 0;
  for (let k = 1; len < 1 << 20; k++) {
    const a = `epoch ${k}: train_loss=${(1 / k).toFixed(6)} val_loss=${(1.1 / k).toFixed(6)}`;
    const b = `tunelab: {"step": ${k}, "val_loss": ${(1.1 / k).toFixed(6)}}`;
    const c = `[2026-12-01 10:00:00] INFO data loader: batch ${k * 32} of 60000, lr 0.00100`;
    lines.push(a, b, c); len += a.length + b.length + c.length + 3;
  }
  const mib = Buffer.from(lines.join("\n") + "\n");
  const data = Buffer.concat(Array.from({ length: 10 }, () => mib));
  for (const [name, defs] of [["regex2", [{ name: "val_loss", regex: "val_loss=([-+0-9.eE]+)" }, { name: "train_loss", regex: "train_loss=([-+0-9.eE]+)" }]], ["none", []]] as const) {
    let reports = 0;
    const reader = new MetricReader("val_loss", compileMetrics(defs), () => reports++);
    const sp = new LineSplitter(65536, (l) => reader.line(l), () => {});
    const t = performance.now();
    for (let i = 0; i < data.length; i += 65536) sp.push(data.subarray(i, i + 65536));
    console.log(name, "MB/s", (10.5 / ((performance.now() - t) / 1000)).toFixed(0), reports);
  }
});
