/**
 * "Export CSV" and "Export JSON" buttons: the rows a view shows (the trial table's filtered,
 * sorted rows; the compare tab's table) written by the shared writer (src/views/analysis/export.ts,
 * the same as `study.toCSV()` and `tunelab export`) and downloaded, built in the page (a Blob: no
 * server round trip). The file name is made from the study's name with anything but letters,
 * digits, dots, dashes and underscores replaced.
 *
 *   const bar = new ExportButtons(() => ({ name: "mlp", data: exportData(payload, order) }));
 *   toolbar.append(bar.node);
 */
import { exportText, type ExportData } from "../../src/views/analysis/export";
import { el } from "./dom";

export interface ExportSource {
  /** What the file is named after (the study, or "compare"). */
  readonly name: string;
  readonly data: ExportData;
}

export class ExportButtons {
  readonly node = el("div", "tl-export");

  constructor(source: () => ExportSource | null) {
    for (const format of ["csv", "json"] as const) {
      const b = el("button", `tl-button tl-export-${format}`, `Export ${format.toUpperCase()}`);
      b.type = "button";
      b.title = format === "csv" ? "Download the rows shown, in this order, as CSV (spreadsheet-safe)" : "Download the rows shown, in this order, as JSON";
      b.addEventListener("click", () => {
        const s = source();
        if (s) download(`${fileStem(s.name)}-trials.${format}`, exportText(s.data, format), format === "csv" ? "text/csv" : "application/json");
      });
      this.node.append(b);
    }
  }
}

/** A name safe as a file name: letters, digits, . - _ kept, the rest "_", at most 80 characters. */
export function fileStem(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "").slice(0, 80);
  return s === "" ? "study" : s;
}

function download(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // After the browser has taken the file.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
