export * from "./trial";
