import { afterEach, describe, expect, it } from "vitest";
import { inKernel, kernelWriter, newDisplayId } from "../../src/notebook/tslab";
import { installFakeKernel, type FakeKernel } from "./fake-kernel";

describe("kernelWriter", () => {
  const kernels: FakeKernel[] = [];
  afterEach(() => kernels.splice(0).forEach((k) => k.remove()));

  it("finds nothing outside a kernel", () => {
    expect(kernelWriter()).toBeUndefined();
    expect(inKernel()).toBe(false);
  });

  it("picks the loaded tslab whose writer is set, not a dead nested copy", () => {
    kernels.push(installFakeKernel("/p/node_modules/some-lib", true));
    expect(kernelWriter()).toBeUndefined();
    const live = installFakeKernel("/p");
    kernels.push(live);
    const write = kernelWriter()!;
    write({ data: { "text/plain": "hi" }, metadata: {}, transient: { display_id: "d" } }, true);
    expect(live.sent).toEqual([{ type: "update_display_data", content: { data: { "text/plain": "hi" }, metadata: {}, transient: { display_id: "d" } } }]);
    expect(inKernel()).toBe(true);
  });
});

describe("newDisplayId", () => {
  it("never repeats within a process", () => {
    const ids = new Set(Array.from({ length: 100 }, () => newDisplayId()));
    expect(ids.size).toBe(100);
  });
});
