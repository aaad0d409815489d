// A stand-in for a running tslab kernel: a module registered in Node's module
// cache under .../tslab/dist/jupyter.js whose lastWriteDisplayData records the
// messages, exactly where src/notebook/tslab.ts looks for the live one.
import { createRequire } from "node:module";
import * as path from "node:path";
import type { DisplayContent } from "../../src/notebook/tslab";

export interface SentMessage {
  readonly type: "display_data" | "update_display_data";
  readonly content: DisplayContent;
}

const cache = createRequire(__filename).cache;

export interface FakeKernel {
  readonly sent: SentMessage[];
  /** Unregisters the fake module. */
  remove(): void;
}

/** Registers a fake tslab at `dir` (writer set unless `dead`). */
export function installFakeKernel(dir = "/fake/project", dead = false): FakeKernel {
  const file = path.join(dir, "node_modules", "tslab", "dist", "jupyter.js");
  const sent: SentMessage[] = [];
  const lastWriteDisplayData = dead
    ? null
    : (content: DisplayContent, update: boolean) => {
        // The real writer serialises the content into a signed ZeroMQ frame.
        JSON.stringify(content);
        sent.push({ type: update ? "update_display_data" : "display_data", content });
      };
  cache[file] = { id: file, filename: file, loaded: true, exports: { lastWriteDisplayData } } as never;
  return { sent, remove: () => void delete cache[file] };
}
