import { TunelabError } from "./errors";
import { show } from "./json";

/**
 * The catalog of every bad-input message. Each entry builds a TunelabError
 * with a stable code, the field at fault, and a message that states the
 * rule, the value seen and (where there is one) the fix.
 */
export const Msg = {
  // ---- search space ----------------------------------------------------
  notAnObject: (field: string, got: unknown) =>
    err("space.not_object", field, `${field} must be an object, but got ${show(got)}.`),
  emptySpace: (field: string) =>
    err("space.empty", field, `${field} must declare at least one parameter.`),
  badParamName: (field: string, name: string) =>
    err("space.bad_name", field, `${field}: parameter names must be non-empty strings that are not names every JavaScript object has ("__proto__", "constructor", "toString", "valueOf", ...), but got ${show(name)}; rename the parameter.`),
  unknownParamType: (field: string, got: unknown) =>
    err("space.unknown_type", `${field}.type`, `${field}.type must be one of "float", "int", "categorical", but got ${show(got)}.`),
  unknownField: (field: string, key: string, allowed: readonly string[]) =>
    err("space.unknown_field", `${field}.${key}`, `${field} has an unknown field ${show(key)}; allowed fields: ${allowed.join(", ")}.`),
  notFinite: (field: string, got: unknown) =>
    err("space.not_finite", field, `${field} must be a finite number, but got ${show(got)}.`),
  notInteger: (field: string, got: unknown) =>
    err("space.not_integer", field, `${field} must be an integer, but got ${show(got)}.`),
  lowNotBelowHigh: (field: string, low: number, high: number) =>
    err("space.low_not_below_high", field, `${field}: low < high must hold, but got low=${low}, high=${high}.`),
  lowAboveHigh: (field: string, low: number, high: number) =>
    err("space.low_above_high", field, `${field}: low <= high must hold, but got low=${low}, high=${high}.`),
  badScale: (field: string, got: unknown, allowed: readonly string[]) =>
    err("space.bad_scale", `${field}.scale`, `${field}.scale must be one of ${allowed.map((s) => `"${s}"`).join(", ")}, but got ${show(got)}.`),
  logNeedsPositive: (field: string, low: number, min: number) =>
    err("space.log_low", `${field}.low`, `${field}: scale "log" needs low >= ${min === 0 ? "a positive number (low > 0)" : min}, but got low=${low}.`),
  reverseLogRange: (field: string, low: number, high: number) =>
    err("space.reverse_log_range", field, `${field}: scale "reverse-log" needs 0 <= low < high < 1, but got low=${low}, high=${high}.`),
  badStep: (field: string, got: unknown, integer: boolean) =>
    err("space.bad_step", `${field}.step`, `${field}.step must be ${integer ? `an integer in [1, ${Number.MAX_SAFE_INTEGER}]` : "a finite number > 0"}, but got ${show(got)}.`),
  stepTooLarge: (field: string, step: number, low: number, high: number) =>
    err("space.step_too_large", `${field}.step`, `${field}.step=${step} leaves only low=${low} in [${low}, ${high}]; use a smaller step or widen the range.`),
  emptyChoices: (field: string) =>
    err("space.empty_choices", `${field}.choices`, `${field}.choices must be a non-empty array of strings, numbers or booleans.`),
  badChoice: (field: string, index: number, got: unknown) =>
    err("space.bad_choice", `${field}.choices[${index}]`, `${field}.choices[${index}] must be a string, a finite number or a boolean, but got ${show(got)}.`),
  duplicateChoice: (field: string, got: unknown) =>
    err("space.duplicate_choice", `${field}.choices`, `${field}.choices must be distinct, but ${show(got)} appears more than once.`),
  badCondition: (field: string, got: unknown) =>
    err("space.bad_condition", `${field}.when`, `${field}.when must be an object mapping parameter names to non-empty arrays of allowed values, but got ${show(got)}.`),
  conditionUnknownParam: (field: string, other: string, known: readonly string[]) =>
    err("space.condition_unknown", `${field}.when.${other}`, `${field}.when names ${show(other)}, which is not a parameter of the space (parameters: ${known.join(", ")}).`),
  conditionNotDiscrete: (field: string, other: string, type: string) =>
    err("space.condition_type", `${field}.when.${other}`, `${field}.when may only name categorical or int parameters, but ${show(other)} is ${type}.`),
  conditionSelf: (field: string) =>
    err("space.condition_self", `${field}.when`, `${field}.when names the parameter itself.`),
  conditionValue: (field: string, other: string, value: unknown) =>
    err("space.condition_value", `${field}.when.${other}`, `${field}.when.${other} lists ${show(value)}, which ${show(other)} can never take.`),
  conditionCycle: (cycle: readonly string[]) =>
    err("space.condition_cycle", `space.${cycle[0]}.when`, `the conditions form a cycle: ${cycle.join(" -> ")}; a parameter cannot depend on itself, directly or through others.`),
  gridFloatWithoutStep: (name: string) =>
    err("grid.float_without_step", `space.${name}.step`, `grid search needs every float to have a step, but ${show(name)} has none; add { step: ... } or use the "random" strategy.`),
  gridTooLarge: (count: string, max: number) =>
    err("grid.too_large", "space", `the grid has ${count} configurations, more than the ${max} (2^53 - 1) whose positions a double counts exactly; use larger steps, fewer values, or another strategy.`),

  // ---- sizes and numeric limits of spaces, grids and strategies (issue 11, classes 2 and 3) ----
  tooManyParams: (field: string, count: number, max: number) =>
    err("space.too_many_params", field, `${field} declares ${count} parameters, more than the ${max} a space may have; tune fewer parameters at once.`),
  tooManyChoices: (field: string, count: number, max: number) =>
    err("space.too_many_choices", `${field}.choices`, `${field}.choices has ${count} entries, more than the ${max} a categorical parameter may have; use an int parameter for an index over many values.`),
  conditionTooLong: (field: string, other: string, count: number, max: number) =>
    err("space.condition_too_long", `${field}.when.${other}`, `${field}.when.${other} lists ${count} values, more than the ${max} a condition may list; condition on a coarser parameter.`),
  rangeTooWide: (field: string, low: number, high: number, max: string) =>
    err("space.range_too_wide", field, `${field}: high - low must be at most ${max}, but got low=${low}, high=${high}; narrow the range.`),
  intNotSafe: (field: string, got: number) =>
    err("space.int_not_safe", field, `${field} must be an integer in [-${Number.MAX_SAFE_INTEGER}, ${Number.MAX_SAFE_INTEGER}] (beyond 2^53 doubles skip integers), but got ${got}.`),
  stepTooFine: (field: string, step: number, low: number, high: number, min: number) =>
    err("space.step_too_fine", `${field}.step`, `${field}.step=${step} is finer than doubles near max(|low|, |high|) = ${Math.max(Math.abs(low), Math.abs(high))} can tell apart: step must be >= ${min} (1e-12 of the larger bound); use a larger step or shift the range towards 0.`),
  gridTooComplex: (states: number) =>
    err("grid.too_complex", "space", `counting the grid of this space's conditions needs more than ${states} distinct condition states; use fewer conditional parameters, shorter "when" lists, or another strategy.`),
  strategySpaceTooLarge: (strategy: string, count: number, max: number) =>
    err("strategy.space_too_large", "space", `the "${strategy}" strategy models at most ${max} parameters, but the space has ${count}; use "random" or "tpe" with { quasi: "none" }, or tune fewer parameters.`),

  // ---- configurations ---------------------------------------------------
  configNotObject: (field: string, got: unknown) =>
    err("config.not_object", field, `${field} must be an object of parameter values, but got ${show(got)}.`),
  configMissing: (field: string, name: string) =>
    err("config.missing", `${field}.${name}`, `${field} is missing the parameter ${show(name)}, which is active for these values.`),
  configExtra: (field: string, name: string, why: string) =>
    err("config.extra", `${field}.${name}`, `${field} has ${show(name)}, ${why}.`),
  configBadValue: (field: string, name: string, got: unknown, rule: string) =>
    err("config.bad_value", `${field}.${name}`, `${field}.${name} must be ${rule}, but got ${show(got)}.`),

  // ---- study, options ------------------------------------------------------
  badStudyName: (got: unknown) =>
    err("study.bad_name", "study", `study must be a non-empty string of at most 200 characters, but got ${show(got)}.`),
  badDirection: (got: unknown) =>
    err("study.bad_direction", "direction", `direction must be "minimize" or "maximize", but got ${show(got)}.`),
  badMetricName: (got: unknown) =>
    err("study.bad_metric", "metric", `the objective metric must be a non-empty string, but got ${show(got)}.`),
  unknownStrategy: (got: unknown, allowed: readonly string[]) =>
    err("strategy.unknown", "strategy", `strategy must be one of ${allowed.map((s) => `"${s}"`).join(", ")}, but got ${show(got)}.`),
  badOption: (field: string, got: unknown, rule: string) =>
    err("option.bad_value", field, `${field} must be ${rule}, but got ${show(got)}.`),
  unknownOption: (field: string, key: string, allowed: readonly string[]) =>
    err("option.unknown", `${field}.${key}`, `${field} has an unknown option ${show(key)}; allowed: ${allowed.length ? allowed.join(", ") : "none"}.`),
  studyMismatch: (name: string, what: string, stored: string, given: string) =>
    err("study.mismatch", what, `study ${show(name)} already exists with a different ${what} (stored: ${stored}; given: ${given}); use a new study name, or delete the stored study to start over.`),
  studyUnknown: (name: string) =>
    err("study.unknown", "study", `no open study is named ${show(name)}; send "create" first.`),
  noSpace: () => err("dsl.no_space", "space", "the study has no search space: call .space({...}) first (before .objective(), .run() or .open())."),
  noObjective: () => err("dsl.no_objective", "objective", "the study has no objective: call .objective(async (params, trial) => ...) before run()."),
  noDirection: () => err("dsl.no_direction", "direction", 'the study has no direction: call .minimize("metric") or .maximize("metric") first (before .objective(), .run() or .open()).'),
  frozen: (what: string) => err("dsl.frozen", what, `${what} cannot change after the study has started; build a new study with another name.`),

  // ---- journal storage: headers, locks, writes (issue 11, classes 5 and 6) ----
  journalBadHeader: (file: string, why: string) =>
    err("storage.bad_header", "storage", `${file} ${why}; it is not a tunelab journal, or its first record (the study) is damaged. Nothing else of it can be read.`),
  journalNewerFormat: (file: string, version: unknown, reads: number) =>
    err("storage.newer_format", "storage", `${file} was written in journal format version ${show(version)}, newer than this tunelab reads (version ${reads}); upgrade tunelab to open it.`),
  journalLockTimeout: (lock: string, ms: number, holder: string) =>
    err("storage.lock_timeout", "storage", `could not lock ${lock} within ${ms} ms: ${holder}. Wait for it, or stop that process.`),
  journalWriteFailed: (file: string, os: string, left: string) =>
    err("storage.write_failed", "storage", `could not write ${file} (${os}); the operation was not recorded and the study is as the journal holds it${left}. Free space or fix the error, then retry: the study goes on from there.`),
  journalReplaced: (file: string, what: string) =>
    err("storage.file_replaced", "storage", `${file} ${what} while the study was open; a journal is only ever appended to. Open the study again to read what the file holds now.`),
  badDurable: (source: string, got: unknown) =>
    err("storage.bad_durable", source, `${source} must be true or false (in the environment: 1/0, true/false, yes/no, on/off), but got ${show(got)}.`),

  // ---- trials ------------------------------------------------------------
  trialUnknown: (n: unknown) => err("trial.unknown", "trial", `trial ${show(n)} does not exist in this study.`),
  trialFinished: (n: number, state: string) =>
    err("trial.finished", "trial", `trial ${n} is already ${state}; a trial is told once.`),
  badReportStep: (got: unknown, last?: number) =>
    err("trial.bad_step", "step", last === undefined
      ? `step must be an integer >= 0, but got ${show(got)}.`
      : `step must be an integer greater than the last reported step ${last}, but got ${show(got)}.`),
  badValue: (field: string, got: unknown) =>
    err("trial.bad_value", field, `${field} must be a finite number, but got ${show(got)}.`),
  badState: (got: unknown) =>
    err("trial.bad_state", "state", `state must be "failed" or "pruned" (or give a value for a complete trial), but got ${show(got)}.`),
  missingMetric: (metric: string, got: unknown) =>
    err("trial.missing_metric", metric, `the objective returned ${show(got)}, without a finite number for the metric ${show(metric)}; return a number or an object with ${show(metric)}.`),

  // ---- objectives and limits (issue 11, class 4) -------------------------
  unreadableValue: (field: string, threw: string) =>
    err("value.unreadable", field, `${field} could not be read: reading it threw ${threw}. Pass plain data (numbers, or a plain object of numbers).`),
  tooManyMetrics: (field: string, count: number, max: number) =>
    err("trial.too_many_metrics", field, `${field} has ${count} numeric metrics, more than the ${max} a trial keeps at once; return or report fewer (aggregate them, or log the rest yourself).`),
  alreadyRunning: (name: string) =>
    err("dsl.running", "run", `study ${show(name)} is already running; await the first run() before starting another.`),

  // ---- serve protocol (src/cli) ------------------------------------------
  requestNotJson: (line: number, detail: string) =>
    err("request.not_json", "request", `request line ${line} is not valid JSON (${detail}); send one JSON object per line.`),
  requestNotObject: (got: unknown) =>
    err("request.not_object", "request", `a request must be a JSON object with an "op" field, but got ${show(got)}.`),
  requestTooLong: (limit: number) =>
    err("request.too_long", "request", `the request line is longer than ${limit} bytes; it was skipped.`),
  unknownOp: (got: unknown, allowed: readonly string[]) =>
    err("request.unknown_op", "op", got === undefined
      ? `the request has no "op"; allowed ops: ${allowed.join(", ")}.`
      : `op must be one of ${allowed.join(", ")}, but got ${show(got)}.`),
  unknownRequestField: (op: string, key: string, allowed: readonly string[]) =>
    err("request.unknown_field", key, `"${op}" requests have no field ${show(key)}; allowed fields: ${allowed.join(", ")}.`),
  missingField: (op: string, field: string, rule: string) =>
    err("request.missing_field", field, `"${op}" requests need ${field}: ${rule}.`),
  badField: (field: string, got: unknown, rule: string) =>
    err("request.bad_field", field, `${field} must be ${rule}, but got ${show(got)}.`),
  tellValueOrState: (both: boolean) =>
    err("request.tell_outcome", "value", both
      ? `"tell" takes either value (a complete trial) or state ("failed" or "pruned"), not both.`
      : `"tell" needs either value (a finite number, for a complete trial) or state ("failed" or "pruned").`),
  seedConflict: (seed: unknown, optionSeed: unknown) =>
    err("request.seed_conflict", "seed", `seed=${show(seed)} and options.seed=${show(optionSeed)} disagree; give the seed once.`),
  trialNotRunning: (n: number, state: string) =>
    err("trial.not_running", "trial", `trial ${n} is already ${state}; only a running trial can report.`),
  badStorage: (got: unknown, why: string) =>
    err("request.bad_storage", "storage", `storage must be omitted (in memory), "memory", a directory path for the on-disk journal (e.g. ".tunelab") or a postgresql:// URL, but got ${show(got)}${why ? ` (${why})` : ""}.`),
  // ---- serve protocol: hostile input (issue 11, class 1) -----------------
  requestTooDeep: (line: number, member: string | undefined, limit: number) =>
    err("request.too_deep", member ?? "request", `request line ${line} nests arrays and objects more than ${limit} levels deep${member === undefined ? "" : ` in ${show(member)}`} (the request itself is level 1); it was not read. Send at most ${limit} levels.`),

  internalError: (detail: string) =>
    err("internal", "request", `tunelab failed while serving this request: ${detail}. This is a bug; please report it with the request.`),

  // ---- external commands: command(), the study file, `tunelab run` (src/command, src/cli/run.ts) ----
  badArgv: (field: string, got: unknown) =>
    err("command.bad_argv", field, `${field} must be a non-empty array of strings (the program, then its arguments), but got ${show(got)}.`),
  shellPlaceholder: (field: string, arg: string) =>
    err("command.shell_placeholder", field, `${field} (${show(arg)}) is the shell script (shell: true), where a placeholder's value would become shell code; pass values as later elements and use "$1", "$2", ... in the script.`),
  unknownPlaceholder: (field: string, name: string, params: readonly string[]) =>
    err("command.unknown_placeholder", field, `${field} names {${name}}, which is neither a parameter of the space (${params.length ? params.join(", ") : "none"}) nor one of {trial}, {budget}, {study}.`),
  ambiguousPlaceholder: (field: string, name: string) =>
    err("command.ambiguous_placeholder", field, `${field} names {${name}}, but the space also has a parameter named ${show(name)}; {${name}} always means the trial's ${name}: rename the parameter, or read it from TUNELAB_PARAMS.`),
  conditionalAlone: (field: string, name: string) =>
    err("command.conditional_alone", field, `${field} is {${name}} on its own, but ${show(name)} is conditional (absent from some configurations), and leaving out a positional argument would shift the others; pass it as a flag: "--${name}", "{${name}}" or "--${name}={${name}}" (both are left out where it is absent).`),
  nulInArgument: (field: string) =>
    err("command.nul_byte", field, `${field} would contain a NUL character, which no program argument or environment variable can hold; choose values without "\\u0000".`),
  badRegex: (field: string, regex: string, detail: string) =>
    err("command.bad_regex", field, `${field} ${show(regex)} is not a valid regular expression (${detail}); write it in JavaScript syntax, e.g. "val_loss=([-+0-9.eE]+)".`),
  regexGroups: (field: string, regex: string, groups: number) =>
    err("command.regex_groups", field, `${field} ${show(regex)} must have exactly one capture group (the value), but has ${groups}; make other groups non-capturing with (?:...).`),
  duplicateMetric: (field: string, name: string) =>
    err("command.duplicate_metric", field, `${field} defines ${show(name)} a second time; each metric has one definition.`),
  noObjectiveMetric: (metric: string, regex: string | undefined) =>
    err("command.no_metric", metric, `the process exited with code 0, but no objective metric matched: nothing in its output matched ${regex !== undefined ? `the regex ${show(regex)} of ${show(metric)}` : `a definition of ${show(metric)}`}, and no line had the form tunelab: {"${metric}": <number>}.`),
  noTrialLog: (n: number, file: string) =>
    err("command.no_log", "trial", `trial ${n} has no log at ${file}: only trials run by a command() objective whose process started have one.`),
  notSerializable: (what: string, why: string) =>
    err("dsl.not_serializable", what, `the study cannot be written as a study file: ${why}.`),
  studyFileNotJson: (file: string, detail: string) =>
    err("run.not_json", "file", `${file} is not valid JSON (${detail}); a study file is one JSON object (see "tunelab run --help").`),
  studyFileNotObject: (file: string, got: unknown) =>
    err("run.not_object", "file", `${file} must hold one JSON object with the fields study, space, direction, command, ...; but it holds ${show(got)}.`),
  studyFileUnknownField: (key: string, allowed: readonly string[]) =>
    err("run.unknown_field", key, `the study file has an unknown field ${show(key)}; allowed fields: ${allowed.join(", ")}.`),
  studyFileMissing: (field: string, rule: string) =>
    err("run.missing_field", field, `the study file needs ${field}: ${rule}.`),
  studyFileVersion: (got: unknown, known: number) =>
    err("run.version", "version", `version must be an integer from 1 to ${known} (the study-file format this tunelab reads), but got ${show(got)}; a newer tunelab wrote this file, upgrade to run it.`),

  // ---- storage locations and PostgreSQL (issue 14: src/storage/open.ts, src/storage/postgres.ts) ----
  badLocation: (field: string, got: unknown, why: string) =>
    err("storage.bad_location", field, `${field} must be a folder for the on-disk journal (e.g. ".tunelab"), "memory", or a PostgreSQL URL (postgresql://user:password@host:5432/database), but got ${show(got)}${why ? `: ${why}` : ""}.`),
  pgUnreachable: (url: string, detail: string) =>
    err("storage.unreachable", "storage", `cannot reach the PostgreSQL database ${url} (${detail}); nothing was recorded. Check that the server runs and accepts connections there (host, port, user, password, database), then try again.`),
  pgLost: (url: string, seconds: number, detail: string) =>
    err("storage.unreachable", "storage", `lost the PostgreSQL database ${url} for ${seconds} s (${detail}); the operation was not recorded (the study holds everything recorded before it). Bring the server back, then retry: the study goes on from there.`),
  pgFailed: (url: string, detail: string) =>
    err("storage.database", "storage", `the PostgreSQL database ${url} refused an operation (${detail}); it was not recorded.`),
  pgNewerSchema: (url: string, version: number, reads: number) =>
    err("storage.newer_format", "storage", `the tunelab tables in ${url} are schema version ${version}, newer than this tunelab uses (version ${reads}); upgrade tunelab to use them.`),
  pgNoPermission: (url: string, detail: string) =>
    err("storage.permission", "storage", `the PostgreSQL user of ${url} may not create or use tunelab's tables (${detail}); grant it CREATE on the database's schema (or have an administrator open the storage once), then try again.`),

  // ---- following a study run elsewhere (issue 14 part 3: Study.openStored, study.watch()) ----
  studyNotFound: (name: string, where: string, existing?: readonly string[]) =>
    err("study.not_found", "study", `there is no study named ${show(name)} at ${where}${existingStudies(existing)}; check the name and the storage (the location the workers use, e.g. TUNELAB_STORAGE), or start a worker first.`),
  strategyUnavailable: (name: string, strategy: string) =>
    err("study.strategy_unavailable", "strategy", `study ${show(name)} was created with the strategy ${show(strategy)}, which this process has not registered; it can be watched and read here, but to ask for trials register the strategy (registerStrategy) or open the study with it.`),

  // ---- heartbeats and stale trials (issue 14 part 4: src/study/heartbeat*.ts) ----
  heartbeatRange: (field: string, got: unknown, min: number, max: number) =>
    err("heartbeat.bad_value", field, `${field} must be a number of seconds from ${min} to ${max}, but got ${show(got)}.`),
  heartbeatGrace: (field: string, grace: number, interval: number, intervals: number) =>
    err("heartbeat.grace_too_short", field, `${field} (${grace} s) must be at least ${intervals} heartbeat intervals (${intervals} × ${interval} s = ${intervals * interval} s), or one late beat would fail a live trial as stale; give a longer graceSeconds or a shorter intervalSeconds.`),
  // ---- trial attributes and notes (issue 16 part 4: src/record/user.ts) ----
  badAttrKey: (field: string, got: unknown, max: number) =>
    err("attr.bad_key", field, `${field} must be an attribute name: a non-empty string of at most ${max} characters that is not a name every JavaScript object has ("__proto__", "constructor", "toString", ...), but got ${show(got)}; rename the attribute.`),
  badAttrValue: (field: string, why: string) =>
    err("attr.bad_value", field, `${field} must be plain JSON (null, a boolean, a finite number, a string, or arrays and plain objects of those), but ${why}; convert it (e.g. String(x), x.toISOString(), Object.fromEntries(map)).`),
  attrTooLarge: (field: string, bytes: number, max: number) =>
    err("attr.too_large", field, `${field} is ${bytes} bytes as JSON, more than the ${max} an attribute may hold; keep large results in a file and store its path.`),
  tooManyAttrs: (field: string, trial: number, max: number) =>
    err("attr.too_many", field, `trial ${trial} already has ${max} attributes, the most a trial may have; set fewer keys (group values in one object attribute).`),
  badNote: (field: string, got: unknown) =>
    err("note.bad_text", field, `${field} must be a string of markdown, but got ${show(got)}.`),
  noteTooLarge: (field: string, bytes: number, max: number) =>
    err("note.too_large", field, `${field} is ${bytes} bytes (UTF-8), more than the ${max} a note may hold; shorten it, or keep long text in a file and link to it.`),

  // ---- export (issue 16 part 5: src/views/analysis/export.ts, tunelab export, study.toCSV) ----
  exportBadFormat: (field: string, got: unknown) =>
    err("export.bad_format", field, `${field} must be one of "csv", "json", "jsonl", but got ${show(got)}.`),
  exportMemory: (field: string) =>
    err("export.memory_storage", field, `${field} is "memory": a study in memory lives only in the process that ran it, so another process can't read it. Export from that process (study.toCSV()), or run the study with a journal folder (e.g. ".tunelab") or a PostgreSQL URL and export from there.`),
  exportNoStudyName: () =>
    err("export.no_study", "study", `tunelab export needs the study's name, e.g. \`tunelab export mlp --storage .tunelab\`.`),
  exportBadArgument: (got: string) =>
    err("export.bad_argument", "argv", `tunelab export: unexpected argument ${show(got)}; the arguments are STUDY, --storage LOCATION, --format csv|json|jsonl and --out FILE.`),
  exportMissingValue: (option: string) =>
    err("export.missing_value", option, `tunelab export: ${option} needs a value, e.g. ${option === "--format" ? "--format csv" : option === "--out" ? "--out trials.csv" : "--storage .tunelab"}.`),
  // ---- parameter importance (issue 16 part 1: src/views/analysis, study.importance(), serve "importance") ----
  badImportanceMethod: (got: unknown, allowed: readonly string[]) =>
    err("importance.bad_method", "method", `method must be one of ${allowed.map((m) => `"${m}"`).join(", ")}, but got ${show(got)}; "ped-anova" is the default (fast, no model), "fanova" fits a random forest.`),

  // ---- ranges that grow and warm start (issue 17 parts 2-3: src/space/extend.ts, src/study/warm-start.ts) ----
  extendUnknownParam: (field: string, name: string, known: readonly string[]) =>
    err("extend.unknown_param", field, `${field}: ${show(name)} is not a parameter of the study (parameters: ${known.join(", ")}); extendSpace only widens existing parameters. A new parameter needs a new study (it could warm-start from this one).`),
  extendTypeChange: (field: string, from: string, to: unknown) =>
    err("extend.type_change", `${field}.type`, `${field}: extendSpace may widen a parameter but not change its type: it is ${from}, and the extension gives ${show(to)}; keep type ${show(from)}.`),
  extendScaleChange: (field: string, from: string, to: string) =>
    err("extend.scale_change", `${field}.scale`, `${field}: extendSpace may not change a parameter's scale: it is "${from}", and the extension gives "${to}"; keep scale "${from}" (old trials were modelled on it).`),
  extendStepChange: (field: string, from: number | undefined, to: number | undefined) =>
    err("extend.step_change", `${field}.step`, `${field}: extendSpace may not change a parameter's step: it is ${from ?? "none"}, and the extension gives ${to ?? "none"}; keep the step${from === undefined ? " out" : ` ${from}`}.`),
  extendStepOffGrid: (field: string, low: number, oldLow: number, step: number) =>
    err("extend.off_grid", `${field}.low`, `${field}: a widened stepped range must keep its old values on the grid: low=${low} is not the old low ${oldLow} minus a whole number of steps (step ${step}); use low = ${oldLow} - k * ${step}.`),
  extendNarrowing: (field: string, bound: "low" | "high", from: number, to: number) =>
    err("extend.narrowing", `${field}.${bound}`, `${field}: extendSpace only widens ranges (old trials must stay valid): ${bound} is ${from}, and the extension gives ${to}; give ${bound === "low" ? "low <=" : "high >="} ${from}.`),
  extendDropsChoice: (field: string, choice: unknown) =>
    err("extend.drops_choice", `${field}.choices`, `${field}: extendSpace only adds choices (old trials must stay valid), but the extension leaves out ${show(choice)}; list every existing choice, then the new ones.`),
  extendConditionChange: (field: string) =>
    err("extend.condition_change", `${field}.when`, `${field}: extendSpace may not change a parameter's condition (when); give the same "when" or leave it out.`),
  extendEmpty: (field: string) =>
    err("extend.empty", field, `${field} must name at least one parameter to widen, e.g. { lr: float(1e-6, 1, { scale: "log" }) }.`),
  warmStartParents: (field: string, got: unknown, max: number) =>
    err("warm_start.bad_parents", field, `${field} must be an array of 1 to ${max} distinct study names, but got ${show(got)}.`),
  warmStartType: (field: string, got: unknown) =>
    err("warm_start.bad_type", field, `${field} must be "identical" or "transfer", but got ${show(got)}.`),
  warmStartSelf: (field: string, name: string) =>
    err("warm_start.self", field, `${field}: study ${show(name)} cannot warm-start from itself; name other studies.`),
  warmStartMissing: (field: string, name: string, where: string) =>
    err("warm_start.not_found", field, `${field}: there is no parent study named ${show(name)} at ${where}; check the name, or give { storage } where the parent lives.`),
  warmStartDirection: (field: string, name: string, parent: string, child: string) =>
    err("warm_start.direction", field, `${field}: the parent ${show(name)} ${parent}s its objective and this study ${child}s; "identical" needs the same direction (use type "transfer", which uses only the parent's ranking, flipped).`),
  warmStartMismatch: (name: string, stored: string, given: string) =>
    err("warm_start.mismatch", "warmStart", `study ${show(name)} was created with warmStart ${stored}, but now ${given} is given; warm start is fixed when a study is created (open it with the same warmStart, or without one).`),
} as const;

// ---- re-attaching to a stored study (issue 17 part 4: open(), tunelab status) ----

/** The studies a storage holds, for a not-found message (at most 20 names). */
function existingStudies(existing: readonly string[] | undefined): string {
  if (existing === undefined) return "";
  if (existing.length === 0) return " (it holds no studies)";
  const shown = [...existing].sort().slice(0, 20).map((n) => show(n));
  return ` (it holds ${existing.length === 1 ? "one study" : `${existing.length} studies`}: ${shown.join(", ")}${existing.length > 20 ? ", ..." : ""})`;
}

function err(code: string, field: string, message: string): TunelabError {
  return new TunelabError(code, message, field);
}

export type MsgKey = keyof typeof Msg;
