// What the worker scripts share: wait for "go" on standard input (so that workers started one
// after another begin together).
"use strict";

function waitForGo() {
  return new Promise((resolve) => {
    let buf = "";
    process.stdin.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("go\n")) resolve();
    });
    // Paused after the "data" event, not inside it (there it leaves the stream holding the
    // process open), so that the worker exits when its work is done.
  }).then(() => process.stdin.pause());
}

module.exports = { waitForGo };
