import { afterAll, describe, expect, it } from "vitest";
import { command } from "../../src/command";
import { Study } from "../../src/study/study";
import { runStudy } from "../../src/study/runner";
import { JournalStorage } from "../../src/storage/journal";
import { float } from "../../src/space/builders";
import { cleanup, NODE, scratch, TRIAL_JS } from "./helpers";

afterAll(cleanup);

describe("command()", () => {
  it("runs a trial per configuration and reads the structured metric", async () => {
    const dir = scratch();
    const study = await Study.open({ name: "s", space: { x: float(0, 1) }, direction: "minimize", metric: "loss", seed: 1, storage: new JournalStorage(dir) });
    const r = await runStudy(study, command([NODE, TRIAL_JS, "--x", "{x}", "--epochs", "3"]) as never, { trials: 3 });
    console.log(r, study.trials.map((t) => [t.state, t.value, t.error, t.intermediate, t.system]));
  });
});
