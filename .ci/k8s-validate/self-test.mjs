// The validator's self-test: a validator that passes everything would hide every mistake, so each
// check is shown to fail on a copy broken on purpose. For each case below: render the target from a
// throwaway copy, break one thing (in the rendered objects, or in a source file before rendering),
// and require that the named check reports it. The unbroken renders must pass every check.
//   node validate.mjs --self-test REPO
// Last line: "k8s: N passed, M failed" (the self-test cases).
import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { CHECKS, TARGETS, validateObjects, workCopy, render, coverage } from "./validate.mjs";
import { renderRaw } from "./render-raw.mjs";

const PROD = "k8s/overlays/production";
const FULL = "k8s/examples/production-monitoring-autoscaling";
const GATEWAY = "k8s/examples/production-gateway-api";
const TWO = "k8s/examples/two-installs";

const find = (objs, kind, name) => objs.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name || o.metadata.name.startsWith(`${name}-`) && /-[a-z0-9]{10}$/.test(o.metadata.name)));
const dep = (objs) => find(objs, "Deployment", "pushgate");
const ctr = (objs) => dep(objs).spec.template.spec.containers[0];
const env = (objs, name) => ctr(objs).env.find((e) => e.name === name);
const sc = (objs) => ctr(objs).securityContext;
const policy = (objs, name = "pushgate") => find(objs, "NetworkPolicy", name);
const b64 = (s) => Buffer.from(s).toString("base64");

// [check that must fail, target, what is broken, how]
const CASES = [
  ["schema", PROD, "replicas is a string", (o) => { dep(o).spec.replicas = "three"; }],
  ["schema", PROD, "an object of a kind no schema knows", (o) => { o.push({ apiVersion: "v1", kind: "Bogus", metadata: { name: "x" } }); }],
  ["schema", FULL, "a PrometheusRule rule without expr", (o) => { delete find(o, "PrometheusRule").spec.groups[0].rules[0].expr; }],
  ["unknown-field", PROD, "a misspelt container field", (o) => { ctr(o).imagePullPolicyy = "Always"; }],
  ["unknown-field", PROD, "a misspelt field in a NetworkPolicy peer", (o) => { policy(o).spec.ingress[1].from[0].namespaceSelektor = {}; }],
  ["unknown-field", FULL, "an unknown field in a ServiceMonitor endpoint", (o) => { find(o, "ServiceMonitor").spec.endpoints[0].bearerTokenFil = "x"; }],
  ["unknown-field", GATEWAY, "an unknown field in an HTTPRoute rule", (o) => { find(o, "HTTPRoute").spec.rules[0].timeout = "0s"; }],
  ["target-port", PROD, "a Service targetPort that names no container port", (o) => { find(o, "Service", "pushgate-api").spec.ports[0].targetPort = "apii"; }],
  ["target-port", PROD, "a probe on a port the container lacks", (o) => { ctr(o).readinessProbe.httpGet.port = "pubic"; }],
  ["target-port", PROD, "an Ingress backend port the Service lacks", (o) => { find(o, "Ingress").spec.rules[0].http.paths[0].backend.service.port.name = "web"; }],
  ["selectors", PROD, "a PDB that selects other pods", (o) => { find(o, "PodDisruptionBudget").spec.selector.matchLabels["app.kubernetes.io/instance"] = "other"; }],
  ["topology", PROD, "no spread over zones", (o) => { dep(o).spec.template.spec.topologySpreadConstraints.shift(); }],
  ["netpol", PROD, "7799 open to everyone", (o) => { policy(o).spec.ingress.push({ ports: [{ protocol: "TCP", port: 7799 }] }); }],
  ["netpol", PROD, "7799 from a whole namespace", (o) => { policy(o).spec.ingress[1].from = [{ namespaceSelector: { matchLabels: { team: "x" } } }]; }],
  ["netpol", FULL, "the Prometheus peer split into two peers (any pod of monitoring, any Prometheus)", (o) => {
    const r = policy(o, "pushgate-prometheus").spec.ingress[0];
    r.from = [{ namespaceSelector: r.from[0].namespaceSelector }, { podSelector: r.from[0].podSelector }];
  }],
  ["netpol", PROD, "5701 from every pod of the namespace", (o) => { policy(o).spec.ingress[2].from = [{ podSelector: {} }]; }],
  ["netpol", PROD, "a rule for all ports", (o) => { policy(o).spec.ingress.push({ from: [{ podSelector: { matchLabels: { a: "b" } } }] }); }],
  ["netpol", PROD, "members of another install's cluster admitted instead of this one's", (o) => { policy(o).spec.ingress[2].from[0].podSelector.matchLabels["pushgate-cluster"] = "other"; }],
  ["netpol", PROD, "7777 closed", (o) => { policy(o).spec.ingress.shift(); }],
  ["netpol", PROD, "7777 open to everyone while X-Forwarded-For is trusted", (o) => { policy(o).spec.ingress[0] = { ports: [{ protocol: "TCP", port: 7777 }] }; }],
  ["security-context", PROD, "runAsNonRoot false", (o) => { dep(o).spec.template.spec.securityContext.runAsNonRoot = false; sc(o).runAsNonRoot = false; }],
  ["security-context", PROD, "a writable root filesystem", (o) => { sc(o).readOnlyRootFilesystem = false; }],
  ["security-context", PROD, "privilege escalation allowed", (o) => { sc(o).allowPrivilegeEscalation = true; }],
  ["security-context", PROD, "capabilities not dropped", (o) => { sc(o).capabilities.drop = ["NET_RAW"]; }],
  ["security-context", PROD, "seccomp Unconfined", (o) => { dep(o).spec.template.spec.securityContext.seccompProfile.type = "Unconfined"; sc(o).seccompProfile.type = "Unconfined"; }],
  ["security-context", PROD, "a service-account token mounted", (o) => { dep(o).spec.template.spec.automountServiceAccountToken = true; }],
  ["service-links", PROD, "Service links on (Kubernetes' default)", (o) => { delete dep(o).spec.template.spec.enableServiceLinks; }],
  ["exposure", PROD, "a LoadBalancer Service with the API port", (o) => { const s = find(o, "Service", "pushgate-api"); s.spec.type = "LoadBalancer"; }],
  ["exposure", PROD, "a NodePort Service reaching Hazelcast through a named targetPort", (o) => {
    o.push({ apiVersion: "v1", kind: "Service", metadata: { name: "debug" }, spec: { type: "NodePort", selector: dep(o).spec.selector.matchLabels, ports: [{ name: "x", port: 80, targetPort: "hazelcast" }] } });
  }],
  ["exposure", PROD, "the Ingress routing to the API Service", (o) => {
    const b = find(o, "Ingress").spec.rules[0].http.paths[0].backend.service; b.name = "pushgate-api"; b.port = { name: "api" };
  }],
  ["exposure", GATEWAY, "the HTTPRoute routing to the API port", (o) => { const b = find(o, "HTTPRoute").spec.rules[0].backendRefs[0]; b.name = "pushgate-api"; b.port = 7799; }],
  ["secrets", PROD, "a placeholder API key in the operator's file (source)", null, (tmp) => {
    const f = path.join(tmp, PROD, "secrets/auth.env");
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace(/^apiKeys=/m, "apiKeys=FAKE-PLACEHOLDER-replace-me-0000000000,"));
  }],
  ["secrets", PROD, "a key store password ending in a newline", (o) => { find(o, "Secret", "pushgate-eventbus-tls").data.password = b64("0123456789abcdef0123\n"); }],
  ["secrets", PROD, "a short HS256 secret", (o) => { find(o, "Secret", "pushgate-auth").data.jwtHs256Secret = b64("tooshort"); }],
  ["secrets", PROD, "the API keys as a literal env value", (o) => { const e = env(o, "PUSHGATE_API_KEYS"); delete e.valueFrom; e.value = "0123456789abcdef0123"; }],
  ["secrets", "k8s", "a Secret in the default install", (o) => { o.push({ apiVersion: "v1", kind: "Secret", metadata: { name: "pushgate-auth" }, stringData: { apiKeys: "x" } }); }],
  ["secret-refs", PROD, "an env var reading a Secret that is not rendered", (o) => { env(o, "PUSHGATE_JWT_HS256_SECRET").valueFrom.secretKeyRef.name = "pushgate-jwt"; }],
  ["secret-refs", PROD, "an env var reading a key the Secret lacks", (o) => { env(o, "PUSHGATE_API_KEYS").valueFrom.secretKeyRef.key = "apikeys"; }],
  ["api-keys", PROD, "the API on loopback (the pushgate-api Service would reach nothing)", (o) => { env(o, "PUSHGATE_API_HOST").value = "127.0.0.1"; }],
  ["api-keys", PROD, "apiInsecure on", (o) => { ctr(o).env.push({ name: "PUSHGATE_API_INSECURE", value: "true" }); }],
  ["eventbus-tls", PROD, "no key store", (o) => { ctr(o).env = ctr(o).env.filter((e) => e.name !== "PUSHGATE_EVENT_BUS_TLS_KEY_STORE"); }],
  ["eventbus-tls", PROD, "the key store's mount writable", (o) => { ctr(o).volumeMounts.find((m) => m.mountPath === "/app/tls").readOnly = false; }],
  ["eventbus-tls", PROD, "the key store password as a literal", (o) => { const e = env(o, "PUSHGATE_EVENT_BUS_TLS_KEY_STORE_PASSWORD"); delete e.valueFrom; e.value = "x"; }],
  ["shutdown-budget", PROD, "terminationGracePeriodSeconds 45 with the same timeout (source)", null, (tmp) => {
    const f = path.join(tmp, "k8s/base/deployment.yaml");
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace("terminationGracePeriodSeconds: 50", "terminationGracePeriodSeconds: 45"));
  }],
  ["shutdown-budget", PROD, "Hazelcast's graceful wait longer than the budget allows (source)", null, (tmp) => {
    const f = path.join(tmp, "conf/cluster-k8s.xml");
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace(/(shutdown\.max\.wait">)\d+/, "$160"));
  }],
  ["shutdown-budget", PROD, "a longer preStop sleep", (o) => { ctr(o).lifecycle.preStop.exec.command = ["sleep", "15"]; }],
  // 20 s of spread + 20 s of Hazelcast fit the 40 s alone, but the drain also waits for the push API
  // to leave the event bus and for the last clients to answer their close.
  ["shutdown-budget", PROD, "a drain spread of 20 s", (o) => { env(o, "PUSHGATE_DRAIN_SPREAD_MILLIS").value = "20000"; }],
  ["shutdown-budget", PROD, "a close timeout of 15 s", (o) => { ctr(o).env.push({ name: "PUSHGATE_CLOSE_TIMEOUT_MILLIS", value: "15000" }); }],
  ["cluster", PROD, "Hazelcast looking up another Service", (o) => { env(o, "HAZELCAST_KUBERNETES_SERVICE_DNS").value = "pushgate-hazelcast"; }],
  ["cluster", PROD, "no cluster name property", (o) => { const e = env(o, "JDK_JAVA_OPTIONS"); e.value = e.value.replace(/-Dpushgate\.hazelcast\.cluster-name=\S+/, ""); }],
  ["cluster", PROD, "a fixed cluster name in cluster-k8s.xml (source)", null, (tmp) => {
    const f = path.join(tmp, "conf/cluster-k8s.xml");
    fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace(/<cluster-name>[^<]*<\/cluster-name>/, "<cluster-name>pushgate</cluster-name>"));
  }],
  ["cluster", PROD, "a headless Service that waits for readiness", (o) => { find(o, "Service", "pushgate-hz").spec.publishNotReadyAddresses = false; }],
  ["cluster", PROD, "no minimum of members", (o) => { ctr(o).env = ctr(o).env.filter((e) => e.name !== "PUSHGATE_MIN_CLUSTER_MEMBERS"); }],
  ["env-order", PROD, "JDK_JAVA_OPTIONS before the variables it uses", (o) => {
    const list = ctr(o).env; const i = list.findIndex((e) => e.name === "JDK_JAVA_OPTIONS"); const [e] = list.splice(i, 1); list.unshift(e);
  }],
  ["args-only", PROD, "a command that bypasses the image's entrypoint", (o) => { ctr(o).command = ["java", "-jar", "/app/pushgate.jar"]; }],
  ["resources", PROD, "a CPU limit above the request (Burstable)", (o) => { ctr(o).resources.limits.cpu = "3"; }],
  ["resources", PROD, "a fractional CPU limit", (o) => { ctr(o).resources.limits.cpu = "1500m"; ctr(o).resources.requests.cpu = "1500m"; }],
  ["ingress", PROD, "a proxy read timeout under the ping interval", (o) => { find(o, "Ingress").metadata.annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "15"; }],
  ["ingress", PROD, "no TLS", (o) => { delete find(o, "Ingress").spec.tls; }],
  ["ingress", GATEWAY, "an HTTPRoute with the default request timeout", (o) => { delete find(o, "HTTPRoute").spec.rules[0].timeouts; }],
  ["ingress", GATEWAY, "a Gateway listener without TLS", (o) => { const l = find(o, "Gateway").spec.listeners[0]; l.protocol = "HTTP"; delete l.tls; }],
  ["hpa", FULL, "scale-down by three pods at once", (o) => { find(o, "HorizontalPodAutoscaler").spec.behavior.scaleDown.policies[0].value = 3; }],
  ["hpa", FULL, "replicas left in the Deployment", (o) => { dep(o).spec.replicas = 3; }],
  ["monitoring", FULL, "a metrics key that is not an API key", (o) => {
    const s = find(o, "Secret", "pushgate-auth"); s.data.metricsApiKey = b64("0123456789abcdef0123456789abcdef");
  }],
  ["monitoring", FULL, "a ServiceMonitor that selects every Service", (o) => { find(o, "ServiceMonitor").spec.selector = { matchLabels: { "app.kubernetes.io/name": "pushgate" } }; }],
  ["installs", TWO, "the second install's public Service selecting both installs", (o) => {
    delete find(o, "Service", "blue-pushgate").spec.selector["app.kubernetes.io/instance"];
    delete find(o, "Service", "blue-pushgate").spec.selector["pushgate-cluster"];
  }],
  ["installs", TWO, "both installs in one Hazelcast cluster", (o) => {
    const d = o.find((x) => x.kind === "Deployment" && x.metadata.name === "blue-pushgate");
    d.spec.template.metadata.labels["pushgate-cluster"] = "pushgate";
  }],
];

export async function selfTest(root, raw) {
  let passed = 0;
  let failed = 0;
  const say = (ok, text) => { console.log(`${ok ? "ok  " : "FAIL"}  ${text}`); ok ? passed++ : failed++; };
  const tmp = workCopy(root);
  try {
    const clean = {};
    for (const t of TARGETS) {
      if (raw && t.raw === false) continue;
      clean[t.dir] = render(tmp, t.dir, raw);
      const f = await validateObjects(clean[t.dir], t);
      say(f.length === 0, `unbroken ${t.dir} passes every check${f.length ? ": " + f.map((x) => x.join(" ")).join("; ") : ""}`);
    }
    const seen = new Set(CASES.map(([name]) => name));
    for (const [name, dir, what, mutate, mutateSource] of CASES) {
      if (!clean[dir]) { console.log(`skip  [${name}] ${what} (${dir}: not rendered without kubectl)`); continue; }
      const target = TARGETS.find((t) => t.dir === dir);
      let objs;
      if (mutateSource) {
        const broken = workCopy(root);
        try {
          mutateSource(broken);
          objs = render(broken, dir, raw);
        } finally {
          fs.rmSync(broken, { recursive: true, force: true });
        }
      } else {
        objs = structuredClone(clean[dir]);
        mutate(objs);
      }
      const f = await validateObjects(objs, target);
      const hit = f.filter(([c]) => c === name);
      say(hit.length > 0, `[${name}] ${what} (${dir}): ${hit.length ? hit[0][1] : "NOT caught; got " + (f.map((x) => x[0]).join(", ") || "no failure")}`);
    }
    // coverage: a new overlay that nobody added to TARGETS.
    fs.mkdirSync(path.join(tmp, "k8s/overlays/staging"));
    fs.writeFileSync(path.join(tmp, "k8s/overlays/staging/kustomization.yaml"), "resources: [../../base]\n");
    const c = coverage(tmp);
    say(c.length > 0, `[coverage] an overlay missing from TARGETS: ${c[0]?.[1] ?? "NOT caught"}`);
    seen.add("coverage");
    for (const name of Object.keys(CHECKS)) if (!seen.has(name)) say(false, `[${name}] has no self-test case`);
    // The raw renderer (the fallback without kubectl) must agree with kubectl on what it covers.
    if (!raw) {
      for (const t of TARGETS.filter((x) => x.raw !== false)) {
        const a = normalize(clean[t.dir]);
        let b;
        try { b = normalize(renderRaw(path.join(tmp, t.dir))); } catch (e) { say(false, `[raw] ${t.dir}: ${e.message}`); continue; }
        say(a === b, `[raw] the fallback renderer gives what kubectl kustomize gives for ${t.dir}${a === b ? "" : ":\n" + firstDiff(a, b)}`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log(`k8s: ${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

// Names without kustomize's content hashes, keys sorted, objects in a stable order.
function normalize(objs) {
  const strip = (v) => (typeof v === "string" ? v.replace(/^((?:[a-z0-9-]+-)?pushgate-(?:conf|auth|eventbus-tls))-[a-z0-9]{10}$/, "$1") : v);
  const sort = (v) => (Array.isArray(v) ? v.map(sort) : v && typeof v === "object"
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, k === "data" ? v[k] : sort(strip(v[k]))])) : strip(v));
  const docs = objs.map((o) => sort(o));
  docs.sort((x, y) => `${x.kind}/${x.metadata.name}`.localeCompare(`${y.kind}/${y.metadata.name}`));
  // Secret data: raw keeps it on one line, kubectl folds it; compare the decoded bytes.
  for (const d of docs) if (d.kind === "Secret") for (const k of Object.keys(d.data ?? {})) d.data[k] = String(d.data[k]).replace(/\s/g, "");
  return yaml.dump(docs, { sortKeys: true, lineWidth: -1 });
}

function firstDiff(a, b) {
  const x = a.split("\n");
  const y = b.split("\n");
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `    line ${i + 1}: kubectl ${JSON.stringify(x[i])}\n    line ${i + 1}: raw     ${JSON.stringify(y[i])}`;
  return "";
}
