// checks.mjs: the static half of the delivery checks (tests/delivery/run.sh runs it). It lints the
// two Dockerfiles, proves that their build steps are commands `make test` runs, validates every
// Kubernetes manifest against the Kubernetes 1.27 schemas (kubernetes-models) and the Prometheus
// Operator's (for the monitoring objects), and compares probes, ports, environment variables and
// metric names with what the service's source really contains, read afresh on every run.
// Prints one line per check ("ok: ..." or "FAIL: ... -- reason") and writes "PASSED FAILED" to the
// file named by its first argument. Offline: reads files and runs ldd, dpkg-query and pg_config.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const YAML = require("yaml");
const dockerfileUtils = require("dockerfile-utils");
const dockerfilelint = require("dockerfilelint");

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const totalsFile = process.argv[2];
let passed = 0;
let failed = 0;

// check records one result: fn returns nothing (pass), a string starting "ok " (pass with a note),
// or throws / returns a failure reason via fail().
class CheckFailure extends Error {}
function fail(reason) {
  throw new CheckFailure(reason);
}
function check(name, fn) {
  try {
    const note = fn();
    passed++;
    console.log(`ok: ${name}${typeof note === "string" && note ? ` (${note})` : ""}`);
  } catch (error) {
    failed++;
    const reason = error instanceof CheckFailure ? error.message : `${error.name}: ${error.message}`;
    console.log(`FAIL: ${name} -- ${reason}`);
  }
}

const read = (relative) => fs.readFileSync(path.join(root, relative), "utf8");
const exists = (relative) => fs.existsSync(path.join(root, relative));
const listFiles = (relativeDir, pattern) =>
  fs.existsSync(path.join(root, relativeDir))
    ? fs
        .readdirSync(path.join(root, relativeDir))
        .filter((name) => pattern.test(name))
        .map((name) => path.join(relativeDir, name))
    : [];
const walk = (relativeDir) =>
  fs.readdirSync(path.join(root, relativeDir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(relativeDir, entry.name);
    return entry.isDirectory() ? walk(relative) : [relative];
  });
const run = (command, args) => execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

// ---------------------------------------------------------------------------------------------
// What the source says: read at every run, so the checks follow the code.

const configSources = [...listFiles("frontend/src/config", /\.cpp$/)];
const configHeaders = [...listFiles("frontend/src/config", /\.h$/)];
const configText = configSources.map(read).join("\n");
// Every upper-case string literal in the config parser names a variable it reads.
const serviceEnvNames = new Set([...configText.matchAll(/"([A-Z][A-Z0-9_]{2,})"/g)].map((m) => m[1]));
// Unconditionally required: "is required" (not "... when ..." / "... with ..."), or "must be set";
// "is required (or OTHER)" is satisfied by either variable.
const requiredEnvNames = new Map(
  [...configText.matchAll(/ConfigError\(\s*"([A-Z0-9_]+)",\s*"(is required(?! when| with)(?: \(or ([A-Z0-9_]+)\))?|must be set\b)/g)].map(
    (m) => [m[1], m[3] ? [m[1], m[3]] : [m[1]]],
  ),
);
const evaluateProduct = (text) =>
  /^[\d\s*]+$/.test(text.trim()) ? text.split("*").reduce((product, factor) => product * Number(factor), 1) : null;
const integerDefaults = new Map(
  [...configText.matchAll(/Read(?:Integer|Number|Whole)\(environment,\s*"([A-Z0-9_]+)",\s*([^,]+),/g)].map((m) => [
    m[1],
    evaluateProduct(m[2]),
  ]),
);
// String defaults written on the structs: `std::string member = "value";  // NAME`.
const headerDefaults = new Map();
for (const header of configHeaders) {
  for (const m of read(header).matchAll(/=\s*"([^"]*)"\s*;\s*\/\/\s*([A-Z][A-Z0-9_]+)/g)) headerDefaults.set(m[2], m[1]);
}

// Metric families: observability/metrics.cpp renders the REST ones; other roles (relay, consumer)
// render their own, so every source file is read.
const frontendSources = exists("frontend/src") ? walk("frontend/src").filter((file) => /\.cpp$/.test(file)) : [];
const metricsSource = frontendSources.map(read).join("\n");
const exportedMetrics = new Map([...metricsSource.matchAll(/# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)/g)].map((m) => [m[1], m[2]]));
const exportedSeries = new Set();
for (const [name, type] of exportedMetrics) {
  exportedSeries.add(name);
  if (type === "histogram" || type === "summary") ["_bucket", "_sum", "_count"].forEach((s) => exportedSeries.add(name + s));
}
const exportedLabels = new Set([...metricsSource.matchAll(/([a-z_]+)=\\"/g)].map((m) => m[1]));
if ([...exportedMetrics.values()].includes("histogram")) exportedLabels.add("le");
// Labels Prometheus adds to every scraped series (Kubernetes service discovery, ServiceMonitor).
const targetLabels = new Set(["namespace", "pod", "instance", "job", "service", "container", "endpoint"]);

const handlerSources = listFiles("frontend/src/handlers", /\.cpp$/).map(read).join("\n");
const getRoutes = new Set([...handlerSources.matchAll(/router\.Add\(\{\s*"GET",\s*"([^"]+)"/g)].map((m) => m[1]));
const allRoutes = new Set([...handlerSources.matchAll(/router\.Add\(\{\s*"[A-Z]+",\s*"([^"]+)"/g)].map((m) => m[1]));
// Label values the code can emit: plain or escaped string literals anywhere in the service.
const labelValueLiterals = new Set([...metricsSource.matchAll(/\\?"([a-z_]+)\\?"/g)].map((m) => m[1]));

const entrypointText = read("docker/db-entrypoint.sh");
const entrypointEnvNames = new Set([...entrypointText.matchAll(/\$\{?([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]));
["PGDATA", "PGPORT"].forEach((name) => entrypointEnvNames.add(name));

function libpqEnvNames() {
  const candidates = ["/usr/lib/x86_64-linux-gnu/libpq.so.5", "/usr/lib/aarch64-linux-gnu/libpq.so.5", "/usr/lib/libpq.so.5"];
  const library = candidates.find((candidate) => fs.existsSync(candidate));
  if (!library) return null;
  const text = fs.readFileSync(library).toString("latin1");
  return new Set((text.match(/PG[A-Z_]{2,}(?=\0)/g) || []).filter((name) => !name.startsWith("PGRES_")));
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles

function parseDockerfile(text) {
  const instructions = [];
  let pending = "";
  let startLine = 0;
  text.split("\n").forEach((line, index) => {
    if (!pending && (/^\s*#/.test(line) || !line.trim())) return;
    if (!pending) startLine = index + 1;
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, " ");
      return;
    }
    const full = (pending + line).trim();
    pending = "";
    const match = /^(\w+)\s+([\s\S]*)$/.exec(full);
    if (match) instructions.push({ keyword: match[1].toUpperCase(), args: match[2].replace(/\s+/g, " ").trim(), line: startLine });
  });
  const stages = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const m = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      stages.push({ image: m[1], name: m[2] || String(stages.length), instructions: [] });
    } else if (stages.length) {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { instructions, stages };
}

const dockerfiles = ["Dockerfile.svc", "Dockerfile.db"];
const parsed = Object.fromEntries(dockerfiles.filter(exists).map((file) => [file, parseDockerfile(read(file))]));

// The commands `make test` runs: the targets it depends on, transitively, and their recipe lines.
function makeTestCommands() {
  const targets = new Map();
  let current = null;
  let continued = "";
  for (const line of read("Makefile").split("\n")) {
    if (current && line.startsWith("\t")) {
      const body = continued + line.slice(1);
      if (/\\$/.test(body)) {
        continued = body.slice(0, -1) + " ";
        continue;
      }
      continued = "";
      targets.get(current).recipe.push(body.trim());
      continue;
    }
    const rule = /^([A-Za-z0-9_.\/-]+)\s*:(?!=)\s*(.*)$/.exec(line);
    if (rule) {
      current = rule[1];
      targets.set(current, { prerequisites: rule[2].split(/\s+/).filter(Boolean), recipe: [] });
    } else if (line.trim() && !line.startsWith("#")) {
      current = null;
    }
  }
  const closure = new Set();
  const queue = ["test"];
  while (queue.length) {
    const target = queue.shift();
    if (closure.has(target) || !targets.has(target)) continue;
    closure.add(target);
    queue.push(...targets.get(target).prerequisites);
  }
  const commands = new Set([...closure].map((target) => `make ${target}`));
  for (const target of closure) {
    for (const line of targets.get(target).recipe) {
      const command = line
        .replace(/^[@+-]+/, "")
        .replace(/\$\(MAKE\)/g, "make")
        .replace(/\$\(SUDO\)\s*/g, "")
        .replace(/\s+/g, " ")
        .trim();
      if (!/^(if|for|while|case)\b/.test(command)) commands.add(command);
    }
  }
  return { closure, commands };
}

function finalStage(file) {
  const { stages } = parsed[file];
  return stages[stages.length - 1];
}

function runtimeAptPackages(stage) {
  const packages = [];
  for (const instruction of stage.instructions.filter((i) => i.keyword === "RUN")) {
    for (const m of instruction.args.matchAll(/apt-get install ([^&;|]*)/g)) {
      packages.push(...m[1].split(/\s+/).filter((word) => word && !word.startsWith("-")));
    }
  }
  return packages;
}

function globToRegExp(glob) {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`);
}

const repositoryFiles = walk(".").filter((file) => !/^(\.git|node_modules|build|tests\/delivery\/node_modules)\//.test(file));

for (const file of dockerfiles) {
  check(`${file} exists`, () => (exists(file) ? undefined : fail("missing")));
  if (!parsed[file]) continue;
  const { instructions, stages } = parsed[file];
  const final = stages[stages.length - 1];
  const stageNames = new Set(stages.map((stage) => stage.name));

  check(`${file} passes dockerfile-utils lint`, () => {
    const problems = dockerfileUtils.validate(read(file));
    if (problems.length) fail(problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`).join("; "));
  });
  check(`${file} passes dockerfilelint`, () => {
    // There is no .dockerfilelintrc beside this file, so every rule is on.
    const result = dockerfilelint.run(here, read(file));
    if (result.length) fail(result.map((issue) => `line ${issue.line}: ${issue.title}`).join("; "));
  });

  check(`${file} final stage runs as a numeric non-root user`, () => {
    const users = final.instructions.filter((i) => i.keyword === "USER");
    if (!users.length) fail("no USER in the final stage (it would run as root)");
    const user = users[users.length - 1].args;
    if (!/^\d+(:\d+)?$/.test(user)) fail(`USER ${user} is not numeric uid[:gid]`);
    if (/^0(:|$)/.test(user)) fail("USER is root (0)");
    return `USER ${user}`;
  });

  check(`${file} base images pinned to an exact version`, () => {
    const notes = [];
    for (const stage of stages) {
      if (stageNames.has(stage.image) && stage !== stages[0] && stages.some((s) => s.name === stage.image)) continue;
      const m = /^([a-z0-9._\/-]+):([\w.-]+)(@sha256:[0-9a-f]{64})?$/.exec(stage.image);
      if (!m) fail(`${stage.image} has no tag`);
      if (m[2] === "latest") fail(`${stage.image} uses latest`);
      if (!/\d+\.\d+|\d{8}/.test(m[2])) fail(`${stage.image}: tag ${m[2]} is not an exact release (x.y or a dated serial)`);
      notes.push(m[3] ? `${m[1]}:${m[2]} + digest` : `${m[1]}:${m[2]}, tag only`);
    }
    return [...new Set(notes)].join(", ");
  });

  check(`${file} keeps no secrets in layers`, () => {
    const secretName = /PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;
    for (const instruction of instructions) {
      if (instruction.keyword === "ENV" || instruction.keyword === "ARG") {
        const names = [...instruction.args.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)(?==|\s|$)/g)].map((m) => m[1]);
        const bad = names.filter((name) => secretName.test(name));
        if (bad.length) fail(`line ${instruction.line}: ${instruction.keyword} ${bad.join(", ")} would be kept in the image`);
      }
      if (instruction.keyword === "ADD" && /https?:\/\//.test(instruction.args)) fail(`line ${instruction.line}: ADD from a URL`);
      if (instruction.keyword === "COPY" || instruction.keyword === "ADD") {
        const sources = instruction.args.split(" ").filter((word) => !word.startsWith("--")).slice(0, -1);
        for (const source of sources) {
          if (/(^|\/)(\.env[^/]*|id_[rd]sa[^/]*|\.pgpass|\.npmrc|\.netrc|[^/]*\.(pem|key|p12|pfx|crt))$/.test(source)) {
            fail(`line ${instruction.line}: copies ${source}`);
          }
          if (!instruction.args.includes("--from=")) {
            for (const copied of repositoryFiles.filter((f) => globToRegExp(source.replace(/\/$/, "")).test(f) || f.startsWith(source.replace(/\/?$/, "/")))) {
              const text = fs.readFileSync(path.join(root, copied), "latin1");
              // A quoted literal assigned to a password-like name; psql's :'variable' is not a literal.
              const literal = /(password|secret|token)\w*\s*(=|:\s)\s*['"][^'"\s$]{8,}['"]/i.exec(text);
              if (literal) fail(`${copied} holds what looks like a credential: ${literal[0]}`);
            }
          }
        }
      }
    }
  });

  check(`${file} COPY sources exist in the repository`, () => {
    for (const instruction of instructions.filter((i) => i.keyword === "COPY" && !i.args.includes("--from="))) {
      const sources = instruction.args.split(" ").filter((word) => !word.startsWith("--")).slice(0, -1);
      for (const source of sources) {
        const trimmed = source.replace(/\/$/, "");
        const found = exists(trimmed) || repositoryFiles.some((f) => globToRegExp(trimmed).test(f));
        if (!found) fail(`line ${instruction.line}: ${source} matches nothing`);
      }
    }
  });

  check(`${file} build stage copies every input of the build it runs`, () => {
    const copies = stages
      .filter((stage) => stage !== final)
      .flatMap((stage) => stage.instructions.filter((i) => i.keyword === "COPY" && !i.args.includes("--from=")))
      .flatMap((instruction) => instruction.args.split(" ").filter((word) => !word.startsWith("--")).slice(0, -1));
    const covered = (input) =>
      copies.some((source) => source === input || globToRegExp(source).test(input) || (source.endsWith("/") && input.startsWith(source)));
    const inputs = ["Makefile", "scripts/install-deps.sh", "extension/Makefile", "extension/pg_inventory.control"];
    inputs.push(...repositoryFiles.filter((f) => /^extension\/src\/[^/]+\.[ch]$/.test(f) || /^sql\/[^/]+\.sql$/.test(f)));
    if (copies.some((source) => source.startsWith("frontend"))) {
      for (const m of read("frontend/CMakeLists.txt").matchAll(/\$\{CMAKE_CURRENT_SOURCE_DIR\}\/\.\.\/([^\s)"]+)/g)) inputs.push(m[1]);
    }
    const missing = inputs.filter((input) => !covered(input));
    if (missing.length) fail(`not copied into the build stage: ${missing.join(", ")}`);
    return `${inputs.length} inputs outside frontend/`;
  });

  check(`${file} build steps are commands that make test runs`, () => {
    const { commands } = makeTestCommands();
    const notes = [];
    for (const stage of stages) {
      for (const instruction of stage.instructions.filter((i) => i.keyword === "RUN")) {
        if (stage === final) {
          if (/(^|[;&|(]\s*)(make|cmake|gcc|g\+\+|cc|c\+\+|clang\S*|git|curl|wget|pip\d*|npm)\s/.test(instruction.args)) {
            fail(`line ${instruction.line}: the runtime stage builds or downloads: ${instruction.args}`);
          }
          continue;
        }
        for (const part of instruction.args.split("&&").map((p) => p.trim())) {
          if (!commands.has(part)) fail(`line ${instruction.line}: "${part}" is not run by make test (it runs: ${[...commands].join(" | ")})`);
          notes.push(part);
        }
      }
    }
    if (!notes.length) fail("no build step found");
    return notes.join(", ");
  });

  check(`${file} has a HEALTHCHECK`, () => {
    const healthcheck = final.instructions.find((i) => i.keyword === "HEALTHCHECK");
    if (!healthcheck || /^NONE/i.test(healthcheck.args)) fail("no HEALTHCHECK in the final stage");
  });
}

if (parsed["Dockerfile.svc"]) {
  const final = finalStage("Dockerfile.svc");
  const env = new Map();
  for (const i of final.instructions.filter((i) => i.keyword === "ENV")) {
    for (const m of i.args.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env.set(m[1], m[2]);
  }
  check("Dockerfile.svc ENV names are variables the service reads; HTTP_HOST 0.0.0.0; EXPOSE = HTTP_PORT", () => {
    for (const name of env.keys()) if (!serviceEnvNames.has(name)) fail(`${name} is not read by frontend/src/config`);
    if (env.get("HTTP_HOST") !== "0.0.0.0") fail("HTTP_HOST must be 0.0.0.0 in a container");
    const exposed = final.instructions.filter((i) => i.keyword === "EXPOSE").map((i) => i.args.replace(/\/tcp$/, ""));
    const port = env.get("HTTP_PORT") || String(integerDefaults.get("HTTP_PORT"));
    if (!exposed.includes(port)) fail(`EXPOSE ${exposed.join(",")} but the service listens on ${port}`);
  });
  check("Dockerfile.svc health check asks a GET route the service has", () => {
    const script = read("docker/svc-healthcheck.sh");
    const asked = /GET (\/\S*) HTTP/.exec(script);
    if (!asked) fail("docker/svc-healthcheck.sh sends no GET");
    if (!getRoutes.has(asked[1])) fail(`${asked[1]} is not a GET route (routes: ${[...getRoutes].join(", ")})`);
    return asked[1];
  });
  check("Dockerfile.svc runtime stage installs exactly the packages of the libraries inventory-svc links", () => {
    const binary = process.env.INVENTORY_SVC_BINARY || path.join(root, "build/frontend/inventory-svc");
    if (!fs.existsSync(binary)) fail(`${binary} is not built (make build)`);
    const listed = runtimeAptPackages(final);
    const libraries = [...run("ldd", [binary]).matchAll(/^\s*(\S+) => (\S+)/gm)];
    const missing = libraries.filter((m) => m[2] === "not").map((m) => m[1]);
    if (missing.length) fail(`ldd cannot find ${missing.join(", ")}`);
    const owner = (file) => {
      const real = fs.realpathSync(file);
      for (const candidate of [file, real, real.replace(/^\/usr\/lib\//, "/lib/"), real.replace(/^\/lib\//, "/usr/lib/")]) {
        try {
          return run("dpkg-query", ["-S", candidate]).split(":")[0].trim();
        } catch {
          // try the next spelling of the path (merged /usr)
        }
      }
      fail(`no package owns ${file}`);
    };
    const needed = new Set(libraries.map((m) => owner(m[2])));
    const field = (name, format) => {
      try {
        return run("dpkg-query", ["-W", `-f=${format}`, name]);
      } catch {
        return "";
      }
    };
    const inBase = (name) => /^(yes|required)/.test(field(name, "${Essential}").trim()) || field(name, "${Priority}").trim() === "required";
    const provided = new Set();
    const queue = [...listed];
    while (queue.length) {
      const name = queue.shift().replace(/:.*$/, "");
      if (provided.has(name)) continue;
      provided.add(name);
      const depends = `${field(name, "${Pre-Depends}")}, ${field(name, "${Depends}")}`;
      for (const alternative of depends.split(/[,|]/)) {
        const dependency = alternative.trim().split(/\s/)[0];
        if (dependency && field(dependency, "${Status}").includes("installed")) queue.push(dependency);
      }
    }
    const uncovered = [...needed].filter((name) => !provided.has(name) && !inBase(name));
    if (uncovered.length) fail(`runtime stage lacks ${uncovered.join(", ")}`);
    // Not libraries, but what a linked library reads at run time: libcurl verifies HTTPS peers
    // (AUTH_JWKS_URL) against the system CA store.
    const dataFor = { "ca-certificates": "libcurl4" };
    const unneeded = listed.filter((name) => !needed.has(name) && !(dataFor[name] && needed.has(dataFor[name])));
    if (unneeded.length) fail(`runtime stage installs ${unneeded.join(", ")}, which inventory-svc does not link`);
    return `${listed.join(", ")} and their dependencies cover all ${needed.size} packages ldd names`;
  });
}

if (parsed["Dockerfile.svc"]) {
  check("scripts/install-deps.sh installs the -dev package of every library the svc image carries", () => {
    const installed = run("dpkg-query", ["-W", "-f=${Package}\t${Depends}\n"]).split("\n").map((line) => line.split("\t"));
    const deps = read("scripts/install-deps.sh");
    const notes = [];
    const missing = [];
    for (const library of runtimeAptPackages(finalStage("Dockerfile.svc")).filter((name) => /^lib/.test(name))) {
      const escaped = library.replace(/[.+]/g, "\\$&");
      const developers = installed
        .filter(([name, depends]) => /-dev$/.test(name || "") && new RegExp(`(^|, )${escaped}(:\\w+)? \\(= `).test(depends || ""))
        .map(([name]) => name);
      if (!developers.length) fail(`no installed -dev package depends on ${library} (make deps first)`);
      if (!developers.some((name) => new RegExp(`\\b${name.replace(/[.+]/g, "\\$&")}\\b`).test(deps))) {
        missing.push(`${developers.join(" or ")} (for ${library})`);
      } else {
        notes.push(developers.find((name) => deps.includes(name)));
      }
    }
    if (missing.length) fail(`not in scripts/install-deps.sh, so a fresh build stage could not compile: ${missing.join(", ")}`);
    return notes.join(", ");
  });
}

if (parsed["Dockerfile.db"]) {
  const final = finalStage("Dockerfile.db");
  check("Dockerfile.db copies the files make -C extension install writes (pg_config paths)", () => {
    // The build stage's make install uses Debian's pg_config; this run's make install used the one on
    // PATH, which is a relocated copy when the tests run against a private PostgreSQL.
    const debianPgConfig = "/usr/lib/postgresql/15/bin/pg_config";
    const imagePgConfig = fs.existsSync(debianPgConfig) ? debianPgConfig : "pg_config";
    const imageLibdir = run(imagePgConfig, ["--pkglibdir"]).trim();
    const imageSharedir = run(imagePgConfig, ["--sharedir"]).trim();
    const copies = final.instructions.filter((i) => i.keyword === "COPY" && i.args.includes("--from=build")).map((i) => i.args);
    const expected = [`${imageLibdir}/pg_inventory.so`, `${imageSharedir}/extension/pg_inventory*`];
    for (const source of expected) if (!copies.some((args) => args.split(" ").includes(source))) fail(`no COPY --from=build of ${source}`);
    const libdir = run("pg_config", ["--pkglibdir"]).trim();
    const sharedir = run("pg_config", ["--sharedir"]).trim();
    const installed = [`${libdir}/pg_inventory.so`, `${sharedir}/extension/pg_inventory.control`];
    const absent = installed.filter((file) => !fs.existsSync(file));
    if (absent.length) fail(`make install has not written ${absent.join(", ")}`);
  });
  check("Dockerfile.db runtime packages are the server packages the tests run against", () => {
    const listed = runtimeAptPackages(final);
    const tested = read("scripts/install-deps.sh");
    for (const name of ["postgresql-15", "postgresql-15-cron"]) if (!listed.includes(name)) fail(`${name} not installed`);
    const untested = listed.filter((name) => !new RegExp(`\\b${name.replace(/[.+]/g, "\\$&")}\\b`).test(tested));
    if (untested.length) fail(`${untested.join(", ")} not in scripts/install-deps.sh`);
  });
  check("Dockerfile.db entrypoint preloads pg_cron and sets cron.database_name", () => {
    if (!/shared_preload_libraries = 'pg_cron'/.test(entrypointText)) fail("no shared_preload_libraries = 'pg_cron'");
    if (!/cron\.database_name = '\$database'/.test(entrypointText)) fail("cron.database_name is not set from POSTGRES_DB");
  });
}

// ---------------------------------------------------------------------------------------------
// Kubernetes manifests

const k8sFiles = exists("k8s") ? walk("k8s").sort() : [];
const yamlFiles = k8sFiles.filter((file) => /\.ya?ml$/.test(file));
const manifests = [];
const kustomizations = new Map();

function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const candidates =
    group === "monitoring.coreos.com"
      ? [`@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`]
      : [group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`];
  for (const candidate of candidates) {
    try {
      return require(candidate)[kind];
    } catch {
      // not a model this package has
    }
  }
  return null;
}

check("k8s/ holds manifests", () => (yamlFiles.length ? `${yamlFiles.length} YAML files` : fail("no YAML under k8s/")));

for (const file of yamlFiles) {
  const documents = YAML.parseAllDocuments(read(file));
  const errors = documents.flatMap((document) => document.errors.map((e) => e.message));
  if (path.basename(file) === "kustomization.yaml") {
    check(`${file} is a kustomization`, () => {
      if (errors.length) fail(errors.join("; "));
      const body = documents[0].toJS();
      if (body.apiVersion !== "kustomize.config.k8s.io/v1beta1" || body.kind !== "Kustomization") fail("not a Kustomization v1beta1");
      const known = ["apiVersion", "kind", "namespace", "labels", "resources", "images", "configMapGenerator", "secretGenerator", "patches", "components", "namePrefix", "nameSuffix"];
      for (const patch of body.patches || []) if (!patch.path && !patch.patch) fail("a patch has neither path nor patch");
      const unknown = Object.keys(body).filter((key) => !known.includes(key));
      if (unknown.length) fail(`unknown or deprecated fields ${unknown.join(", ")}`);
      kustomizations.set(file, body);
    });
    continue;
  }
  check(`${file} validates against the Kubernetes schemas`, () => {
    if (errors.length) fail(errors.join("; "));
    const kinds = [];
    for (const document of documents) {
      const body = document.toJS();
      if (!body) continue;
      const Model = modelFor(body.apiVersion, body.kind);
      if (!Model) fail(`no schema for ${body.apiVersion} ${body.kind}`);
      try {
        new Model(body).validate();
      } catch (error) {
        fail(`${body.kind} ${body.metadata?.name}: ${error.message}`);
      }
      manifests.push({ file, body });
      kinds.push(body.kind);
    }
    if (!kinds.length) fail("no objects");
    return kinds.join(", ");
  });
}

check("every kustomization resource and generator file exists, and every manifest is listed once", () => {
  const listed = new Map();
  for (const [file, body] of kustomizations) {
    const dir = path.dirname(file);
    for (const resource of body.resources || []) {
      const target = path.normalize(path.join(dir, resource));
      const asKustomization = path.join(target, "kustomization.yaml");
      if (exists(asKustomization)) continue;
      if (!exists(target)) fail(`${file}: ${resource} does not exist`);
      listed.set(target, (listed.get(target) || 0) + 1);
    }
    for (const patch of body.patches || []) {
      if (!patch.path) continue;
      const target = path.normalize(path.join(dir, patch.path));
      if (!exists(target)) fail(`${file}: patch ${patch.path} does not exist`);
      listed.set(target, (listed.get(target) || 0) + 1);
    }
    for (const generator of body.configMapGenerator || []) {
      for (const source of generator.files || []) {
        const target = path.normalize(path.join(dir, source.replace(/^[^=]*=/, "")));
        if (!exists(target)) fail(`${file}: generator file ${source} does not exist`);
        listed.set(target, (listed.get(target) || 0) + 1);
      }
    }
  }
  const unlisted = k8sFiles.filter((f) => path.basename(f) !== "kustomization.yaml" && !listed.has(f));
  if (unlisted.length) fail(`not in any kustomization: ${unlisted.join(", ")}`);
  const twice = [...listed].filter(([, count]) => count > 1).map(([f]) => f);
  if (twice.length) fail(`listed more than once: ${twice.join(", ")}`);
  if (!kustomizations.has("k8s/kustomization.yaml")) fail("no k8s/kustomization.yaml");
});

const objects = (kind) => manifests.filter((m) => m.body.kind === kind).map((m) => m.body);
const byName = (kind, name) => objects(kind).find((o) => o.metadata.name === name);
const workloads = [...objects("Deployment"), ...objects("StatefulSet"), ...objects("Job")];
const podSpec = (workload) => workload.spec.template.spec;
const imageName = (image) => image.replace(/[:@].*$/, "").split("/").pop();
const matches = (selector, labels) => Object.entries(selector || {}).every(([key, value]) => labels?.[key] === value);

// envNamesOf lists the variables a container gets: env entries and the keys of envFrom sources.
// A ConfigMap or Secret may be defined in a base and patched in an overlay: every definition counts.
function envNamesOf(container) {
  const names = (container.env || []).map((entry) => entry.name);
  for (const source of container.envFrom || []) {
    const reference = source.configMapRef || source.secretRef;
    const kind = source.configMapRef ? "ConfigMap" : "Secret";
    const definitions = objects(kind).filter((o) => o.metadata.name === reference.name);
    for (const object of definitions) names.push(...Object.keys({ ...(object.data || {}), ...(object.stringData || {}) }));
    if (!definitions.length && !source.secretRef) fail(`${container.name}: ConfigMap ${reference.name} not found`);
  }
  return [...new Set(names)];
}

// rolesOf: the roles a container runs, as the service decides them (SERVICE_ROLES, or rest alone
// when neither it nor KAFKA_BOOTSTRAP_SERVERS is set).
function rolesOf(container) {
  const roles = configValue(container, "SERVICE_ROLES");
  if (roles !== undefined) return new Set(roles.split(",").map((role) => role.trim()));
  return new Set(configValue(container, "KAFKA_BOOTSTRAP_SERVERS") ? ["rest", "consumer", "relay"] : ["rest"]);
}

function configValue(container, name) {
  for (const entry of container.env || []) if (entry.name === name && entry.value !== undefined) return entry.value;
  for (const source of container.envFrom || []) {
    const reference = source.configMapRef || source.secretRef;
    const object = byName(source.configMapRef ? "ConfigMap" : "Secret", reference.name);
    const value = object && ({ ...(object.data || {}), ...(object.stringData || {}) })[name];
    if (value !== undefined) return value;
  }
  return undefined;
}

for (const workload of workloads) {
  const label = `${workload.kind} ${workload.metadata.name}`;
  check(`${label}: non-root, read-only root, no privilege escalation, capabilities dropped, seccomp RuntimeDefault`, () => {
    const pod = podSpec(workload);
    for (const container of [...(pod.initContainers || []), ...pod.containers]) {
      const context = container.securityContext || {};
      const runAsNonRoot = context.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const user = context.runAsUser ?? pod.securityContext?.runAsUser;
      const seccomp = context.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
      if (runAsNonRoot !== true) fail(`${container.name}: runAsNonRoot is not true`);
      if (!(user > 0)) fail(`${container.name}: no numeric non-root runAsUser`);
      if (context.readOnlyRootFilesystem !== true) fail(`${container.name}: readOnlyRootFilesystem is not true`);
      if (context.allowPrivilegeEscalation !== false) fail(`${container.name}: allowPrivilegeEscalation is not false`);
      if (!(context.capabilities?.drop || []).includes("ALL")) fail(`${container.name}: capabilities not dropped`);
      if (seccomp !== "RuntimeDefault") fail(`${container.name}: seccomp profile is not RuntimeDefault`);
    }
    if (pod.automountServiceAccountToken !== false) fail("service account token is mounted");
  });
  check(`${label}: resource requests and limits`, () => {
    for (const container of podSpec(workload).containers) {
      for (const kind of ["requests", "limits"]) {
        for (const resource of ["cpu", "memory"]) {
          if (!container.resources?.[kind]?.[resource]) fail(`${container.name}: no ${kind}.${resource}`);
        }
      }
    }
  });
  check(`${label}: images are named for kustomize and not :latest`, () => {
    const images = new Set(
      [...kustomizations.values()].flatMap((k) => (k.images || []).map((image) => image.name)),
    );
    for (const container of podSpec(workload).containers) {
      if (/:latest$/.test(container.image) || !/[:@]/.test(container.image)) fail(`${container.image} is not pinned`);
      if (!images.has(imageName(container.image))) fail(`${container.image}: no kustomize images entry sets its tag`);
    }
  });
  if (workload.kind !== "Job") {
    check(`${label}: startup, liveness and readiness probes`, () => {
      for (const container of podSpec(workload).containers) {
        for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
          if (!container[probe]) fail(`${container.name}: no ${probe}`);
        }
      }
    });
  }
}

const serviceContainers = workloads.flatMap((workload) =>
  podSpec(workload)
    .containers.filter((container) => imageName(container.image) === "inventory-svc")
    .map((container) => ({ workload, container })),
);
const databaseServers = workloads.flatMap((workload) =>
  podSpec(workload)
    .containers.filter((container) => imageName(container.image) === "inventory-db" && !container.command)
    .map((container) => ({ workload, container })),
);
const databaseClients = workloads.flatMap((workload) =>
  podSpec(workload)
    .containers.filter((container) => imageName(container.image) === "inventory-db" && container.command)
    .map((container) => ({ workload, container })),
);

check("inventory-svc runs in at least one Deployment", () =>
  serviceContainers.some(({ workload }) => workload.kind === "Deployment") ? undefined : fail("no Deployment runs inventory-svc"),
);

for (const { workload, container } of serviceContainers) {
  const label = `${workload.kind} ${workload.metadata.name}`;
  check(`${label}: environment variables are ones the service reads, required ones set`, () => {
    const names = envNamesOf(container);
    const unknown = names.filter((name) => !serviceEnvNames.has(name));
    if (unknown.length) fail(`not read by frontend/src/config: ${unknown.join(", ")}`);
    const absent = [...requiredEnvNames.values()].filter((either) => !either.some((name) => names.includes(name)));
    if (absent.length) fail(`required but not set: ${absent.map((either) => either.join(" or ")).join(", ")}`);
    return `${names.length} variables`;
  });
  check(`${label}: probes ask /health (startup, liveness) and /ready (readiness), routes the service has`, () => {
    const expected = { startupProbe: "/health", livenessProbe: "/health", readinessProbe: "/ready" };
    for (const [probe, route] of Object.entries(expected)) {
      const asked = container[probe]?.httpGet?.path;
      if (asked !== route) fail(`${probe} asks ${asked}, expected ${route}`);
      if (!getRoutes.has(route)) fail(`${route} is not a GET route of the service`);
    }
  });
  check(`${label}: container port = HTTP_PORT, listening on 0.0.0.0, probes and Service use that port`, () => {
    const port = Number(configValue(container, "HTTP_PORT") ?? integerDefaults.get("HTTP_PORT"));
    if (configValue(container, "HTTP_HOST") !== "0.0.0.0") fail("HTTP_HOST is not 0.0.0.0: the probes could not reach it");
    const declared = (container.ports || []).find((p) => p.containerPort === port);
    if (!declared) fail(`no containerPort ${port}`);
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      const target = container[probe]?.httpGet?.port;
      if (target !== port && target !== declared.name) fail(`${probe} port ${target} is not ${port}/${declared.name}`);
    }
    const labels = workload.spec.template.metadata.labels;
    const services = objects("Service").filter((s) => matches(s.spec.selector, labels));
    if (workload.kind === "Deployment" && rolesOf(container).has("rest") && !services.length) fail("no Service selects these pods");
    for (const service of services) {
      for (const servicePort of service.spec.ports) {
        if (servicePort.targetPort !== port && servicePort.targetPort !== declared.name) {
          fail(`Service ${service.metadata.name} targets ${servicePort.targetPort}`);
        }
      }
    }
    const annotations = workload.spec.template.metadata.annotations || {};
    if (annotations["prometheus.io/port"] && Number(annotations["prometheus.io/port"]) !== port) fail("prometheus.io/port differs");
    if (annotations["prometheus.io/path"] && !getRoutes.has(annotations["prometheus.io/path"])) fail("prometheus.io/path is not a route");
    return `port ${port}`;
  });
  check(`${label}: grace period covers the preStop pause and SHUTDOWN_TIMEOUT_S`, () => {
    const shutdown = Number(configValue(container, "SHUTDOWN_TIMEOUT_S") ?? integerDefaults.get("SHUTDOWN_TIMEOUT_S"));
    const command = container.lifecycle?.preStop?.exec?.command || [];
    const pause = command[0] === "sleep" ? Number(command[1]) : 0;
    const grace = podSpec(workload).terminationGracePeriodSeconds ?? 30;
    if (grace <= shutdown + pause) fail(`terminationGracePeriodSeconds ${grace} <= ${pause} + ${shutdown}`);
    return `${grace} s > ${pause} s + ${shutdown} s`;
  });
  if (workload.kind === "Deployment") {
    const serving = rolesOf(container).has("rest");
    check(`${label}: PodDisruptionBudget${serving ? ", HorizontalPodAutoscaler" : ""} and NetworkPolicy select it`, () => {
      const labels = workload.spec.template.metadata.labels;
      if (!objects("PodDisruptionBudget").some((p) => matches(p.spec.selector.matchLabels, labels))) fail("no PodDisruptionBudget");
      if (serving && !objects("HorizontalPodAutoscaler").some((h) => h.spec.scaleTargetRef.kind === "Deployment" && h.spec.scaleTargetRef.name === workload.metadata.name)) fail("no HorizontalPodAutoscaler");
      const policy = objects("NetworkPolicy").find((n) => Object.keys(n.spec.podSelector.matchLabels || {}).length && matches(n.spec.podSelector.matchLabels, labels) && n.spec.ingress);
      if (!policy) fail("no NetworkPolicy governs who reaches it");
      for (const rule of policy.spec.ingress) {
        for (const peer of rule.from || []) {
          if (!peer.namespaceSelector?.matchLabels || !peer.podSelector?.matchLabels) fail(`${policy.metadata.name}: a peer is not a named front door`);
        }
        if (!rule.from?.length) fail(`${policy.metadata.name}: an ingress rule admits everyone`);
      }
      if (!objects("NetworkPolicy").some((n) => !Object.keys(n.spec.podSelector || {}).length && n.spec.policyTypes.includes("Ingress") && !n.spec.ingress)) {
        fail("no default-deny ingress policy");
      }
    });
  }
}

for (const { workload, container } of databaseServers) {
  const label = `${workload.kind} ${workload.metadata.name}`;
  check(`${label}: environment variables are ones docker/db-entrypoint.sh reads`, () => {
    const unknown = envNamesOf(container).filter((name) => !entrypointEnvNames.has(name));
    if (unknown.length) fail(`not read by the entrypoint: ${unknown.join(", ")}`);
  });
  check(`${label}: only inventory-svc pods reach it`, () => {
    const labels = workload.spec.template.metadata.labels;
    const policies = objects("NetworkPolicy").filter((n) => Object.keys(n.spec.podSelector.matchLabels || {}).length && matches(n.spec.podSelector.matchLabels, labels));
    if (!policies.length) fail("no NetworkPolicy selects the database pods");
    for (const policy of policies) {
      for (const rule of policy.spec.ingress || []) {
        if (!rule.from?.length) fail(`${policy.metadata.name}: admits everyone`);
        for (const peer of rule.from) {
          if (peer.namespaceSelector || peer.ipBlock || peer.podSelector?.matchLabels?.["app.kubernetes.io/name"] !== "inventory-svc") {
            fail(`${policy.metadata.name}: admits a peer that is not inventory-svc`);
          }
        }
      }
    }
  });
}

for (const { workload, container } of databaseClients) {
  const label = `${workload.kind} ${workload.metadata.name}`;
  check(`${label}: environment variables are ones libpq reads; runs migrate-extension.sql`, () => {
    const known = libpqEnvNames();
    if (!known) fail("libpq.so.5 not found");
    const unknown = envNamesOf(container).filter((name) => !known.has(name));
    if (unknown.length) fail(`not libpq variables: ${unknown.join(", ")}`);
    const script = container.command.find((arg) => /\.sql$/.test(arg))?.replace(/^--file=/, "");
    if (!script || path.basename(script) !== "migrate-extension.sql") fail("does not run migrate-extension.sql");
    if (!read("Dockerfile.db").includes(`docker/migrate-extension.sql`) || !read("Dockerfile.db").includes(path.dirname(script))) {
      fail(`${script} is not where Dockerfile.db puts it`);
    }
  });
}

check("example Secrets hold example passwords that agree with each other and with the image's roles", () => {
  const secrets = objects("Secret").map((secret) => ({ name: secret.metadata.name, values: { ...(secret.data || {}), ...(secret.stringData || {}) } }));
  const all = Object.assign({}, ...secrets.map((secret) => secret.values));
  for (const { name, values } of secrets) {
    for (const [key, value] of Object.entries(values)) {
      if (/PASSWORD|SECRET|TOKEN/.test(key) && !/example/i.test(value)) fail(`${name}/${key} does not look like an example value`);
    }
  }
  // login role -> psql variable (create-login-roles.sql) -> environment variable (db-entrypoint.sh)
  const roleVariable = new Map([...read("docker/create-login-roles.sql").matchAll(/ALTER ROLE (\w+) WITH LOGIN PASSWORD :'(\w+)'/g)].map((m) => [m[1], m[2]]));
  const variableEnv = new Map([...entrypointText.matchAll(/-v (\w+)="\$\{(\w+):-\}"/g)].map((m) => [m[1], m[2]]));
  const database = objects("Service").find((service) => service.spec.selector?.["app.kubernetes.io/name"] === "inventory-postgres");
  const urls = secrets.filter((secret) => secret.values.DATABASE_URL);
  if (!urls.length) fail("no Secret holds a DATABASE_URL");
  for (const { name, values } of urls) {
    const url = new URL(values.DATABASE_URL);
    const password = decodeURIComponent(url.password);
    if (password && !/example/i.test(password)) fail(`${name}: the DATABASE_URL password is not an example value`);
    const variable = roleVariable.get(url.username);
    if (!variable) fail(`${name}: the image creates no login role ${url.username}`);
    const environmentName = variableEnv.get(variable);
    if (!environmentName) fail(`${name}: the entrypoint sets no ${variable}`);
    if (all[environmentName] !== undefined && all[environmentName] !== password) fail(`${name}: password differs from ${environmentName}`);
    if (database && url.hostname !== database.metadata.name) fail(`${name}: host ${url.hostname} is not the PostgreSQL Service`);
  }
  if (all.PGPASSWORD !== undefined && all.PGPASSWORD !== all.POSTGRES_PASSWORD) fail("PGPASSWORD differs from POSTGRES_PASSWORD");
  if (database && all.PGHOST !== undefined && all.PGHOST !== database.metadata.name) fail("PGHOST is not the PostgreSQL Service");
  return `${urls.length} database URLs`;
});

// ---------------------------------------------------------------------------------------------
// Observability kit: metric and label names against the service's source.

const promqlFunctions = /^(sum|min|max|avg|count|stddev|stdvar|topk|bottomk|quantile|count_values|group|rate|irate|increase|delta|idelta|deriv|predict_linear|histogram_quantile|absent|absent_over_time|clamp_min|clamp_max|clamp|abs|ceil|floor|round|exp|ln|log2|log10|sqrt|time|timestamp|vector|scalar|label_replace|label_join|sort|sort_desc|changes|resets|avg_over_time|min_over_time|max_over_time|sum_over_time|count_over_time|last_over_time|quantile_over_time|label_values)$/;
const promqlWords = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset", "Inf", "NaN", "inf", "nan"]);

function promqlNames(expression) {
  let text = expression.replace(/\$\{[^}]*\}|\$\w+/g, "");
  const matchers = [...text.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1].matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)]);
  const groupings = [...text.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(",").map((s) => s.trim()).filter(Boolean));
  text = text
    .replace(/"(?:[^"\\]|\\.)*"/g, "")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, " ");
  const metrics = [];
  for (const m of text.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?/g)) {
    const word = m[0].replace(/\s*\($/, "");
    if (m[1]) {
      if (!promqlFunctions.test(word)) metrics.push(`${word} (unknown function)`);
      continue;
    }
    if (!promqlWords.has(word)) metrics.push(word);
  }
  return { metrics, labels: [...matchers.map((m) => m[1]), ...groupings], matchers };
}

function checkExpressions(where, expressions) {
  const used = new Set();
  for (const expression of expressions) {
    const { metrics, labels, matchers } = promqlNames(expression);
    if (!metrics.length) fail(`${where}: no metric in ${expression}`);
    for (const metric of metrics) {
      if (!exportedSeries.has(metric)) fail(`${where}: ${metric} is not exported by frontend/src`);
      used.add(metric);
    }
    for (const name of labels) {
      if (!exportedLabels.has(name) && !targetLabels.has(name)) fail(`${where}: label ${name} is neither exported nor a target label`);
    }
    for (const [, name, operator, value] of matchers) {
      if (value.includes("$")) continue;
      const alternatives = operator.endsWith("~") ? value.split("|") : [value];
      for (const alternative of alternatives) {
        if (name === "route" && !/[.*+]/.test(alternative) && !allRoutes.has(alternative) && alternative !== "unmatched") fail(`${where}: route ${alternative} does not exist`);
        if (name === "outcome" && !labelValueLiterals.has(alternative)) fail(`${where}: outcome ${alternative} is never counted`);
        if (name === "status" && !/^[1-5][0-9.]{2}$/.test(alternative)) fail(`${where}: status ${alternative} is not an HTTP status pattern`);
      }
    }
  }
  return used;
}

check("the service's source exports metrics", () =>
  exportedMetrics.size ? `${[...exportedMetrics.keys()].join(", ")}` : fail("no # TYPE lines found"),
);

const ruleObjects = objects("PrometheusRule");
const alertRules = ruleObjects.flatMap((rule) => rule.spec.groups.flatMap((group) => group.rules.filter((r) => r.alert)));
check("alert rules use only metric and label names the service exports", () => {
  if (!alertRules.length) fail("no alert rules");
  const used = checkExpressions("alerts", alertRules.map((rule) => rule.expr));
  return `${alertRules.length} alerts on ${[...used].join(", ")}`;
});
check("alert rules cover 5xx rate, reservation failure rate and readiness; each has a runbook section", () => {
  const expressions = alertRules.map((rule) => rule.expr).join("\n");
  if (!/status=~"5\.\."/.test(expressions)) fail("no 5xx rate alert");
  if (!/inventory_reservations_total\{outcome=~"[^"]*error/.test(expressions)) fail("no reservation failure alert");
  if (!/route="\/ready"/.test(expressions)) fail("no readiness alert");
  const operations = exists("docs/operations.md") ? read("docs/operations.md") : "";
  const headings = new Set([...operations.matchAll(/^#+\s+(.*)$/gm)].map((m) => m[1].trim().toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-")));
  for (const rule of alertRules) {
    const anchor = /#([\w-]+)$/.exec(rule.annotations?.runbook || "")?.[1];
    if (!anchor || !headings.has(anchor)) fail(`${rule.alert}: runbook anchor ${anchor} is not a heading of docs/operations.md`);
  }
});
check("every outbox or lag metric the service exports has an alert (consumer lag pending until exported)", () => {
  const watched = [...exportedMetrics.keys()].filter((name) => /outbox|lag/.test(name));
  const expressions = alertRules.map((rule) => rule.expr).join("\n");
  const unalerted = watched.filter((name) => !expressions.includes(name));
  if (unalerted.length) fail(`no alert uses ${unalerted.join(", ")}`);
  const lag = watched.some((name) => /lag/.test(name)) ? "lag alerted" : "pending: no lag metric exported yet";
  return `${watched.join(", ") || "no outbox metric"}; ${lag}`;
});
check("k8s/monitoring/grafana-dashboard.json uses only metric and label names the service exports", () => {
  const dashboard = JSON.parse(read("k8s/monitoring/grafana-dashboard.json"));
  const expressions = dashboard.panels.flatMap((panel) => (panel.targets || []).map((target) => target.expr));
  for (const variable of dashboard.templating?.list || []) {
    const query = typeof variable.query === "string" ? variable.query : variable.query?.query;
    if (variable.type === "query" && query) expressions.push(query.replace(/^label_values\(([^,]+),.*\)$/, "$1"));
  }
  if (!expressions.length) fail("no queries");
  const used = checkExpressions("dashboard", expressions);
  return `${expressions.length} queries on ${used.size} series`;
});

check("a Deployment runs the consumer and relay roles once the service has them", () => {
  const deployed = new Set(serviceContainers.filter(({ workload }) => workload.kind === "Deployment").flatMap(({ container }) => [...rolesOf(container)]));
  if (!serviceEnvNames.has("SERVICE_ROLES")) {
    if (deployed.has("consumer") || deployed.has("relay")) fail("a Deployment asks for Kafka roles the service does not have");
    return "pending: the service has no role selection yet";
  }
  const missing = ["rest", "consumer", "relay"].filter((role) => !deployed.has(role));
  if (missing.length) fail(`no Deployment runs ${missing.join(", ")}`);
  return `roles ${[...deployed].join(", ")}`;
});

// ---------------------------------------------------------------------------------------------
// Documentation that operators rely on.

// containsValue: the value stands alone in the row (8 is not found in 18 or 1.8).
const containsValue = (row, value) =>
  new RegExp(`(^|[^0-9A-Za-z._-])${value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^0-9A-Za-z._-])`).test(row);

check("docs/configuration.md lists every service variable with its default", () => {
  if (!exists("docs/configuration.md")) fail("missing");
  const rows = read("docs/configuration.md").split("\n").filter((line) => line.startsWith("|"));
  const rowOf = (name) => rows.find((row) => row.includes(`\`${name}\``));
  for (const name of serviceEnvNames) {
    const row = rowOf(name);
    if (!row) fail(`${name} is not documented`);
    // A required variable has no default (its struct member's initial value is not one).
    const fallback = requiredEnvNames.has(name) ? undefined : integerDefaults.get(name) ?? headerDefaults.get(name);
    if (fallback !== undefined && fallback !== null && fallback !== "" && !containsValue(row.toLowerCase(), String(fallback))) {
      fail(`${name}: default ${fallback} not in its row`);
    }
  }
  return `${serviceEnvNames.size} variables`;
});
check("docs/configuration.md lists every inventory.* setting with its default and every image variable", () => {
  const text = exists("docs/configuration.md") ? read("docs/configuration.md") : fail("missing");
  const rows = text.split("\n").filter((line) => line.startsWith("|"));
  const source = read("extension/src/pg_inventory.c");
  const settings = [...source.matchAll(/DefineCustom(\w+)Variable\("([a-z_.]+)",[\s\S]*?&\w+,\s*([^,]+),/g)];
  if (!settings.length) fail("no settings found in extension/src/pg_inventory.c");
  for (const [, type, name, fallback] of settings) {
    const row = rows.find((r) => r.includes(`\`${name}\``));
    if (!row) fail(`${name} is not documented`);
    const value = type === "Int" ? String(evaluateProduct(fallback)) : fallback.trim().replace(/^"|"$/g, "");
    if (value && !containsValue(row, value)) fail(`${name}: default ${value} not in its row`);
  }
  for (const name of entrypointEnvNames) {
    if (!rows.some((r) => r.includes(`\`${name}\``))) fail(`image variable ${name} is not documented`);
  }
  return `${settings.length} settings`;
});
check("docs/operations.md covers deploying, upgrading, scaling, backups, alerts and growth", () => {
  const text = exists("docs/operations.md") ? read("docs/operations.md") : fail("missing");
  const topics = [/^## Deploying/m, /^## Upgrading/m, /^## Scaling/m, /^## Backing up/m, /^## Alerts/m, /^## Growing past one PostgreSQL/m, /Citus/, /read replica/i, /partition/i, /^## Pending/m];
  const absent = topics.filter((topic) => !topic.test(text));
  if (absent.length) fail(`missing ${absent.map(String).join(", ")}`);
});

fs.writeFileSync(totalsFile, `${passed} ${failed}\n`);
