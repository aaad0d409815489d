/**
 * Turns SIGINT (Ctrl-C in a terminal; "interrupt kernel" in Jupyter, which
 * tslab receives as SIGINT) into a callback while a run is in progress.
 * tslab handles SIGINT itself (it rejects the running cell); our listener
 * stops the trials, which tslab knows nothing about. In a plain script the
 * first Ctrl-C stops the run cleanly; a second one ends the process as usual.
 */
export function onInterrupt(callback: () => void): () => void {
  if (typeof process === "undefined" || typeof process.on !== "function") return () => {};
  const othersListen = process.listenerCount("SIGINT") > 0;
  let fired = false;
  const listener = () => {
    if (fired && !othersListen) {
      process.off("SIGINT", listener);
      process.kill(process.pid, "SIGINT");
      return;
    }
    fired = true;
    callback();
  };
  process.on("SIGINT", listener);
  return () => {
    process.off("SIGINT", listener);
  };
}
