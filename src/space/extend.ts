import { canonicalJson, isPlainObject } from "../util/json";
import { Msg } from "../util/messages";
import { SearchSpace, type ParamSpec } from "./space";
import type { ParamDef, SpaceDef } from "./types";

/**
 * Ranges that grow mid-study (issue 17 part 3): `current` widened by `patch`, a map from
 * parameter name to its new definition (what `float`, `int`, `choice` build). Every trial of
 * the old space stays a valid configuration of the new one, so a widening may only
 * - lower `low` and raise `high` of a float or int, keeping its type, scale and step; a stepped
 *   range's new low must be the old low minus whole steps, so the old grid values stay grid
 *   values (the grid strategy then never repeats one);
 * - add choices to a categorical parameter (every old choice kept, in any order).
 * Conditions (`when`) stay as they are (leave `when` out of the patch, or give the same one);
 * parameters not named keep their definition. Anything else is refused with an `extend.*`
 * catalog error naming `field.<parameter>`. Pure: the study and every storage's replica check a
 * recorded extension with it.
 *
 * @example
 * const wider = widenSpace(space, { lr: float(1e-6, 1, { scale: "log" }) });
 */
export function widenSpace(current: SearchSpace, patch: unknown, field = "extendSpace"): SearchSpace {
  if (!isPlainObject(patch)) throw Msg.notAnObject(field, patch);
  const names = Object.keys(patch);
  if (names.length === 0) throw Msg.extendEmpty(field);
  const next: Record<string, ParamDef> = current.toJSON() as Record<string, ParamDef>;
  for (const name of names) {
    const f = `${field}.${name}`;
    const old = Object.prototype.hasOwnProperty.call(next, name) ? current.param(name) : undefined;
    if (!old) throw Msg.extendUnknownParam(field, name, current.names);
    const given = patch[name];
    if (!isPlainObject(given)) throw Msg.notAnObject(f, given);
    if (given["type"] !== old.type) throw Msg.extendTypeChange(f, old.type, given["type"]);
    if (given["when"] !== undefined && canonicalJson(given["when"]) !== canonicalJson(old.when ?? null)) throw Msg.extendConditionChange(f);
    const def = { ...given } as Record<string, unknown>;
    if (old.when) def["when"] = old.when;
    next[name] = def as unknown as ParamDef;
  }
  // The new definitions on their own terms (low < high, valid scale, distinct choices, ...).
  const wider = SearchSpace.parse(next, field);
  for (const name of names) checkWidening(current.param(name)!, wider.param(name)!, `${field}.${name}`);
  return wider;
}

/** Throws unless `to` holds every value `from` holds (see widenSpace). */
function checkWidening(from: ParamSpec, to: ParamSpec, field: string): void {
  if (from.type === "categorical" || to.type === "categorical") {
    const have = new Set((to as Extract<ParamSpec, { type: "categorical" }>).choices);
    for (const c of (from as Extract<ParamSpec, { type: "categorical" }>).choices) if (!have.has(c)) throw Msg.extendDropsChoice(field, c);
    return;
  }
  if (from.scale !== to.scale) throw Msg.extendScaleChange(field, from.scale, to.scale);
  if (from.step !== to.step) throw Msg.extendStepChange(field, from.step, to.step);
  if (to.low > from.low) throw Msg.extendNarrowing(field, "low", from.low, to.low);
  if (to.high < from.high) throw Msg.extendNarrowing(field, "high", from.high, to.high);
  if (to.step !== undefined) {
    const k = (from.low - to.low) / to.step;
    if (Math.abs(k - Math.round(k)) > 1e-9 * Math.max(1, Math.abs(k))) throw Msg.extendStepOffGrid(field, to.low, from.low, to.step);
  }
}

/** The space a study has after its recorded extensions (`patches`, in order), from the one it was created with. */
export function spaceAfter(created: SpaceDef, patches: readonly SpaceDef[]): SearchSpace {
  let s = SearchSpace.parse(created);
  for (const p of patches) s = widenSpace(s, p);
  return s;
}
