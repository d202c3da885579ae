// Reads a metadata index with one column, `n`, on stdin and prints its values as the explorer decodes them.
import { readFileSync } from "node:fs";

import { decodeIndex } from "../../plugins/pmkb/mkdocs_plugin/templates/assets/javascripts/pmkb/metadata.js";

process.stdout.write(JSON.stringify(Array.from(decodeIndex(JSON.parse(readFileSync(0, "utf-8"))).columns.n)));
