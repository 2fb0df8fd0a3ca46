// deployment-env.cjs: prints the environment a Deployment's first container gets, as KEY=VALUE
// lines: the data of every ConfigMap it names in envFrom (as defined anywhere under k8s/, base
// before overlays) and its literal env values. Secrets and valueFrom entries are left out; the
// caller supplies those. Used by run.sh to start the service exactly as a pod would.
//   node deployment-env.cjs K8S_DIR DEPLOYMENT_FILE
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

const [k8sDir, deploymentFile] = process.argv.slice(2);
const walk = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : /\.ya?ml$/.test(entry.name) ? [full] : [];
  });
// Overlays patch the base; a pod started from the base sees the base's values, so overlays
// (production/) are skipped here.
const objects = walk(k8sDir)
  .filter((file) => !file.split(path.sep).includes("production"))
  .flatMap((file) => YAML.parseAllDocuments(fs.readFileSync(file, "utf8")).map((document) => document.toJS()))
  .filter(Boolean);
const deployment = YAML.parse(fs.readFileSync(deploymentFile, "utf8"));
const container = deployment.spec.template.spec.containers[0];
const environment = new Map();
for (const source of container.envFrom || []) {
  if (!source.configMapRef) continue;
  const map = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === source.configMapRef.name);
  if (!map) throw new Error(`ConfigMap ${source.configMapRef.name} not found`);
  for (const [key, value] of Object.entries(map.data || {})) environment.set(key, value);
}
for (const entry of container.env || []) if (entry.value !== undefined) environment.set(entry.name, entry.value);
for (const [key, value] of environment) console.log(`${key}=${value}`);
