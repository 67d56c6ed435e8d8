// A small kustomize, for machines without a kubectl whose kustomize is v4+: enough for k8s/base, the
// overlays and the components as written (resources, components, configMap/secret generators,
// strategic-merge and JSON 6902 patches), and it refuses anything else by name. Generated names get
// no content hash (nothing here renames, so references still match). The self-test compares its
// output with `kubectl kustomize` for every target it covers, so the two cannot drift apart.
import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";

const KNOWN = new Set(["apiVersion", "kind", "resources", "components", "configMapGenerator", "secretGenerator", "patches", "configurations"]);

function loadDocs(file) {
  return yaml.loadAll(fs.readFileSync(file, "utf8"), null, { filename: file }).filter((d) => d != null);
}

function kustomizationOf(dir) {
  const file = path.join(dir, "kustomization.yaml");
  const k = yaml.load(fs.readFileSync(file, "utf8"));
  for (const key of Object.keys(k)) if (!KNOWN.has(key)) throw new Error(`${file}: the raw renderer cannot do "${key}"; use kubectl kustomize`);
  return k;
}

function generate(dir, g, kind) {
  const data = {};
  for (const f of g.files ?? []) {
    const [key, file] = f.includes("=") ? f.split("=", 2) : [path.basename(f), f];
    data[key] = fs.readFileSync(path.join(dir, file));
  }
  for (const e of g.envs ?? []) {
    for (const line of fs.readFileSync(path.join(dir, e), "utf8").split("\n")) {
      const t = line.trim();
      if (!t || t.startsWith("#")) continue;
      const i = t.indexOf("=");
      data[t.slice(0, i)] = Buffer.from(t.slice(i + 1));
    }
  }
  for (const l of g.literals ?? []) {
    const i = l.indexOf("=");
    data[l.slice(0, i)] = Buffer.from(l.slice(i + 1));
  }
  const metadata = { name: g.name };
  if (g.options?.labels) metadata.labels = { ...g.options.labels };
  const out = { apiVersion: "v1", kind, metadata, data: {} };
  for (const [k, v] of Object.entries(data)) out.data[k] = kind === "Secret" ? v.toString("base64") : v.toString("utf8");
  if (kind === "Secret") out.type = "Opaque";
  return out;
}

// Strategic merge, as kustomize does it for the fields used here: maps merge, null deletes, lists
// of objects with a name (containers, env, volumes) or a mountPath merge by it (the patch's items
// first, then the rest in their order), other lists are replaced.
function mergeKey(list) {
  if (list.length && list.every((x) => x && typeof x === "object" && "name" in x)) return "name";
  if (list.length && list.every((x) => x && typeof x === "object" && "mountPath" in x)) return "mountPath";
  return null;
}

function smp(base, patch) {
  if (Array.isArray(patch)) {
    const key = Array.isArray(base) ? mergeKey([...base, ...patch]) : null;
    if (!key) return structuredClone(patch);
    const out = patch.map((p) => {
      const b = base.find((x) => x[key] === p[key]);
      return b ? smp(b, p) : structuredClone(p);
    });
    return [...out, ...base.filter((b) => !patch.some((p) => p[key] === b[key]))];
  }
  if (patch && typeof patch === "object") {
    const out = base && typeof base === "object" && !Array.isArray(base) ? { ...base } : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete out[k];
      else out[k] = smp(out[k], v);
    }
    return out;
  }
  return patch;
}

function pointer(obj, p) {
  const parts = p.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const last = parts.pop();
  let parent = obj;
  for (const s of parts) parent = parent[s];
  return { parent, last };
}

function json6902(obj, ops) {
  for (const op of ops) {
    const { parent, last } = pointer(obj, op.path);
    if (op.op === "remove") Array.isArray(parent) ? parent.splice(Number(last), 1) : delete parent[last];
    else if (op.op === "add" && Array.isArray(parent)) parent.splice(last === "-" ? parent.length : Number(last), 0, op.value);
    else if (op.op === "add" || op.op === "replace") parent[last] = op.value;
    else throw new Error(`JSON patch op ${op.op}: not in the raw renderer`);
  }
}

function applyPatches(dir, k, objs) {
  for (const p of k.patches ?? []) {
    const docs = p.path ? loadDocs(path.join(dir, p.path)) : yaml.loadAll(p.patch);
    const ops = Array.isArray(docs[0]) ? docs[0] : null;
    if (ops) {
      const t = p.target ?? {};
      const hits = objs.filter((o) => (!t.kind || o.kind === t.kind) && (!t.name || o.metadata.name === t.name));
      if (hits.length === 0) throw new Error(`${dir}: a JSON patch matches nothing`);
      for (const o of hits) json6902(o, ops);
      continue;
    }
    for (const d of docs) {
      const i = objs.findIndex((o) => o.kind === d.kind && o.metadata.name === d.metadata.name);
      if (i < 0) throw new Error(`${dir}: patch for ${d.kind}/${d.metadata.name} matches nothing`);
      if (d.$patch === "delete") objs.splice(i, 1);
      else objs[i] = smp(objs[i], d);
    }
  }
}

function build(dir, objs) {
  const k = kustomizationOf(dir);
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    if (fs.statSync(p).isDirectory()) objs.push(...renderRaw(p));
    else objs.push(...loadDocs(p));
  }
  for (const c of k.components ?? []) build(path.join(dir, c), objs);
  for (const g of k.configMapGenerator ?? []) objs.push(generate(dir, g, "ConfigMap"));
  for (const g of k.secretGenerator ?? []) objs.push(generate(dir, g, "Secret"));
  applyPatches(dir, k, objs);
  return objs;
}

export function renderRaw(dir) {
  return build(dir, []);
}
