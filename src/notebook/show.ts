import type { Study } from "../study/study";
import type { ViewName } from "../views/specs";
import { studyDisplay, type StudyBundle } from "./bundle";
import { studyPayload } from "./payload";
import { kernelWriter, newDisplayId } from "./tslab";

/**
 * Displays a study's views (all, or one) as one `display_data` message in a
 * tslab kernel and resolves to undefined; outside a kernel sends nothing and
 * resolves to the bundle it would have sent.
 *
 * @example await showStudy(study, "parallel");
 */
export async function showStudy(study: Study, view?: ViewName, running = false): Promise<StudyBundle | undefined> {
  const payload = { ...studyPayload(study, running), ...(view !== undefined ? { view } : {}) };
  const display = await studyDisplay(payload);
  const write = kernelWriter();
  if (!write) return display.data;
  write({ ...display, transient: { display_id: newDisplayId() } }, false);
  return undefined;
}
