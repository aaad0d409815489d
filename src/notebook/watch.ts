import type { Study } from "../study/study";
import { stoppedByRun } from "../study/reached";
import { warn } from "../study/events";
import { errorText } from "../util/errors";
import { Msg } from "../util/messages";
import { LiveDisplay, type LiveOptions } from "./live";
import { kernelWriter } from "./tslab";

/** What `watch()` follows and for how long. */
export interface WatchOptions extends LiveOptions {
  /**
   * Stop following once this many trials have finished (those `limits.trials` counts: not the
   * ones stopped by an interrupt or a time limit) and none is running: the workers' limit.
   * Default: follow until the returned function is called.
   */
  readonly trials?: number;
}

/** Stops following (the panel gets its final update); `done` resolves once it has stopped, by this call or by `trials`. */
export interface Watching {
  (): Promise<void>;
  readonly done: Promise<void>;
}

/**
 * Follows a study that other processes write (workers on other machines, `tunelab run` in a
 * cluster): the storage says when they wrote (Storage.watch: LISTEN/NOTIFY on PostgreSQL, the
 * journal file growing), the study is then read again (at most once per `minIntervalMs`), and
 * in a tslab kernel the live panel is updated in place. Nothing is polled here: while nobody
 * writes, nothing runs. A read that fails (the database away) is reported once and the next
 * notification reads again. Outside a kernel it only keeps `study` up to date (and holds a
 * script's process until it stops).
 *
 * @example const stop = await watchStudy(study, { trials: 200 }); await stop.done;
 */
export async function watchStudy(study: Study, options: WatchOptions = {}): Promise<Watching> {
  const target = options.trials;
  if (target !== undefined && !(typeof target === "number" && Number.isSafeInteger(target) && target >= 1)) {
    throw Msg.badOption("watch.trials", target, "an integer >= 1 (stop following once that many trials have finished)");
  }
  const minInterval = options.minIntervalMs ?? 500;
  await study.refresh();
  const write = kernelWriter();
  const live = write ? await LiveDisplay.start(study, write, options) : undefined;

  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let reading: Promise<void> | undefined;
  let again = false;
  let lastRead = performance.now();
  let failed = false;
  let seen = signature(study);
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  // Referenced while following, so that a script awaiting `done` is not ended for lack of work
  // (the journal's file watch does not hold the process). It never fires.
  const hold = setInterval(noop, 2 ** 31 - 1);

  const complete = (): boolean => {
    if (target === undefined) return false;
    let finished = 0;
    for (const t of study.snapshot.trials) {
      if (t.state === "running") return false;
      if (!stoppedByRun(t)) finished++;
    }
    return finished >= target;
  };

  const read = (): void => {
    timer = undefined;
    reading = study.refresh().then(
      () => {
        failed = false;
        const now = signature(study);
        if (now !== seen) live?.changed();
        seen = now;
        if (complete()) void stop();
      },
      (e: unknown) => {
        if (!failed) warn(`watching study "${study.name}": reading ${study.storage.where(study.name)} failed (${errorText(e)}); the panel shows what was read before and updates when the storage is back`);
        failed = true;
      },
    );
    void reading.finally(() => {
      lastRead = performance.now();
      reading = undefined;
      if (again) {
        again = false;
        changed();
      }
    });
  };

  const changed = (): void => {
    if (stopped) return;
    if (reading !== undefined) again = true;
    if (timer !== undefined || reading !== undefined) return;
    timer = setTimeout(read, Math.max(0, lastRead + minInterval - performance.now()));
  };

  const stop = async (): Promise<void> => {
    if (stopped) return done;
    stopped = true;
    off();
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    clearInterval(hold);
    await reading;
    await study.refresh().catch(noop);
    await live?.finish();
    ended();
  };

  const off = study.storage.watch(study.name, changed);
  // Written between the first read and the watch starting: read once more.
  changed();
  if (complete()) await stop();
  return Object.assign(() => stop(), { done });
}

/** What the panel shows changed when this does (trials started, finished, reported, their records, the user's notes and attributes). */
function signature(study: Study): string {
  let finished = 0;
  let reports = 0;
  for (const t of study.snapshot.trials) {
    if (t.state !== "running") finished++;
    reports += t.intermediate.length;
  }
  return `${study.snapshot.trials.length}/${finished}/${reports}/${study.snapshot.sysOps ?? ""}/${study.snapshot.applied ?? ""}`;
}

function noop(): void {}
