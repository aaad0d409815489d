import type { Study } from "../study/study";
import type { ViewName } from "../views/specs";
import { studyBundle, type StudyBundle } from "./bundle";
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
  const bundle = await studyBundle(payload);
  const write = kernelWriter();
  if (!write) return bundle;
  write({ data: bundle, metadata: {}, transient: { display_id: newDisplayId() } }, false);
  return undefined;
}
