import * as os from "os";
import type { FrozenTrial } from "../model/trial";
import { failedOutcome, InfrastructureFailure } from "../study/retry";
import type { Study } from "../study/study";
import { isPlainObject, type JsonObject } from "../util/json";
import { currentBoot, groupAlive, isAlive, liveGroups, ownIdentity, PROCESS_KEY, stopGroup, type ProcessRecord } from "./process";

/**
 * Cleans up after a tunelab process that died while its command trials ran (kill -9, a
 * crashed kernel, a power cut): run when a study with a command objective starts running.
 *
 * A running trial whose `process` record names this machine and an owner that is no longer
 * alive (pid and start time) is an orphan: its process group, if still there and still the
 * same processes (the leader's start time matches, or only members of the group are left),
 * is stopped (SIGTERM, then SIGKILL after the grace period), and the trial is failed as an
 * infrastructure failure ("orphaned"), so it is retried when the study asks for retries and
 * never counted twice. Trials of a live owner (another tunelab process on this machine) are
 * left to it; trials of other machines, or without a process record (a function objective,
 * or a crash before the process started), are left to the study's heartbeats.
 *
 * Resolves to the numbers of the trials it failed.
 */
export async function recoverOrphans(study: Study, graceMs: number): Promise<number[]> {
  await study.refresh();
  const host = os.hostname();
  const boot = currentBoot();
  const me = ownIdentity();
  const mine = new Set(liveGroups());
  const orphans: { trial: FrozenTrial; note: string }[] = [];
  const stops: Promise<unknown>[] = [];
  for (const t of study.snapshot.trials) {
    if (t.state !== "running") continue;
    const rec = processRecordOf(t);
    if (!rec || rec.host !== host) continue;
    const ownerIsMe = rec.owner.pid === me.pid && rec.owner.start === me.start;
    if (rec.boot === boot) {
      if (ownerIsMe ? mine.has(rec.pid) : isAlive(rec.owner)) continue;
      const leader = isAlive({ pid: rec.pid, start: rec.start });
      // Without a start time (no /proc) a live pid may be someone else's: leave it.
      if (rec.start !== "" && (leader || (!procHas(rec.pid) && groupAlive(rec.pid)))) {
        stops.push(stopGroup(rec.pid, graceMs));
        orphans.push({ trial: t, note: `its process group ${rec.pid} was still running and has been stopped` });
        continue;
      }
    }
    orphans.push({ trial: t, note: rec.boot === boot ? "its processes had ended" : "the machine has restarted since" });
  }
  await Promise.all(stops);
  for (const { trial, note } of orphans) {
    const rec = processRecordOf(trial)!;
    const origin = isPlainObject(trial.system[PROCESS_KEY]) ? ((trial.system[PROCESS_KEY] as JsonObject)["origin"] as JsonObject | undefined) : undefined;
    const failure = new InfrastructureFailure(`orphaned: the tunelab process ${rec.owner.pid} that ran this trial ended while it ran; ${note} when the study was resumed`, "orphaned");
    try {
      await study.tell(trial.number, failedOutcome(origin ? { ...trial, system: origin } : trial, failure, study.retries));
    } catch {
      // Another process resuming the same study recorded it first.
    }
  }
  return orphans.map((o) => o.trial.number);
}

/** Whether a process with this pid exists at all (any start time). */
function procHas(pid: number): boolean {
  return isAlive({ pid, start: "" });
}

function processRecordOf(t: FrozenTrial): ProcessRecord | undefined {
  const r = t.system[PROCESS_KEY];
  if (!isPlainObject(r) || !isPlainObject(r["owner"])) return undefined;
  const o = r["owner"];
  if (typeof r["pid"] !== "number" || typeof r["start"] !== "string" || typeof r["host"] !== "string" || typeof r["boot"] !== "string") return undefined;
  if (typeof o["pid"] !== "number" || typeof o["start"] !== "string") return undefined;
  return r as unknown as ProcessRecord;
}
