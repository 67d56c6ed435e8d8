// Offline validation of pushgate's Kubernetes manifests: every overlay and example is rendered and
// every object is checked against its published schema, strictly, and against pushgate's own rules.
//
//   node validate.mjs [--raw] REPO      render every target of REPO/k8s in a throwaway copy (with
//                                       throwaway secrets from k8s/make-secrets.sh) and check it
//   node validate.mjs --self-test REPO  break each rule on purpose and show the check catches it
//
// --raw: no kubectl with kustomize v4+ here; render with the small kustomize in render-raw.mjs,
// which covers the base, the overlays and the components (not the two-installs example).
//
// Schemas: Kubernetes from kubernetes-models, the Prometheus operator's ServiceMonitor and
// PrometheusRule from @kubernetes-models/prometheus-operator, Gateway and HTTPRoute from
// @kubernetes-models/gateway-api (all compiled from the projects' published OpenAPI schemas).
// Those schemas allow unknown fields (as the API server does without strict field validation), so
// each object is also walked while its validator runs: a field the validator never looked at is a
// field the schema does not have, and is refused, as `kubectl apply --validate=strict` would.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import { renderRaw } from "./render-raw.mjs";

// Every kustomization a user may apply, and what is special about it. A new overlay or example
// directory that is not listed here fails the "coverage" check.
export const TARGETS = [
  { dir: "k8s", what: "the default install (k8s/ = base): no Secret, the two Secrets referenced by name",
    externalSecrets: ["pushgate-auth", "pushgate-eventbus-tls"], noSecrets: true },
  { dir: "k8s/overlays/development", what: "one small pod on a local cluster" },
  { dir: "k8s/overlays/production", what: "Secrets generated from the operator's files, TLS Ingress" },
  { dir: "k8s/examples/production-monitoring-autoscaling", what: "production + monitoring + autoscaling components" },
  { dir: "k8s/examples/production-gateway-api", what: "production + Gateway API (HTTPRoute) instead of the Ingress" },
  { dir: "k8s/examples/two-installs", what: "two installs in one namespace", installs: 2, raw: false },
];

const PORTS = { public: 7777, api: 7799, hazelcast: 5701, eventbus: 15701 };
const INTERNAL = new Set([PORTS.api, PORTS.hazelcast, PORTS.eventbus]);
// What the node refuses as a secret (README, Security): text a person would leave in a template.
const PLACEHOLDER = /placeholder|replace-me|changeme/i;
const CLIENT_LABEL = "pushgate-client";
const CLUSTER_LABEL = "pushgate-cluster";
const SHUTDOWN_MARGIN_S = 5;

// The node's sources, in the repository this validator belongs to: the numbers of the node's own
// behaviour that a check needs are read where the node declares them, so they cannot drift apart.
const JAVA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/main/java/io/pushgate");
function declared(file, pattern, what) {
  const m = fs.readFileSync(path.join(JAVA, file), "utf8").match(pattern);
  if (!m) throw new Error(`${what} is not declared as a number in src/main/java/io/pushgate/${file}, where this check reads it`);
  return Number(m[1].replace(/_/g, ""));
}
const javaConstant = (file, name) => declared(file, new RegExp(`static final long ${name} = ([0-9_]+);`), name);
const settingDefault = (key) => declared("config/Setting.java", new RegExp(`\\("${key}", ([0-9_]+),`), `the default of ${key}`);

// ---------------------------------------------------------------------------------------------
// Schemas, strict

const SCHEMA_PACKAGES = {
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
  "gateway.networking.k8s.io": "@kubernetes-models/gateway-api",
};

async function modelFor(apiVersion, kind) {
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
  const pkg = SCHEMA_PACKAGES[group];
  let mod;
  try {
    mod = await import(pkg ? `${pkg}/${apiVersion}` : `kubernetes-models/${apiVersion}`);
  } catch {
    return null;
  }
  return typeof mod[kind] === "function" ? mod[kind] : null;
}

// Records every property the schema validator reads; a map-typed object (labels, data, ...) is
// enumerated by the validator, which marks all its keys as known.
function tracked(value, at, seen, maps) {
  if (value === null || typeof value !== "object") return value;
  const isArray = Array.isArray(value);
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key !== "string") return v;
      if (!isArray) seen.add(`${at}/${key}`);
      return Object.prototype.hasOwnProperty.call(target, key) ? tracked(v, `${at}/${key}`, seen, maps) : v;
    },
    has(target, key) {
      if (!isArray && typeof key === "string") seen.add(`${at}/${key}`);
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      if (!isArray) maps.add(at);
      return Reflect.ownKeys(target);
    },
  });
}

function unknownFields(value, at, seen, maps, out) {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => unknownFields(v, `${at}/${i}`, seen, maps, out));
    return;
  }
  for (const key of Object.keys(value)) {
    const p = `${at}/${key}`;
    if (!maps.has(at) && !seen.has(p)) out.push(p);
    else unknownFields(value[key], p, seen, maps, out);
  }
}

async function schemaErrors(obj) {
  const errs = [];
  if (!obj || typeof obj !== "object" || !obj.apiVersion || !obj.kind) return [["schema", "apiVersion and kind are required"]];
  const Model = await modelFor(obj.apiVersion, obj.kind);
  if (!Model) return [["schema", `no schema for ${obj.apiVersion} ${obj.kind}: an unknown kind is refused, not skipped`]];
  const plain = JSON.parse(JSON.stringify(new Model(obj)));
  // kustomize folds long base64 over lines; the API server's decoder skips the newlines, the
  // schema's "byte" format does not.
  if (obj.kind === "Secret") for (const k of Object.keys(plain.data ?? {})) plain.data[k] = String(plain.data[k]).replace(/\n/g, "");
  const seen = new Set();
  const maps = new Set();
  try {
    Model.prototype.validate.call(tracked(plain, "", seen, maps));
  } catch (e) {
    for (const x of e.errors ?? [e]) {
      errs.push(["schema", x.instancePath !== undefined
        ? `${x.instancePath || "/"} ${x.message}${x.params?.allowedValues ? " " + JSON.stringify(x.params.allowedValues) : ""}`
        : String(x.message ?? x)]);
    }
  }
  const unknown = [];
  unknownFields(plain, "", seen, maps, unknown);
  for (const u of unknown) errs.push(["unknown-field", `${u}: not a field of ${obj.apiVersion} ${obj.kind}`]);
  return errs;
}

// ---------------------------------------------------------------------------------------------
// Helpers over rendered objects

const id = (o) => `${o.kind}/${o.metadata?.name}`;
const ofKind = (objs, kind) => objs.filter((o) => o.kind === kind);
// Generated names carry a content hash: pushgate-conf-9hf684c8t7 is "pushgate-conf".
const baseName = (n) => String(n ?? "").replace(/-[a-z0-9]{10}$/, "");

function selects(selector, labels) {
  if (!selector) return false;
  const ml = selector.matchLabels ?? {};
  const me = selector.matchExpressions ?? [];
  if (Object.keys(ml).length === 0 && me.length === 0) return true;
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of me) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    if (e.operator === "In" && !(has && e.values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && e.values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

// Does this selector admit ONLY pods whose label KEY is VALUE?
function requires(selector, key, value) {
  if (!selector) return false;
  if (selector.matchLabels?.[key] === value) return true;
  return (selector.matchExpressions ?? []).some((e) => e.key === key && e.operator === "In" && e.values.length === 1 && e.values[0] === value);
}
const nonEmpty = (sel) => !!sel && (Object.keys(sel.matchLabels ?? {}).length > 0 || (sel.matchExpressions ?? []).length > 0);

function decodeSecret(s) {
  const out = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(String(v), "base64").toString("utf8");
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = String(v);
  return out;
}

function findSecret(objs, name) {
  return ofKind(objs, "Secret").find((s) => s.metadata.name === name);
}

// The installs in a render: one per pushgate Deployment.
function installs(objs) {
  return ofKind(objs, "Deployment").map((d) => {
    const pod = d.spec?.template ?? {};
    const c = (pod.spec?.containers ?? []).find((x) => x.name === "pushgate") ?? pod.spec?.containers?.[0] ?? {};
    const env = new Map((c.env ?? []).map((e) => [e.name, e]));
    const labels = pod.metadata?.labels ?? {};
    return { d, pod, spec: pod.spec ?? {}, c, env, labels, name: d.metadata.name };
  });
}

// $(VAR) expansion as the kubelet does it, with downward-API fields turned into what they read.
function expand(inst, value) {
  return String(value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) => {
    const e = inst.env.get(v);
    if (!e) return m;
    if (e.value !== undefined) return expand(inst, e.value);
    const f = e.valueFrom?.fieldRef?.fieldPath;
    const label = f?.match(/^metadata\.labels\['(.+)'\]$/);
    if (label) return inst.labels[label[1]] ?? `<no label ${label[1]}>`;
    if (f === "metadata.namespace") return "<namespace>";
    return `<${v}>`;
  });
}

function envValue(inst, name) {
  const e = inst.env.get(name);
  return e?.value !== undefined ? expand(inst, e.value) : undefined;
}

function confFor(objs, inst) {
  const vol = (inst.spec.volumes ?? []).find((v) => v.configMap && (inst.c.volumeMounts ?? []).some((m) => m.name === v.name && m.mountPath === "/app/conf"));
  const cm = vol && ofKind(objs, "ConfigMap").find((m) => m.metadata.name === vol.configMap.name);
  let json = {};
  try { json = JSON.parse(cm?.data?.["pushgate.json"] ?? "{}"); } catch { /* reported by "conf" */ }
  return { cm, json, xml: cm?.data?.["cluster-k8s.xml"] };
}

// A setting as the node sees it: PUSHGATE_<UPPER_SNAKE> beats conf/pushgate.json beats the default.
function setting(objs, inst, key, dflt) {
  const envName = "PUSHGATE_" + key.replace(/([A-Z])/g, "_$1").toUpperCase();
  const v = envValue(inst, envName);
  if (v !== undefined) return v;
  const j = confFor(objs, inst).json;
  return j[key] !== undefined ? String(j[key]) : dflt;
}

function containerPortNumber(inst, port) {
  if (typeof port === "number") return (inst.c.ports ?? []).some((p) => p.containerPort === port) ? port : undefined;
  return (inst.c.ports ?? []).find((p) => p.name === port)?.containerPort;
}

// The container port numbers a Service port reaches, in the pods it selects.
function serviceTargets(objs, svc, sp) {
  const out = [];
  for (const inst of installs(objs)) {
    if (!svc.spec?.selector || !selects({ matchLabels: svc.spec.selector }, inst.labels)) continue;
    const tp = sp.targetPort ?? sp.port;
    out.push({ inst, number: containerPortNumber(inst, tp), tp });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The checks. Each returns [checkId, message] pairs; the self-test breaks each one on purpose.

export const CHECKS = {};
const check = (name, what, fn) => { CHECKS[name] = { what, fn }; };

check("target-port", "every Service, probe, Ingress and HTTPRoute port names a real container or Service port", (objs) => {
  const errs = [];
  for (const svc of ofKind(objs, "Service")) {
    for (const sp of svc.spec?.ports ?? []) {
      const targets = serviceTargets(objs, svc, sp);
      if (targets.length === 0) errs.push(`${id(svc)} selects no rendered pod`);
      for (const t of targets) {
        if (t.number === undefined) errs.push(`${id(svc)} port ${sp.name ?? sp.port}: targetPort ${JSON.stringify(t.tp)} is no container port of ${t.inst.name}`);
      }
    }
  }
  for (const inst of installs(objs)) {
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe"]) {
      const p = inst.c[probe]?.httpGet?.port;
      if (p !== undefined && containerPortNumber(inst, p) === undefined) errs.push(`${inst.name} ${probe} port ${JSON.stringify(p)} is no container port`);
    }
  }
  for (const ing of ofKind(objs, "Ingress")) {
    for (const r of ing.spec?.rules ?? []) for (const p of r.http?.paths ?? []) {
      const b = p.backend?.service;
      const svc = ofKind(objs, "Service").find((s) => s.metadata.name === b?.name);
      const sp = svc?.spec?.ports?.find((x) => (b.port?.name ? x.name === b.port.name : x.port === b.port?.number));
      if (!sp) errs.push(`${id(ing)} backend ${b?.name}:${b?.port?.name ?? b?.port?.number} is no rendered Service port`);
    }
  }
  for (const rt of ofKind(objs, "HTTPRoute")) {
    for (const r of rt.spec?.rules ?? []) for (const b of r.backendRefs ?? []) {
      const svc = ofKind(objs, "Service").find((s) => s.metadata.name === b.name);
      if (!svc?.spec?.ports?.some((x) => x.port === b.port)) errs.push(`${id(rt)} backendRef ${b.name}:${b.port} is no rendered Service port`);
    }
  }
  return errs.map((e) => ["target-port", e]);
});

check("selectors", "the Deployment's selector, PDB and spread constraints select its own pods", (objs) => {
  const errs = [];
  for (const inst of installs(objs)) {
    if (!selects(inst.d.spec?.selector, inst.labels)) errs.push(`${inst.name}: its selector does not match its pod template`);
    if (!ofKind(objs, "PodDisruptionBudget").some((p) => selects(p.spec?.selector, inst.labels))) errs.push(`${inst.name}: no PodDisruptionBudget selects its pods`);
  }
  return errs.map((e) => ["selectors", e]);
});

check("topology", "pods spread over zones and over nodes", (objs) => {
  const errs = [];
  for (const inst of installs(objs)) {
    const tsc = inst.spec.topologySpreadConstraints ?? [];
    for (const key of ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]) {
      const c = tsc.find((t) => t.topologyKey === key);
      if (!c) errs.push(`${inst.name}: no topologySpreadConstraint over ${key}`);
      else if (!selects(c.labelSelector, inst.labels)) errs.push(`${inst.name}: the ${key} constraint does not select its pods`);
    }
  }
  return errs.map((e) => ["topology", e]);
});

check("netpol", "7777 from anywhere, or only from the proxy's namespace where trustedProxies is set; 7799 only from pushgate-client pods or a Prometheus (namespace AND pod); 5701/15701 only from this install's cluster members", (objs) => {
  const errs = [];
  for (const inst of installs(objs)) {
    const member = inst.labels[CLUSTER_LABEL];
    if (!member) errs.push(`${inst.name}: pods lack the ${CLUSTER_LABEL} label`);
    const policies = ofKind(objs, "NetworkPolicy").filter((p) => selects(p.spec?.podSelector, inst.labels)
      && (p.spec.policyTypes ?? ["Ingress"]).includes("Ingress"));
    if (policies.length === 0) { errs.push(`${inst.name}: no NetworkPolicy restricts ingress to its pods`); continue; }
    const admitted = { [PORTS.public]: [], [PORTS.api]: [], [PORTS.hazelcast]: [], [PORTS.eventbus]: [] };
    for (const p of policies) for (const rule of p.spec.ingress ?? []) {
      if (!rule.ports || rule.ports.length === 0) { errs.push(`${id(p)}: a rule without ports admits every port`); continue; }
      for (const port of rule.ports) {
        const lo = typeof port.port === "number" ? port.port : containerPortNumber(inst, port.port);
        if (lo === undefined) { errs.push(`${id(p)}: port ${JSON.stringify(port.port)} matches no container port (a named port the pod lacks, or none: every port)`); continue; }
        const hi = port.endPort ?? lo;
        for (const n of Object.keys(admitted).map(Number)) if (n >= lo && n <= hi) admitted[n].push({ p, from: rule.from });
      }
    }
    const proxies = setting(objs, inst, "trustedProxies", "").trim();
    if (!proxies) {
      if (!admitted[PORTS.public].some((a) => !a.from || a.from.length === 0)) errs.push(`${inst.name}: 7777 is not open to everyone (clients, Ingress controller, probes)`);
    } else {
      // X-Forwarded-For is believed from those addresses: only the proxy may reach the public port.
      if (admitted[PORTS.public].length === 0) errs.push(`${inst.name}: 7777 is closed: the Ingress controller cannot reach it`);
      for (const a of admitted[PORTS.public]) {
        if (!a.from || a.from.length === 0) { errs.push(`${id(a.p)}: 7777 is open to everyone while trustedProxies is ${proxies}: any pod could name any client address`); continue; }
        for (const peer of a.from) {
          if (peer.ipBlock || !nonEmpty(peer.namespaceSelector)) errs.push(`${id(a.p)}: 7777 admits ${JSON.stringify(peer)} while trustedProxies is set; only the proxy's namespace (a namespaceSelector)`);
        }
      }
    }
    for (const a of admitted[PORTS.api]) {
      if (!a.from || a.from.length === 0) { errs.push(`${id(a.p)}: 7799 is open to everyone`); continue; }
      for (const peer of a.from) {
        const client = !peer.namespaceSelector && !peer.ipBlock && requires(peer.podSelector, CLIENT_LABEL, "true");
        const scraper = !peer.ipBlock && nonEmpty(peer.namespaceSelector) && nonEmpty(peer.podSelector);
        if (!client && !scraper) errs.push(`${id(a.p)}: 7799 admits ${JSON.stringify(peer)}; only pods labelled ${CLIENT_LABEL}: "true" of this namespace, or a peer with both a namespaceSelector and a podSelector`);
      }
    }
    if (!admitted[PORTS.api].some((a) => a.from?.some((peer) => !peer.namespaceSelector && requires(peer.podSelector, CLIENT_LABEL, "true")))) errs.push(`${inst.name}: 7799 is closed to ${CLIENT_LABEL} pods, the push API's users`);
    for (const port of [PORTS.hazelcast, PORTS.eventbus]) {
      for (const a of admitted[port]) {
        if (!a.from || a.from.length === 0) { errs.push(`${id(a.p)}: ${port} is open to everyone`); continue; }
        for (const peer of a.from) {
          if (peer.namespaceSelector || peer.ipBlock || !member || !requires(peer.podSelector, CLUSTER_LABEL, member)) {
            errs.push(`${id(a.p)}: ${port} admits ${JSON.stringify(peer)}; only pods labelled ${CLUSTER_LABEL}: ${member} (this install's members)`);
          }
        }
      }
      if (!admitted[port].some((a) => a.from?.some((peer) => selects(peer.podSelector, inst.labels) && !peer.namespaceSelector))) errs.push(`${inst.name}: its own pods cannot reach each other's ${port}: the cluster cannot form`);
    }
  }
  return errs.map((e) => ["netpol", e]);
});

check("security-context", "non-root, read-only root filesystem, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault, no service-account token", (objs) => {
  const errs = [];
  for (const inst of installs(objs)) {
    const pod = inst.spec.securityContext ?? {};
    if (inst.spec.automountServiceAccountToken !== false) errs.push(`${inst.name}: automountServiceAccountToken is not false`);
    for (const h of ["hostNetwork", "hostPID", "hostIPC"]) if (inst.spec[h]) errs.push(`${inst.name}: ${h}`);
    for (const c of [...(inst.spec.initContainers ?? []), ...(inst.spec.containers ?? [])]) {
      const sc = c.securityContext ?? {};
      const at = `${inst.name}/${c.name}`;
      if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) errs.push(`${at}: runAsNonRoot is not true`);
      if ((sc.runAsUser ?? pod.runAsUser) === 0) errs.push(`${at}: runs as UID 0`);
      if (sc.readOnlyRootFilesystem !== true) errs.push(`${at}: readOnlyRootFilesystem is not true`);
      if (sc.allowPrivilegeEscalation !== false) errs.push(`${at}: allowPrivilegeEscalation is not false`);
      if (sc.privileged) errs.push(`${at}: privileged`);
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) errs.push(`${at}: capabilities.drop lacks ALL`);
      if ((sc.capabilities?.add ?? []).length) errs.push(`${at}: adds capabilities ${sc.capabilities.add}`);
      if ((sc.seccompProfile ?? pod.seccompProfile)?.type !== "RuntimeDefault") errs.push(`${at}: seccompProfile is not RuntimeDefault`);
    }
  }
  return errs.map((e) => ["security-context", e]);
});

check("exposure", "no LoadBalancer/NodePort Service, Ingress or HTTPRoute reaches 7799, 5701 or 15701", (objs) => {
  const errs = [];
  const internal = (svc, sp) => INTERNAL.has(sp.port) || serviceTargets(objs, svc, sp).some((t) => INTERNAL.has(t.number));
  for (const svc of ofKind(objs, "Service")) {
    const outside = svc.spec?.type === "LoadBalancer" || svc.spec?.type === "NodePort" || (svc.spec?.externalIPs ?? []).length > 0;
    for (const sp of svc.spec?.ports ?? []) {
      if (outside && internal(svc, sp)) errs.push(`${id(svc)} (${svc.spec.type ?? "externalIPs"}) exposes port ${sp.port} (to ${serviceTargets(objs, svc, sp).map((t) => t.number).join(", ") || sp.port})`);
    }
    if (svc.spec?.sessionAffinity && svc.spec.sessionAffinity !== "None") errs.push(`${id(svc)}: sessionAffinity ${svc.spec.sessionAffinity}: pushgate needs no sticky sessions`);
  }
  const byName = (n) => ofKind(objs, "Service").find((s) => s.metadata.name === n);
  for (const ing of ofKind(objs, "Ingress")) {
    const backends = [ing.spec?.defaultBackend?.service, ...(ing.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend?.service))].filter(Boolean);
    for (const b of backends) {
      const svc = byName(b.name);
      const sp = svc?.spec?.ports?.find((x) => (b.port?.name ? x.name === b.port.name : x.port === b.port?.number));
      if (svc && sp && internal(svc, sp)) errs.push(`${id(ing)} routes to ${b.name}:${sp.port}, an internal port`);
    }
  }
  for (const rt of ofKind(objs, "HTTPRoute")) for (const r of rt.spec?.rules ?? []) for (const b of r.backendRefs ?? []) {
    const svc = byName(b.name);
    const sp = svc?.spec?.ports?.find((x) => x.port === b.port);
    if (INTERNAL.has(b.port) || (svc && sp && internal(svc, sp))) errs.push(`${id(rt)} routes to ${b.name}:${b.port}, an internal port`);
  }
  return errs.map((e) => ["exposure", e]);
});

check("secrets", "no secret value in git or in a literal env; generated Secrets hold no placeholder, no stray whitespace, long enough keys", (objs, target) => {
  const errs = [];
  if (target.noSecrets) for (const s of ofKind(objs, "Secret")) errs.push(`${id(s)}: the default install must not carry a Secret`);
  for (const inst of installs(objs)) {
    for (const e of inst.c.env ?? []) {
      if (/SECRET|PASSWORD|_KEYS?$|TOKEN/.test(e.name) && e.value !== undefined) errs.push(`${inst.name}: ${e.name} is a literal value; secrets come from a Secret (secretKeyRef)`);
    }
  }
  for (const s of ofKind(objs, "Secret")) {
    const data = decodeSecret(s);
    for (const [k, v] of Object.entries(data)) {
      if (k.endsWith(".p12")) continue;
      if (PLACEHOLDER.test(v)) errs.push(`${id(s)}: ${k} looks like a placeholder; the node refuses to start with it`);
      if (v !== v.trim()) errs.push(`${id(s)}: ${k} starts or ends with white space (a newline from echo?); it would become part of the key`);
      if (v.length === 0) errs.push(`${id(s)}: ${k} is empty`);
    }
    if (data.jwtHs256Secret !== undefined && data.jwtHs256Secret.length < 32) errs.push(`${id(s)}: jwtHs256Secret is shorter than 32 bytes`);
    if (data.apiKeys !== undefined && data.apiKeys.split(",").some((k) => k.trim().length < 16)) errs.push(`${id(s)}: an API key is shorter than 16 characters`);
  }
  return errs.map((e) => ["secrets", e]);
});

check("secret-refs", "every Secret a pod or ServiceMonitor reads is rendered, with that key, or is named as external", (objs, target) => {
  const errs = [];
  const external = new Set(target.externalSecrets ?? []);
  const need = (who, name, key) => {
    if (external.has(baseName(name))) return;
    const s = findSecret(objs, name);
    if (!s) errs.push(`${who} reads Secret ${name}, which is not rendered`);
    else if (key && !(key in decodeSecret(s))) errs.push(`${who} reads key ${key} of ${name}, which it lacks`);
  };
  for (const inst of installs(objs)) {
    for (const e of inst.c.env ?? []) if (e.valueFrom?.secretKeyRef) need(`${inst.name} env ${e.name}`, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
    for (const v of inst.spec.volumes ?? []) if (v.secret) for (const it of v.secret.items ?? [{}]) need(`${inst.name} volume ${v.name}`, v.secret.secretName, it.key);
  }
  for (const sm of ofKind(objs, "ServiceMonitor")) for (const ep of sm.spec?.endpoints ?? []) {
    const cr = ep.authorization?.credentials;
    if (cr) need(`${id(sm)}`, cr.name, cr.key);
  }
  return errs.map((e) => ["secret-refs", e]);
});

check("api-keys", "the API listens on the pod IP only with API keys from a Secret, never apiInsecure", (objs) => {
  const errs = [];
  for (const inst of installs(objs)) {
    const host = setting(objs, inst, "apiHost", "127.0.0.1");
    if (host !== "0.0.0.0") errs.push(`${inst.name}: apiHost is ${host}; the pushgate-api Service needs 0.0.0.0 (PUSHGATE_API_HOST)`);
    if (!inst.env.get("PUSHGATE_API_KEYS")?.valueFrom?.secretKeyRef) errs.push(`${inst.name}: PUSHGATE_API_KEYS does not come from a Secret`);
    if (/^true$/i.test(setting(objs, inst, "apiInsecure", "false"))) errs.push(`${inst.name}: apiInsecure is true`);
  }
  return errs.map((e) => ["api-keys", e]);
});

check("eventbus-tls", "event-bus TLS is on: key store from a read-only Secret mount, its password from a Secret", (objs) => {
  const errs = [];
  for (const inst of installs(objs)) {
    if (!(inst.c.args ?? []).includes("-cluster")) errs.push(`${inst.name}: not started with -cluster`);
    const ks = envValue(inst, "PUSHGATE_EVENT_BUS_TLS_KEY_STORE");
    if (!ks) { errs.push(`${inst.name}: PUSHGATE_EVENT_BUS_TLS_KEY_STORE is not set`); continue; }
    if (!inst.env.get("PUSHGATE_EVENT_BUS_TLS_KEY_STORE_PASSWORD")?.valueFrom?.secretKeyRef) errs.push(`${inst.name}: PUSHGATE_EVENT_BUS_TLS_KEY_STORE_PASSWORD does not come from a Secret`);
    const mount = (inst.c.volumeMounts ?? []).find((m) => ks.startsWith(m.mountPath.replace(/\/?$/, "/")));
    const vol = mount && (inst.spec.volumes ?? []).find((v) => v.name === mount.name);
    if (!mount || !vol?.secret) errs.push(`${inst.name}: ${ks} is not in a Secret volume`);
    else {
      if (mount.readOnly !== true) errs.push(`${inst.name}: the key store's mount ${mount.mountPath} is not readOnly`);
      const file = ks.slice(mount.mountPath.replace(/\/?$/, "/").length);
      if (vol.secret.items && !vol.secret.items.some((i) => i.path === file)) errs.push(`${inst.name}: volume ${vol.name} does not provide ${file}`);
    }
  }
  return errs.map((e) => ["eventbus-tls", e]);
});

check("shutdown-budget", "PUSHGATE_SHUTDOWN_TIMEOUT_MILLIS = (terminationGracePeriodSeconds - preStop sleep - 5 s) x 1000, and the drain's longest (push API off the event bus, spread, close timeout, as capped by the node) + Hazelcast's graceful wait fit in it", (objs) => {
  const errs = [];
  // What the node does on SIGTERM (NodeVerticle.drain, Main.beforeStoppingVertx): it waits up to
  // API_DRAIN_MILLIS for the push API to leave the event bus, spreads its 1001s over drainSpreadMillis
  // but at most SPREAD_SHARE_PERCENT of the budget, and gives the last clients closeTimeoutMillis to
  // answer; Main waits for all that at most DRAIN_SHARE_PERCENT of the budget. Then Hazelcast leaves,
  // for up to its graceful wait. Whatever passes the budget is cut by the deadline's halt(1), in the
  // middle of the leave, whose partitions then move as after a crash.
  const apiDrain = javaConstant("node/NodeVerticle.java", "API_DRAIN_MILLIS");
  const spreadShare = javaConstant("node/NodeVerticle.java", "SPREAD_SHARE_PERCENT");
  const drainShare = javaConstant("node/Main.java", "DRAIN_SHARE_PERCENT");
  for (const inst of installs(objs)) {
    const grace = inst.spec.terminationGracePeriodSeconds ?? 30;
    const pre = inst.c.lifecycle?.preStop;
    let sleep = 0;
    if (pre?.sleep) sleep = pre.sleep.seconds;
    else if (pre?.exec) {
      const m = pre.exec.command.join(" ").match(/\bsleep\s+(\d+)\b/);
      if (!m) errs.push(`${inst.name}: preStop is not a sleep; its length cannot be checked`);
      sleep = m ? Number(m[1]) : 0;
    }
    const timeout = Number(envValue(inst, "PUSHGATE_SHUTDOWN_TIMEOUT_MILLIS"));
    const want = (grace - sleep - SHUTDOWN_MARGIN_S) * 1000;
    if (!Number.isFinite(timeout)) errs.push(`${inst.name}: PUSHGATE_SHUTDOWN_TIMEOUT_MILLIS is not set`);
    else if (timeout !== want) errs.push(`${inst.name}: PUSHGATE_SHUTDOWN_TIMEOUT_MILLIS is ${timeout}, not (${grace} s grace - ${sleep} s preStop - ${SHUTDOWN_MARGIN_S} s) x 1000 = ${want}`);
    const spread = Number(setting(objs, inst, "drainSpreadMillis", String(settingDefault("drainSpreadMillis"))));
    const close = Number(setting(objs, inst, "closeTimeoutMillis", String(settingDefault("closeTimeoutMillis"))));
    const window = Math.min(spread, Math.floor(timeout * spreadShare / 100));
    const drain = Math.min(apiDrain + window + close, Math.floor(timeout * drainShare / 100));
    const xml = confFor(objs, inst).xml ?? "";
    const wait = xml.match(/<property\s+name="hazelcast\.graceful\.shutdown\.max\.wait">\s*(\d+)\s*</);
    if (!wait) errs.push(`${inst.name}: cluster-k8s.xml does not cap hazelcast.graceful.shutdown.max.wait (600 s by default)`);
    else if (drain + Number(wait[1]) * 1000 > timeout) {
      errs.push(`${inst.name}: the drain's longest ${drain} ms (push API off the event bus ${apiDrain} ms + 1001s spread over ${window} ms`
        + ` + closeTimeoutMillis ${close} ms, at most ${drainShare} % of the budget) + Hazelcast's graceful wait ${wait[1]} s exceed the`
        + ` shutdown budget ${timeout} ms: the deadline would halt the node while it leaves the cluster`);
    }
  }
  return errs.map((e) => ["shutdown-budget", e]);
});

check("cluster", "each install finds its own headless Service and runs its own Hazelcast cluster name; min members set and reachable", (objs) => {
  const errs = [];
  const hpas = ofKind(objs, "HorizontalPodAutoscaler");
  for (const inst of installs(objs)) {
    const dns = envValue(inst, "HAZELCAST_KUBERNETES_SERVICE_DNS");
    const svc = ofKind(objs, "Service").find((s) => s.metadata.name === dns);
    if (!svc) errs.push(`${inst.name}: HAZELCAST_KUBERNETES_SERVICE_DNS is ${dns}, no rendered Service`);
    else {
      if (svc.spec.clusterIP !== "None") errs.push(`${id(svc)} is not headless`);
      if (svc.spec.publishNotReadyAddresses !== true) errs.push(`${id(svc)}: publishNotReadyAddresses is not true (pods are ready only after joining)`);
      if (!selects({ matchLabels: svc.spec.selector }, inst.labels)) errs.push(`${id(svc)} does not select ${inst.name}'s pods`);
      if (!requires({ matchLabels: svc.spec.selector }, CLUSTER_LABEL, inst.labels[CLUSTER_LABEL])) errs.push(`${id(svc)} does not select by ${CLUSTER_LABEL}`);
    }
    const conf = confFor(objs, inst);
    const file = envValue(inst, "PUSHGATE_CLUSTER_CONFIG");
    if (!file || !file.startsWith("/app/conf/") || !conf.cm?.data?.[path.basename(file)]) errs.push(`${inst.name}: PUSHGATE_CLUSTER_CONFIG ${file} is not a file of the mounted ConfigMap`);
    const name = (conf.xml ?? "").match(/<cluster-name>\s*([^<]*?)\s*<\/cluster-name>/)?.[1] ?? "";
    const prop = name.match(/^\$\{(.+)\}$/)?.[1];
    if (!prop) errs.push(`${inst.name}: cluster-k8s.xml fixes the cluster name (${name}); two installs would merge`);
    else {
      const opt = (envValue(inst, "JDK_JAVA_OPTIONS") ?? "").split(/\s+/).find((o) => o.startsWith(`-D${prop}=`));
      const val = opt?.slice(prop.length + 3) ?? "";
      if (!opt) errs.push(`${inst.name}: JDK_JAVA_OPTIONS does not set -D${prop}; the node would refuse to start`);
      else if (!val.includes(inst.labels[CLUSTER_LABEL]) || !val.includes("<namespace>")) errs.push(`${inst.name}: the cluster name ${val} is not made of the namespace and the ${CLUSTER_LABEL} label`);
    }
    const min = Number(envValue(inst, "PUSHGATE_MIN_CLUSTER_MEMBERS"));
    if (!Number.isInteger(min) || min < 1) errs.push(`${inst.name}: PUSHGATE_MIN_CLUSTER_MEMBERS is not set`);
    const replicas = inst.d.spec.replicas;
    if (replicas !== undefined && replicas >= 3 && min < 2) errs.push(`${inst.name}: ${replicas} replicas but minClusterMembers ${min}: a split would go unnoticed`);
    if (replicas !== undefined && min > replicas) errs.push(`${inst.name}: minClusterMembers ${min} > replicas ${replicas}: never ready`);
    for (const h of hpas.filter((x) => x.spec.scaleTargetRef?.name === inst.name)) if (h.spec.minReplicas < min) errs.push(`${id(h)}: minReplicas below minClusterMembers`);
  }
  return errs.map((e) => ["cluster", e]);
});

check("env-order", "every $(VAR) in env, args and command names a variable defined before it (else Kubernetes passes it literally)", (objs) => {
  const errs = [];
  for (const inst of installs(objs)) {
    const seen = new Set();
    for (const e of inst.c.env ?? []) {
      for (const [, v] of String(e.value ?? "").matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) if (!seen.has(v)) errs.push(`${inst.name}: ${e.name} uses $(${v}) before it is defined`);
      seen.add(e.name);
    }
    for (const a of [...(inst.c.args ?? []), ...(inst.c.command ?? [])]) {
      for (const [, v] of String(a).matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) if (!seen.has(v)) errs.push(`${inst.name}: argument ${a} uses $(${v}), not defined`);
    }
  }
  return errs.map((e) => ["env-order", e]);
});

check("service-links", "no Service link variables: a Service named pushgate-api would set PUSHGATE_API_PORT=tcp://... in the pods, which pushgate reads as a setting", (objs) => {
  return installs(objs).filter((i) => i.spec.enableServiceLinks !== false)
    .map((i) => ["service-links", `${i.name}: enableServiceLinks is not false: the Service links' PUSHGATE_* variables (PUSHGATE_API_PORT=tcp://...) collide with settings`]);
});

check("args-only", "the container gives arguments only: the image's ENTRYPOINT starts the JVM", (objs) => {
  return installs(objs).filter((i) => i.c.command).map((i) => ["args-only", `${i.name}: sets command ${JSON.stringify(i.c.command)}; pass args only, so the image decides how the JVM starts`]);
});

check("resources", "Guaranteed QoS (requests = limits) and a whole number of cores (CFS quota per 100 ms tick)", (objs) => {
  const errs = [];
  const cores = (v) => (String(v).endsWith("m") ? Number(String(v).slice(0, -1)) / 1000 : Number(v));
  for (const inst of installs(objs)) {
    const r = inst.c.resources ?? {};
    for (const k of ["cpu", "memory"]) {
      if (r.limits?.[k] === undefined || String(r.limits[k]) !== String(r.requests?.[k] ?? r.limits[k])) errs.push(`${inst.name}: ${k} request ${r.requests?.[k]} != limit ${r.limits?.[k]}`);
    }
    if (r.limits?.cpu !== undefined && !Number.isInteger(cores(r.limits.cpu))) errs.push(`${inst.name}: CPU limit ${r.limits.cpu} is not whole cores`);
  }
  return errs.map((e) => ["resources", e]);
});

check("ingress", "TLS (wss://) on every host, WebSocket timeouts longer than the 20 s ping interval", (objs) => {
  const errs = [];
  const inst = installs(objs)[0];
  const ping = inst ? Number(setting(objs, inst, "heartbeatTimeoutMillis", "60000")) / 3 / 1000 : 20;
  for (const ing of ofKind(objs, "Ingress")) {
    const tlsHosts = new Set((ing.spec?.tls ?? []).flatMap((t) => t.hosts ?? []));
    for (const r of ing.spec?.rules ?? []) if (!r.host || !tlsHosts.has(r.host)) errs.push(`${id(ing)}: host ${r.host ?? "*"} has no TLS`);
    if (ing.spec?.ingressClassName === "nginx") {
      for (const a of ["proxy-read-timeout", "proxy-send-timeout"]) {
        const v = Number(ing.metadata.annotations?.[`nginx.ingress.kubernetes.io/${a}`] ?? 60);
        if (!(v > ping)) errs.push(`${id(ing)}: ${a} ${v} s is not longer than the ${ping} s ping interval`);
      }
    }
  }
  const seconds = (d) => [...String(d).matchAll(/(\d+)(ms|h|m|s)/g)].reduce((t, [, n, u]) => t + Number(n) * { ms: 0.001, s: 1, m: 60, h: 3600 }[u], 0);
  for (const rt of ofKind(objs, "HTTPRoute")) {
    for (const ref of rt.spec?.parentRefs ?? []) {
      const gw = ofKind(objs, "Gateway").find((g) => g.metadata.name === ref.name);
      const l = gw?.spec?.listeners?.find((x) => !ref.sectionName || x.name === ref.sectionName);
      if (gw && !(l && (l.protocol === "HTTPS" || l.protocol === "TLS") && l.tls?.certificateRefs?.length)) errs.push(`${id(rt)}: its listener on ${id(gw)} does not terminate TLS`);
    }
    for (const r of rt.spec?.rules ?? []) {
      const t = r.timeouts?.request;
      if (t === undefined || (seconds(t) !== 0 && seconds(t) <= ping)) errs.push(`${id(rt)}: timeouts.request ${t} would cut WebSockets; "0s" (none) or longer than the ${ping} s ping interval`);
    }
  }
  return errs.map((e) => ["ingress", e]);
});

check("hpa", "the HPA targets the Deployment, which leaves replicas to it, and scales down at most one pod per 2+ minutes", (objs) => {
  const errs = [];
  for (const h of ofKind(objs, "HorizontalPodAutoscaler")) {
    const d = ofKind(objs, "Deployment").find((x) => x.metadata.name === h.spec.scaleTargetRef?.name && h.spec.scaleTargetRef?.kind === "Deployment");
    if (!d) { errs.push(`${id(h)} targets no rendered Deployment`); continue; }
    if (d.spec.replicas !== undefined) errs.push(`${id(d)} sets replicas; each apply would undo the HPA's count`);
    const down = h.spec.behavior?.scaleDown;
    if (!down?.policies?.length) errs.push(`${id(h)}: no scaleDown policy (the default removes up to 100 % at once)`);
    for (const p of down?.policies ?? []) if (p.type !== "Pods" || p.value > 1 || p.periodSeconds < 120) errs.push(`${id(h)}: scaleDown policy ${JSON.stringify(p)} removes more than one pod per 2 minutes`);
    if ((down?.stabilizationWindowSeconds ?? 300) < 300) errs.push(`${id(h)}: scaleDown stabilization under 5 minutes`);
  }
  return errs.map((e) => ["hpa", e]);
});

check("monitoring", "the ServiceMonitor scrapes one install's API Service with one of its API keys", (objs) => {
  const errs = [];
  for (const sm of ofKind(objs, "ServiceMonitor")) {
    const svcs = ofKind(objs, "Service").filter((s) => selects(sm.spec?.selector, s.metadata.labels ?? {}));
    if (svcs.length !== 1) errs.push(`${id(sm)} selects ${svcs.length} Services (${svcs.map(id)}); one API Service expected`);
    for (const ep of sm.spec?.endpoints ?? []) {
      for (const s of svcs) {
        const sp = s.spec.ports.find((p) => p.name === ep.port);
        if (!sp) errs.push(`${id(sm)}: ${id(s)} has no port ${ep.port}`);
        else if (!serviceTargets(objs, s, sp).every((t) => t.number === PORTS.api)) errs.push(`${id(sm)}: port ${ep.port} is not the API port`);
      }
      const cr = ep.authorization?.credentials;
      if (!cr) { errs.push(`${id(sm)}: no authorization; /metrics needs an API key`); continue; }
      const s = findSecret(objs, cr.name);
      if (s) {
        const data = decodeSecret(s);
        if (!(data.apiKeys ?? "").split(",").map((k) => k.trim()).includes(data[cr.key])) errs.push(`${id(sm)}: ${cr.key} of ${cr.name} is not one of its apiKeys: every scrape would get 401`);
      }
    }
  }
  return errs.map((e) => ["monitoring", e]);
});

check("installs", "two installs in one namespace share no Service, PDB, policy, headless Service or Hazelcast cluster", (objs, target) => {
  const errs = [];
  const all = installs(objs);
  if (target.installs && all.length !== target.installs) errs.push(`expected ${target.installs} installs, found ${all.length}`);
  for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) {
    const [a, b] = [all[i], all[j]];
    for (const o of objs) {
      const sel = o.kind === "Service" ? (o.spec?.selector ? { matchLabels: o.spec.selector } : null)
        : o.kind === "PodDisruptionBudget" ? o.spec?.selector : o.kind === "NetworkPolicy" ? o.spec?.podSelector : null;
      if (sel && selects(sel, a.labels) && selects(sel, b.labels)) errs.push(`${id(o)} selects the pods of both ${a.name} and ${b.name}`);
    }
    if (a.labels[CLUSTER_LABEL] === b.labels[CLUSTER_LABEL]) errs.push(`${a.name} and ${b.name} share ${CLUSTER_LABEL}: ${a.labels[CLUSTER_LABEL]}`);
    if (envValue(a, "HAZELCAST_KUBERNETES_SERVICE_DNS") === envValue(b, "HAZELCAST_KUBERNETES_SERVICE_DNS")) errs.push(`${a.name} and ${b.name} discover the same Service`);
  }
  return errs.map((e) => ["installs", e]);
});

// ---------------------------------------------------------------------------------------------
// Running it

export async function validateObjects(objs, target) {
  const failures = [];
  for (const o of objs) for (const [c, m] of await schemaErrors(o)) failures.push([c, `${o.apiVersion} ${id(o)}: ${m}`]);
  for (const [name, { fn }] of Object.entries(CHECKS)) {
    try {
      failures.push(...fn(objs, target));
    } catch (e) {
      failures.push([name, `the check itself failed: ${e.stack}`]);
    }
  }
  return failures;
}

export function listTargets(root) {
  const dirs = [];
  for (const parent of ["k8s/overlays", "k8s/examples"]) {
    for (const d of fs.readdirSync(path.join(root, parent), { withFileTypes: true })) {
      if (d.isDirectory() && fs.existsSync(path.join(root, parent, d.name, "kustomization.yaml"))) dirs.push(`${parent}/${d.name}`);
    }
  }
  return dirs;
}

export function coverage(root, targets = TARGETS) {
  const listed = new Set(targets.map((t) => t.dir));
  return listTargets(root).filter((d) => !listed.has(d)).map((d) => ["coverage", `${d} has a kustomization.yaml but is not in validate.mjs's TARGETS: it would go unchecked`]);
}

// A throwaway copy of k8s/ and conf/ with throwaway secrets made by k8s/make-secrets.sh, so that
// the operator's own secrets (git-ignored, maybe present here) are never read or printed.
export function workCopy(root) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pushgate-k8s-"));
  for (const d of ["k8s", "conf"]) fs.cpSync(path.join(root, d), path.join(tmp, d), { recursive: true });
  const secretDirs = new Set();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name === "secrets") {
          for (const f of fs.readdirSync(p)) if (f !== "README.md") fs.rmSync(path.join(p, f), { recursive: true });
          secretDirs.add(p);
        } else walk(p);
      }
    }
  };
  walk(path.join(tmp, "k8s"));
  for (const d of secretDirs) execFileSync("bash", [path.join(tmp, "k8s/make-secrets.sh"), d], { stdio: ["ignore", "ignore", "pipe"] });
  return tmp;
}

export function render(tmp, dir, raw) {
  if (raw) return renderRaw(path.join(tmp, dir));
  const out = execFileSync("kubectl", ["kustomize", path.join(tmp, dir)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  return yaml.loadAll(out).filter((d) => d != null);
}

async function main() {
  const args = process.argv.slice(2);
  const raw = args.includes("--raw");
  const root = path.resolve(args.filter((a) => !a.startsWith("--"))[0] ?? ".");
  if (args.includes("--self-test")) {
    const { selfTest } = await import("./self-test.mjs");
    process.exit(await selfTest(root, raw));
  }
  const tmp = workCopy(root);
  let failed = 0;
  let objects = 0;
  try {
    for (const f of coverage(root)) { console.log(`FAIL    ${f[0]}: ${f[1]}`); failed++; }
    for (const t of TARGETS) {
      if (raw && t.raw === false) { console.log(`skip    ${t.dir}: needs kubectl kustomize (namePrefix, labels)`); continue; }
      let objs;
      try {
        objs = render(tmp, t.dir, raw);
      } catch (e) {
        console.log(`FAIL    ${t.dir}: render: ${(e.stderr?.toString() || e.message).trim()}`);
        failed++;
        continue;
      }
      const failures = await validateObjects(objs, t);
      objects += objs.length;
      const kinds = [...new Set(objs.map((o) => o.kind))].join(", ");
      if (failures.length === 0) console.log(`ok      ${t.dir}: ${objs.length} objects (${kinds}); ${t.what}`);
      else {
        failed++;
        console.log(`FAIL    ${t.dir}: ${objs.length} objects`);
        for (const [c, m] of failures) console.log(`    [${c}] ${m}`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log("k8s: checked on every target: strict schemas (unknown fields refused), then");
  for (const [name, { what }] of Object.entries(CHECKS)) console.log(`    ${name}: ${what}`);
  if (failed) {
    console.log(`k8s: ${failed} target(s) failed`);
    process.exit(1);
  }
  console.log(`k8s: ${TARGETS.length - (raw ? TARGETS.filter((t) => t.raw === false).length : 0)} targets, ${objects} objects valid`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`k8s: validation failed to run: ${e.stack}`);
    process.exit(1);
  });
}
