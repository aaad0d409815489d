export { command, commandObjective, commandSpec, isCommandObjective, COMMAND_KEY, COMMAND_OPTIONS } from "./command";
export type { CommandObjective, CommandOptions, CommandSpec } from "./command";
export type { MetricDefinition, FinalRule } from "./metrics";
export { recoverOrphans } from "./recover";
