// Turns the rendered example (kubectl kustomize deploy/k8s) into what podman 4.3's
// `kube play` can run on one machine, for deploy/prove.sh. Every change is listed here and
// printed; the manifests themselves stay what a cluster gets.
//
//   node for-podman.mjs RENDERED.yaml OUTDIR [--nats-ip IP] [--graphql-port P] [--admin-port P]
//        [--nats-image IMAGE] [--idp-port P]
//
// Writes OUTDIR/nats.yaml (NATS ConfigMap + Deployment), OUTDIR/orders.yaml (postern ConfigMap
// + orders Deployment) and OUTDIR/secret-NAME.json for `podman secret create NAME FILE`.
//
// Changes, and why:
//  - Secrets are not played: podman 4.3 stores a played Secret as YAML but reads env
//    secretKeyRef values as a JSON map of base64 values (podman issue #16269), while secret
//    volumes need a v1.Secret whose `data` values it writes undecoded (and it ignores `items`
//    and `defaultMode`). So each Secret NAME is written twice, secret-NAME.json (the map, for
//    env) and secret-NAME-files.json (that v1.Secret), for `podman secret create`, and secret
//    volumes refer to NAME-files.
//  - Namespace, Service and NetworkPolicy are skipped: kube play has no equivalent.
//  - Native sidecars (initContainers with restartPolicy: Always) become the first regular
//    containers: podman 4.3 runs init containers to completion, and postern never completes.
//  - replicas: 1, and the NATS image becomes a local one (no registry here).
//  - Probes are dropped (podman 4.3 cannot run them without systemd; prove.sh asks /healthz
//    and /readyz itself), and so is every containerPort except postern's two, which are
//    published on 127.0.0.1 only: podman 4.3 publishes a containerPort without hostPort on
//    every host interface.
//  - orders pod: hostAliases "nats" -> the NATS pod's IP (kube play has no cluster DNS);
//    postern's ports published on 127.0.0.1; a `postern dev-idp` container as the OIDC issuer,
//    and the ConfigMap's issuer pointed at it (jwks_min_refetch 1s so a start race costs 1s).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";

const [rendered, outDir, ...rest] = process.argv.slice(2);
if (!rendered || !outDir) {
  console.error("usage: node for-podman.mjs RENDERED.yaml OUTDIR [options]");
  process.exit(2);
}
const opt = { "nats-ip": "127.0.0.1", "graphql-port": "8080", "admin-port": "9090", "idp-port": "9400" };
for (let i = 0; i < rest.length; i += 2) {
  const k = rest[i].replace(/^--/, "");
  if (!(k in opt) && k !== "nats-image") {
    console.error(`for-podman: unknown option ${rest[i]}`);
    process.exit(2);
  }
  opt[k] = rest[i + 1];
}

function fail(msg) {
  console.error(`for-podman: ${msg}`);
  process.exit(1);
}

const docs = parseAllDocuments(readFileSync(rendered, "utf8")).map((d) => d.toJS()).filter(Boolean);
mkdirSync(outDir, { recursive: true });
const out = { nats: [], orders: [] };
const issuer = `http://127.0.0.1:${opt["idp-port"]}`;

function secretMap(doc) {
  const m = {};
  for (const [k, v] of Object.entries(doc.data ?? {})) m[k] = String(v).replace(/\s/g, "");
  for (const [k, v] of Object.entries(doc.stringData ?? {})) m[k] = Buffer.from(String(v)).toString("base64");
  return m;
}

function sidecarsToContainers(spec) {
  const keep = [];
  const sidecars = [];
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === "Always") {
      const { restartPolicy, ...rest } = c;
      sidecars.push(rest);
    } else keep.push(c);
  }
  if (keep.length) spec.initContainers = keep;
  else delete spec.initContainers;
  spec.containers = [...sidecars, ...spec.containers];
  return sidecars.length;
}

function adaptOrders(spec) {
  const postern = spec.containers.find((c) => c.name === "postern");
  if (!postern) fail("the orders pod has no postern container");
  spec.hostAliases = [{ ip: opt["nats-ip"], hostnames: ["nats"] }];
  const hostPorts = { graphql: opt["graphql-port"], admin: opt["admin-port"] };
  postern.ports = (postern.ports ?? []).filter((p) => p.name in hostPorts);
  if (postern.ports.length !== 2) fail("postern needs the ports named graphql and admin");
  for (const p of postern.ports) Object.assign(p, { hostPort: Number(hostPorts[p.name]), hostIP: "127.0.0.1" });
  spec.containers.unshift({
    name: "dev-idp",
    image: postern.image,
    imagePullPolicy: "IfNotPresent",
    args: ["dev-idp", "--listen", `127.0.0.1:${opt["idp-port"]}`, "--key", "/tmp/dev-idp/key.pem"],
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  });
}

function adaptPosternConfig(doc) {
  const text = doc.data?.["postern.yaml"];
  if (typeof text !== "string") fail("ConfigMap postern-config has no postern.yaml");
  let n = 0;
  doc.data["postern.yaml"] = text.replace(/^(\s*- issuer:\s*)\S+.*$/gm, (_, lead) => {
    n++;
    return `${lead}${issuer}\n${" ".repeat(lead.indexOf("-") + 2)}jwks_min_refetch: 1s`;
  });
  if (n === 0) fail("postern.yaml has no `- issuer:` line to point at the dev issuer");
}

for (const doc of docs) {
  const name = doc.metadata?.name;
  switch (doc.kind) {
    case "Secret": {
      const data = secretMap(doc);
      // podman 4.3 writes `data` values to the volume's files as they are, undecoded
      const raw = Object.fromEntries(
        Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
      );
      const asSecret = { apiVersion: "v1", kind: "Secret", metadata: { name: `${name}-files` }, data: raw };
      writeFileSync(join(outDir, `secret-${name}.json`), JSON.stringify(data), { mode: 0o600 });
      writeFileSync(join(outDir, `secret-${name}-files.json`), JSON.stringify(asSecret), { mode: 0o600 });
      console.log(`secret ${name}: for podman secret create (and ${name}-files for volumes)`);
      break;
    }
    case "ConfigMap":
      if (name === "postern-config") {
        adaptPosternConfig(doc);
        out.orders.push(doc);
      } else out.nats.push(doc);
      break;
    case "Deployment": {
      const spec = doc.spec.template.spec;
      doc.spec.replicas = 1;
      const moved = sidecarsToContainers(spec);
      for (const v of spec.volumes ?? []) if (v.secret) v.secret.secretName += "-files";
      if (moved) console.log(`${name}: ${moved} native sidecar(s) -> containers`);
      for (const c of spec.containers) {
        if (/(^|\/)nats:/.test(c.image) && opt["nats-image"]) c.image = opt["nats-image"];
        // podman 4.3 publishes every containerPort on the host, on all interfaces, when it
        // has no hostPort; only postern's ports are published, on 127.0.0.1 (adaptOrders).
        if (c.name !== "postern") delete c.ports;
        // Without systemd podman cannot run probes (it logs an error); prove.sh asks
        // /healthz and /readyz itself.
        delete c.startupProbe;
        delete c.readinessProbe;
        delete c.livenessProbe;
      }
      if (name === "orders") {
        adaptOrders(spec);
        out.orders.push(doc);
      } else out.nats.push(doc);
      break;
    }
    default:
      console.log(`skipped ${doc.kind}/${name}: no podman equivalent`);
  }
}
if (!out.nats.length || !out.orders.length) fail("expected the nats and the orders workloads");
for (const [k, list] of Object.entries(out))
  writeFileSync(join(outDir, `${k}.yaml`), list.map((d) => stringify(d)).join("---\n"));
