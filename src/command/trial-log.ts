import * as fs from "fs";
import * as path from "path";
import type { Study } from "../study/study";
import { isPlainObject } from "../util/json";
import { Msg } from "../util/messages";
import { COMMAND_KEY, storageDir, trialsFolder } from "./command";

/**
 * The log of trial `n` of a study run by command(): the file its record names (relative to
 * the study's storage folder), else where command() puts it. Throws for an unknown trial or
 * one whose command never started (it has no log).
 */
export function readTrialLog(study: Study, n: number): string {
  const t = study.snapshot.trials[n];
  if (!t) throw Msg.trialUnknown(n);
  const rec = t.system[COMMAND_KEY];
  const named = isPlainObject(rec) && typeof rec["log"] === "string" ? rec["log"] : undefined;
  const base = storageDir(study);
  const file = named !== undefined ? (path.isAbsolute(named) || !base ? named : path.join(base, named)) : path.join(trialsFolder(study, {}), String(n), "output.log");
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    throw Msg.noTrialLog(n, file);
  }
}
