import * as path from "path";
import { Msg } from "../util/messages";
import { MemoryStorage } from "./base";
import { JournalStorage } from "./journal";
import type { Storage } from "./storage";

/**
 * Where a study is kept, as one string (the DSL's `.storage(...)`, serve's `"storage"`, a study
 * file's `"storage"`, the TUNELAB_STORAGE environment variable):
 *
 * - a folder: the on-disk journal, one `<study>.jsonl` per study (default `.tunelab`);
 * - `"memory"`: this process's memory, gone when it ends;
 * - `postgresql://user:password@host:5432/db` (or `postgres://`): a PostgreSQL database that
 *   many workers on many machines share (src/storage/postgres.ts, loaded only then).
 */
export type StorageLocation = string;

/** The default location: TUNELAB_STORAGE when set, else the folder `.tunelab`. */
export const DEFAULT_LOCATION = ".tunelab";

export interface OpenStorageOptions {
  /** Relative folders resolve against this (default: the working directory). */
  readonly cwd?: string;
  /** fsync every journal append (see JournalOptions.durable). */
  readonly durable?: boolean;
  /** Where warnings go (damaged records skipped, locks broken, connections lost). */
  readonly onWarning?: (message: string) => void;
  /** Where the location came from, for messages (default "storage"). */
  readonly field?: string;
}

/** What a location names, checked (openStorage's first step). */
export type ParsedLocation = { readonly kind: "memory" } | { readonly kind: "folder"; readonly dir: string } | { readonly kind: "postgresql"; readonly url: string };

const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

/** The location to use when none is given: TUNELAB_STORAGE, else ".tunelab". */
export function defaultLocation(env: NodeJS.ProcessEnv = process.env): { location: string; field: string } {
  const v = env["TUNELAB_STORAGE"];
  return v !== undefined && v.trim() !== "" ? { location: v.trim(), field: "TUNELAB_STORAGE" } : { location: DEFAULT_LOCATION, field: "storage" };
}

/** Why `location` is not one ("" when it is not a non-empty string), or null when it is. */
export function locationProblem(location: unknown): string | null {
  if (typeof location !== "string" || location.trim() === "") return "";
  if (location.includes("\u0000")) return "a location cannot contain NUL characters";
  const scheme = URL_SCHEME.exec(location)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme !== "postgresql" && scheme !== "postgres") return `"${scheme}://" is not a storage tunelab has; the database it supports is PostgreSQL (postgresql://...)`;
  return null;
}

/** Checks a location and says what it names; throws storage.bad_location. */
export function parseLocation(location: unknown, options: Pick<OpenStorageOptions, "cwd" | "field"> = {}): ParsedLocation {
  const why = locationProblem(location);
  if (why !== null) throw Msg.badLocation(options.field ?? "storage", location, why);
  const l = location as string;
  if (l === "memory") return { kind: "memory" };
  if (URL_SCHEME.test(l)) return { kind: "postgresql", url: l };
  return { kind: "folder", dir: path.resolve(options.cwd ?? process.cwd(), l) };
}

/**
 * Opens the storage at `location` (default: TUNELAB_STORAGE, else `.tunelab`). Nothing is
 * read or connected until a study is opened: a database that can't be reached fails then,
 * with storage.unreachable naming the URL (its password hidden). Async because the
 * PostgreSQL adapter (and its client) is loaded only when a postgresql:// location is opened.
 *
 * @example
 * const storage = await openStorage("postgresql://tuner@db:5432/studies");
 * const study = await Study.open({ name: "mlp", space, direction: "minimize", storage });
 */
export async function openStorage(location?: StorageLocation, options: OpenStorageOptions = {}): Promise<Storage> {
  const given = location === undefined ? defaultLocation() : { location, field: options.field ?? "storage" };
  const where = parseLocation(given.location, { ...options, field: given.field });
  const warn = options.onWarning;
  switch (where.kind) {
    case "memory":
      return new MemoryStorage();
    case "folder":
      return new JournalStorage(where.dir, { ...(warn ? { onWarning: warn } : {}), ...(options.durable !== undefined ? { durable: options.durable } : {}) });
    case "postgresql": {
      // Loaded only here: a user without PostgreSQL never loads the adapter or its client.
      const { PostgresStorage } = await import("./postgres");
      return new PostgresStorage(where.url, warn ? { onWarning: warn } : {});
    }
  }
}

/** `location` as it may be shown: a URL's password replaced by "***". */
export function showLocation(location: string): string {
  return URL_SCHEME.test(location) ? redactUrl(location) : location;
}

/** A URL without its password: what a study file or a description may keep (PGPASSWORD or ~/.pgpass give it). Other locations as they are. */
export function stripPassword(url: string): string {
  if (!URL_SCHEME.test(url)) return url;
  try {
    const u = new URL(url);
    u.password = "";
    for (const k of [...u.searchParams.keys()]) if (/pass/i.test(k)) u.searchParams.delete(k);
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^/@:]*):[^/@]*@/, "$1@");
  }
}

/** A URL with its password (and any password= parameter) hidden, for messages and logs. */
export function redactUrl(url: string): string {
  let out = url;
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    for (const k of [...u.searchParams.keys()]) if (/pass/i.test(k)) u.searchParams.set(k, "***");
    out = u.toString();
  } catch {
    // Not a URL the WHATWG parser takes: hide whatever sits between "//user:" and "@".
    out = url.replace(/(\/\/[^/@:]*:)[^/@]*@/, "$1***@");
  }
  return out;
}
