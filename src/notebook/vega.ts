import type { VegaLiteSpec } from "../views/vegalite";

/**
 * The one adapter for vega and vega-lite on the kernel side. Both are
 * ESM-only (vega 6 uses top-level await), so they can't be `require`d from
 * this CommonJS build: they are loaded with a real `import()`, which
 * TypeScript would rewrite to `require` if written plainly, hence the
 * Function wrapper. The import resolves from this file, so it finds the
 * vega next to tunelab whatever the notebook's folder. Loaded once, on the
 * first chart.
 */
interface VegaModules {
  readonly vega: {
    parse(spec: unknown): unknown;
    View: new (runtime: unknown, options: { renderer: "none" }) => { toSVG(scale?: number): Promise<string>; finalize(): void };
  };
  readonly vegaLite: { compile(spec: unknown): { spec: unknown } };
}

const nativeImport = new Function("s", "return import(s)") as (specifier: string) => Promise<unknown>;

let loading: Promise<VegaModules> | undefined;

function load(): Promise<VegaModules> {
  loading ??= Promise.all([importModule("vega"), importModule("vega-lite")]).then(
    ([vega, vegaLite]) => ({ vega: vega as VegaModules["vega"], vegaLite: vegaLite as VegaModules["vegaLite"] }),
    (e: unknown) => {
      loading = undefined;
      throw e;
    },
  );
  return loading;
}

async function importModule(name: string): Promise<unknown> {
  try {
    return await nativeImport(name);
  } catch (e) {
    // Hosts that evaluate this file as a module in a vm context (test runners)
    // have no native import() there; their own import() works instead.
    if ((e as { code?: string }).code !== "ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING") throw e;
    return import(name);
  }
}

/**
 * The spec without what a picture can't use: tooltips (nobody hovers an
 * `<img>`) and ARIA attributes (an `<img>` is read by its alt text). Both cost
 * time per mark, and ARIA labels roughly double the SVG's size.
 */
export function forStaticSvg(spec: VegaLiteSpec): VegaLiteSpec {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (!node || typeof node !== "object") return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === "data") out[k] = v; // rows stay as they are (and are not copied)
      else if (k === "encoding" && v && typeof v === "object") {
        const { tooltip: _tooltip, ...rest } = v as Record<string, unknown>;
        out[k] = strip(rest);
      } else out[k] = strip(v);
    }
    return out;
  };
  const stripped = strip(spec) as Record<string, unknown>;
  return { ...stripped, $schema: spec.$schema, config: { ...(stripped["config"] as object | undefined), aria: false } };
}

/** Loads vega and vega-lite now (a live display does it up front so its first update isn't charged for it). */
export async function preloadVega(): Promise<void> {
  await load();
}

/**
 * Renders a vega-lite spec to an SVG document in Node, without a canvas.
 *
 * @example const svg = await renderSvg(parallelSpec(parallelData(payload)));
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const { vega, vegaLite } = await load();
  const compiled = vegaLite.compile(forStaticSvg(spec)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
