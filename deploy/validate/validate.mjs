// Offline validation of rendered Kubernetes manifests (the output of `kubectl kustomize deploy/k8s`).
//
//   node deploy/validate/validate.mjs RENDERED.yaml
//
// Two checks per document, both must pass:
//  1. strict typing: every document becomes an object literal typed with its kubernetes-models
//     interface (IDeployment, IService, ...) and `tsc --strict` compiles them. TypeScript's
//     excess-property check rejects any unknown or misspelled field at any depth, and wrong types
//     (a string where a number belongs). The API schemas alone do not reject unknown fields.
//  2. schema validation: kubernetes-models' own validator (required fields, formats, enums).
// A document of a kind kubernetes-models does not know is an error too.
// Prints one line per document and "N passed, M failed"; exits 1 when any document fails.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function modulePath(apiVersion, kind) {
  // core group "v1" -> kubernetes-models/v1/Kind; "apps/v1" -> kubernetes-models/apps/v1/Kind
  return `kubernetes-models/${apiVersion}/${kind}`;
}

function loadDocs(file) {
  const docs = [];
  for (const d of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    const v = d.toJS();
    if (v !== null && v !== undefined) docs.push(v);
  }
  return docs;
}

function label(doc, i) {
  const name = doc?.metadata?.name ?? "(no name)";
  return `${doc?.kind ?? "(no kind)"}/${name} (document ${i + 1})`;
}

// Writes one .ts file per document so tsc's errors name the document by file.
function typeCheck(docs, results) {
  const work = join(here, ".work");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const files = [];
  docs.forEach((doc, i) => {
    if (results[i].errors.length) return; // unknown kind: nothing to type against
    const file = join(work, `doc${i}.ts`);
    const iface = `I${doc.kind}`;
    writeFileSync(
      file,
      `import type { ${iface} } from "${modulePath(doc.apiVersion, doc.kind)}";\n` +
        `export const doc: ${iface} = ${JSON.stringify(doc, null, 2)};\n`,
    );
    files.push([file, i]);
  });
  if (!files.length) return;
  writeFileSync(
    join(work, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        types: [],
      },
      files: files.map(([f]) => f),
    }),
  );
  let out = "";
  try {
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", work, "--pretty", "false"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    out = `${e.stdout ?? ""}${e.stderr ?? ""}`;
    if (!out.trim()) throw e;
  }
  for (const line of out.split("\n")) {
    const m = /doc(\d+)\.ts\((\d+),(\d+)\): error (TS\d+: .*)$/.exec(line.trim());
    if (m) results[Number(m[1])].errors.push(`tsc: ${m[4]} (generated line ${m[2]})`);
    else if (line.trim() && !/^\s/.test(line)) {
      // an error tsc reports for no document (configuration, resolution) fails everything
      if (/error TS/.test(line)) results.forEach((r) => r.errors.push(`tsc: ${line.trim()}`));
    }
  }
}

// kustomize wraps long base64 values over several lines; the API server's decoder (Go's
// encoding/base64) skips newlines, the "byte" format check does not, so drop them first.
function unwrapBase64(doc) {
  const field = doc.kind === "Secret" ? "data" : doc.kind === "ConfigMap" ? "binaryData" : null;
  if (!field || !doc[field] || typeof doc[field] !== "object") return doc;
  const copy = { ...doc, [field]: { ...doc[field] } };
  for (const [k, v] of Object.entries(copy[field]))
    if (typeof v === "string") copy[field][k] = v.replace(/[\r\n]/g, "");
  return copy;
}

async function schemaCheck(docs, results) {
  for (let i = 0; i < docs.length; i++) {
    if (results[i].errors.length) continue;
    const doc = unwrapBase64(docs[i]);
    try {
      const mod = await import(modulePath(doc.apiVersion, doc.kind));
      const Model = mod[doc.kind];
      new Model(doc).validate();
    } catch (e) {
      results[i].errors.push(`schema: ${e.message.split("\n").slice(0, 6).join(" | ")}`);
    }
  }
}

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node validate.mjs RENDERED.yaml");
    process.exit(2);
  }
  const docs = loadDocs(file);
  if (!docs.length) {
    console.error(`${file}: no documents`);
    process.exit(1);
  }
  const results = docs.map((doc, i) => {
    const errors = [];
    if (typeof doc !== "object" || Array.isArray(doc)) errors.push("not a mapping");
    else if (!doc.apiVersion || !doc.kind) errors.push("missing apiVersion or kind");
    else {
      const p = join(here, "node_modules", modulePath(doc.apiVersion, doc.kind) + ".d.ts");
      if (!existsSync(p)) errors.push(`unknown kind ${doc.apiVersion} ${doc.kind} (not in kubernetes-models)`);
    }
    return { label: label(doc, i), errors };
  });
  typeCheck(docs, results);
  await schemaCheck(docs, results);
  let failed = 0;
  for (const r of results) {
    if (r.errors.length) {
      failed++;
      console.log(`FAIL ${r.label}`);
      for (const e of r.errors) console.log(`     ${e}`);
    } else console.log(`ok   ${r.label}`);
  }
  console.log(`${docs.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(`validate: ${e.stack ?? e}`);
  process.exit(1);
});
