// "Open in tab" on a cell panel: offered only for studies the study browser can find (a journal
// on disk; older outputs don't say, so it is offered), and its warning when the study isn't in
// the watched folders fits JupyterLab's notification (which cuts messages past 140 characters).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canOpenInTab, notFoundMessage, NOTIFICATION_MAX } from "../../extension/src/browser/open-in-tab";

describe("Open in tab", () => {
  it("is offered for studies in a journal, and for outputs that don't say where theirs is", () => {
    expect(canOpenInTab("journal")).toBe(true);
    expect(canOpenInTab(undefined)).toBe(true);
    expect(canOpenInTab("memory")).toBe(false);
    expect(canOpenInTab("other")).toBe(false);
  });

  it("warns in one message that is never cut off, naming the study, the folders and where to add one", () => {
    expect(notFoundMessage("mlp", [".tunelab"])).toBe('No study "mlp" in the watched folders (.tunelab). Add its folder under Settings, tunelab study browser.');
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: "grapheme" }), fc.array(fc.string({ maxLength: 80 }), { maxLength: 6 }), (name, folders) => {
        const m = notFoundMessage(name, folders);
        const shown = name.length <= 20 ? name : [...name].slice(0, 5).join("");
        return m.length <= NOTIFICATION_MAX && m.includes(shown) && m.endsWith("tunelab study browser.") && !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(m);
      }),
      { numRuns: 300 },
    );
  });
});
