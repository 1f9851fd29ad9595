// Validates rendered Kubernetes manifests offline against the official OpenAPI schemas, through
// kubernetes-models (the core API) and @kubernetes-models/prometheus-operator (ServiceMonitor).
//
//   node validate.mjs FILE...      (multi-document YAML, e.g. `kubectl kustomize ../overlays/cpu`)
//
// Prints one line per object ("valid Kind/name" or "INVALID Kind/name: reasons") and exits 1 if
// any object is invalid or has a kind no schema here knows: an unknown kind is never waved through.
// What the schemas catch: wrong types, missing required fields, bad enums and formats (quantities,
// int-or-string ports). What they do not: unknown field names (the generated schemas allow extra
// properties), which only an API server's strict field validation rejects.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const SCHEMA_PACKAGES = ["kubernetes-models", "@kubernetes-models/prometheus-operator"];

async function modelClass(apiVersion, kind) {
  for (const pkg of SCHEMA_PACKAGES) {
    try {
      const module = await import(`${pkg}/${apiVersion}`);
      if (module[kind]) {
        return module[kind];
      }
    } catch (e) {
      if (e.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED" && e.code !== "ERR_MODULE_NOT_FOUND") {
        throw e;
      }
    }
  }
  return null;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE...");
  process.exit(2);
}

let valid = 0;
let invalid = 0;
for (const file of files) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length > 0) {
      console.log(`INVALID ${file}: not YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      invalid++;
      continue;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) {
      continue;
    }
    const name = `${object.kind}/${object.metadata?.name ?? "(no name)"}`;
    const Model = object.apiVersion && object.kind ? await modelClass(object.apiVersion, object.kind) : null;
    if (!Model) {
      console.log(`INVALID ${name}: no schema for apiVersion ${object.apiVersion} kind ${object.kind}`);
      invalid++;
      continue;
    }
    try {
      new Model(object).validate();
      console.log(`valid ${name}`);
      valid++;
    } catch (e) {
      console.log(`INVALID ${name}: ${e.message}`);
      invalid++;
    }
  }
}
console.log(`${valid} valid, ${invalid} invalid`);
process.exit(invalid === 0 && valid > 0 ? 0 : 1);
