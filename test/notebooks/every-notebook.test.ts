// Every notebook in notebooks/ is executed and checked (harness.ts: no failed cell, no stderr,
// study displays with the tunelab MIME type and both fallbacks, committed with outputs): by its
// own test file when it has one (which adds its particular checks), otherwise here, so a new
// notebook is covered the moment it is added.
import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { dedicatedTestFile, describeNotebook, listNotebooks } from "./harness";

const notebooks = listNotebooks();
const withOwnTest = notebooks.filter((n) => fs.existsSync(dedicatedTestFile(n)));

describe("the example notebooks", () => {
  it("are all found", () => {
    expect(notebooks).toEqual(expect.arrayContaining(["grid-search.ipynb", "quickstart.ipynb", "tune-a-real-model.ipynb"]));
  });

  it.each(withOwnTest)("%s is executed and checked by its own test file, with the common checks", (name) => {
    const source = fs.readFileSync(dedicatedTestFile(name), "utf8");
    expect(source).toContain(`describeNotebook("${name}"`);
  });
});

for (const name of notebooks.filter((n) => !withOwnTest.includes(n))) describeNotebook(name);
