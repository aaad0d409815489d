import { payloadBoundaryWarnings } from "../views/analysis/boundary";
import { formatNumber } from "../views/format";
import type { StudyPayload } from "../views/payload";
import { summaryText } from "../views/summary";
import { tableData } from "../views/table";

/** The text/plain fallback: the summary, the best few trials, and a line per range warning. */
export function studyText(p: StudyPayload): string {
  const { rows } = tableData(p);
  const dir = p.study.direction;
  const ranked = rows.filter((r) => r.state === "complete" && r.value !== null).sort((a, b) => (dir === "minimize" ? a.value! - b.value! : b.value! - a.value!) || a.number - b.number);
  const top = ranked.slice(0, 3).map((r) => `  #${r.number} ${formatNumber(r.value)}`);
  const warnings = payloadBoundaryWarnings(p).map((w) => `warning: ${w.message}`);
  return [summaryText(p), ...(top.length > 1 ? [`top ${top.length}:`, ...top] : []), ...warnings].join("\n");
}
