import type { SpaceDef } from "../space/types";
import { isPlainObject } from "../util/json";
import { Msg } from "../util/messages";
import { tune, type StorageChoice, type Tuner } from "./tuner";

/** Where `open(name, ...)` looks for the study. */
export interface OpenOptions {
  /** A folder, "memory", a postgresql:// URL, `{ dir, durable }` or a Storage (default: TUNELAB_STORAGE, else ".tunelab"). */
  readonly storage?: StorageChoice;
}

/**
 * Re-attaches to a stored study, from a fresh kernel or another machine: resolves to its builder,
 * opened, with the declaration it was created with (space, direction, metric, strategy, seed).
 * Its views (`show()`), `best`, `trials` and `dataframe()` are there at once; the objective
 * is not stored (a function can't be), so `.objective(fn).run()` continues the study (limits
 * with `.limits({...})`). A study run by `tunelab run FILE.json` is continued by running the
 * file again, or here with `.objective(command([...]))`. An unknown name is refused
 * (`study.not_found`), listing the studies the storage holds.
 *
 * @example
 * const study = await open("mlp");                    // or tune("mlp").open()
 * study.best; await study.show();
 * await study.objective(train).limits({ trials: 200 }).run();
 */
export async function open(name: string, options: OpenOptions = {}): Promise<Tuner<SpaceDef>> {
  if (!isPlainObject(options)) throw Msg.badOption("open options", options, "an object such as { storage: \".tunelab\" }");
  const t = tune(name) as unknown as Tuner<SpaceDef>;
  const storage = (options as OpenOptions).storage;
  if (storage !== undefined) t.storage(storage);
  await t.open();
  return t;
}
