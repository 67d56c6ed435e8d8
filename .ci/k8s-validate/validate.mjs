// Validates Kubernetes manifests offline against the Kubernetes OpenAPI schemas that the
// kubernetes-models package compiles in, plus two pushgate invariants a schema can't express.
//
//   node validate.mjs FILE|-          rendered multi-document YAML (kubectl kustomize output)
//   node validate.mjs --raw DIR       no kubectl: follow DIR/kustomization.yaml's resources and
//                                     configMapGenerators by hand (no hashes, no other features)
//
// Exit 0 and "k8s: N objects valid" last, or exit 1 naming each bad object and why.
// Limitation: the Kubernetes schemas allow unknown fields, so a misspelt field name passes here;
// only a real API server (strict field validation) rejects it.
import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";

function parseDocs(text, source) {
  return yaml.loadAll(text, null, { filename: source }).filter((d) => d != null);
}

// A minimal kustomize for the fallback: enough for k8s/ as written, refuses anything else.
function renderRaw(dir) {
  const kfile = path.join(dir, "kustomization.yaml");
  const k = yaml.load(fs.readFileSync(kfile, "utf8"));
  const known = new Set(["apiVersion", "kind", "resources", "configMapGenerator"]);
  for (const key of Object.keys(k)) {
    if (!known.has(key)) throw new Error(`${kfile}: --raw mode cannot render "${key}"; use kubectl kustomize`);
  }
  const out = [];
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    if (fs.statSync(p).isDirectory()) out.push(...renderRaw(p));
    else out.push(...parseDocs(fs.readFileSync(p, "utf8"), p));
  }
  for (const g of k.configMapGenerator ?? []) {
    const data = {};
    for (const f of g.files ?? []) {
      const [key, file] = f.includes("=") ? f.split("=", 2) : [path.basename(f), f];
      data[key] = fs.readFileSync(path.join(dir, file), "utf8");
    }
    for (const l of g.literals ?? []) {
      const i = l.indexOf("=");
      data[l.slice(0, i)] = l.slice(i + 1);
    }
    out.push({ apiVersion: "v1", kind: "ConfigMap",
               metadata: { name: g.name, labels: g.options?.labels }, data });
  }
  return out;
}

// "apps/v1" -> kubernetes-models/apps/v1, "v1" -> kubernetes-models/v1.
async function modelFor(apiVersion, kind) {
  let mod;
  try {
    mod = await import(`kubernetes-models/${apiVersion}`);
  } catch {
    return null;
  }
  return typeof mod[kind] === "function" ? mod[kind] : null;
}

// Invariants from the issues: Hazelcast (5701), the event bus (15701) and the push API (7799) are
// never reachable from outside the cluster, and nothing relies on sticky sessions.
const INTERNAL_PORTS = new Set([5701, 15701, 7799]);
function policyErrors(obj) {
  const errs = [];
  if (obj.kind !== "Service") return errs;
  const spec = obj.spec ?? {};
  if (spec.sessionAffinity && spec.sessionAffinity !== "None") {
    errs.push(`sessionAffinity ${spec.sessionAffinity}: pushgate needs no sticky sessions`);
  }
  if (spec.type === "LoadBalancer" || spec.type === "NodePort") {
    for (const p of spec.ports ?? []) {
      if (INTERNAL_PORTS.has(p.port) || INTERNAL_PORTS.has(p.targetPort)) {
        errs.push(`${spec.type} Service exposes internal port ${p.port}`);
      }
    }
  }
  return errs;
}

async function main() {
  const args = process.argv.slice(2);
  let docs;
  if (args[0] === "--raw" && args[1]) docs = renderRaw(args[1]);
  else if (args[0]) docs = parseDocs(fs.readFileSync(args[0] === "-" ? 0 : args[0], "utf8"), args[0]);
  else {
    console.error("usage: node validate.mjs FILE|- | --raw DIR");
    process.exit(2);
  }

  let failed = 0;
  for (const obj of docs) {
    const id = `${obj.kind ?? "?"}/${obj.metadata?.name ?? "?"}`;
    const errs = [];
    if (!obj.apiVersion || !obj.kind) {
      errs.push("apiVersion and kind are required");
    } else {
      const Model = await modelFor(obj.apiVersion, obj.kind);
      if (!Model) {
        errs.push(`unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
      } else {
        try {
          new Model(obj).validate();
        } catch (e) {
          errs.push(...(e.errors ?? [e]).map((x) => x.instancePath !== undefined
            ? `${x.instancePath || "/"} ${x.message}${x.params?.allowedValues ? " " + JSON.stringify(x.params.allowedValues) : ""}`
            : String(x.message ?? x)));
        }
      }
      errs.push(...policyErrors(obj));
    }
    if (errs.length) {
      failed++;
      console.log(`INVALID ${obj.apiVersion} ${id}`);
      for (const e of errs) console.log(`    ${e}`);
    } else {
      console.log(`ok      ${obj.apiVersion} ${id}`);
    }
  }
  if (docs.length === 0) {
    console.log("k8s: no objects found");
    process.exit(1);
  }
  if (failed) {
    console.log(`k8s: ${failed} of ${docs.length} objects invalid`);
    process.exit(1);
  }
  console.log(`k8s: ${docs.length} objects valid`);
}

main().catch((e) => {
  console.error(`k8s: validation failed to run: ${e.message}`);
  process.exit(1);
});
