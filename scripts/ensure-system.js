#!/usr/bin/env node
// Makes sure the system can run the test suite: Dawn (the `webgpu` package) must find a WebGPU adapter,
// and a Chromium binary must exist for the browser tests (`--no-chromium`, used by `npm start`, skips
// that). On a machine without a GPU the adapter is Mesa's lavapipe (software Vulkan); Dawn needs a
// recent Mesa, which Debian bookworm has in backports. A no-op when all is present. Otherwise, as root
// on Debian/Ubuntu it installs what is missing with apt-get; as any other user it prints the exact
// commands to run and exits 1.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ADAPTER_TIMEOUT_MS = 60_000;
const BACKPORTS_FILE = '/etc/apt/sources.list.d/bookworm-backports.sources';
const BACKPORTS_SOURCE = `Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

const wantChromium = !process.argv.includes('--no-chromium');
const env = { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR || '/tmp' };

/** Asks Dawn for an adapter in a child process (Dawn can hang or crash on a broken driver). */
function checkAdapter() {
  const code = `
    let create;
    try { ({ create } = await import('webgpu')); } catch (e) { console.log('NO_PACKAGE ' + e.message); process.exit(3); }
    const gpu = create([]);
    const adapter = (await gpu.requestAdapter()) ?? (await gpu.requestAdapter({ featureLevel: 'compatibility' }));
    if (!adapter) process.exit(2);
    const i = adapter.info;
    console.log([i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' / '));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT, env, encoding: 'utf8', timeout: ADAPTER_TIMEOUT_MS,
  });
  const out = (r.stdout ?? '').trim();
  if (r.status === 0) return { ok: true, detail: out };
  if (r.status === 3) return { ok: false, noPackage: true, detail: out };
  const why = r.error ? r.error.message : r.status === 2 ? 'requestAdapter() returned null' : `exit ${r.status ?? r.signal}`;
  return { ok: false, detail: `${why}${r.stderr ? `\n${r.stderr.trim().split('\n').slice(-5).join('\n')}` : ''}` };
}

function chromiumPath() {
  if (!wantChromium) return 'not needed';
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p) => p && existsSync(p));
}

function osRelease() {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return Object.fromEntries(
      text.split('\n').filter((l) => l.includes('=')).map((l) => {
        const at = l.indexOf('=');
        return [l.slice(0, at), l.slice(at + 1).replace(/^"|"$/g, '')];
      }),
    );
  } catch {
    return {};
  }
}

/** The apt steps that would fix what is missing, as [description, argv] pairs. */
function plan(os, needMesa, needChromium) {
  const steps = [];
  const bookworm = os.ID === 'debian' && os.VERSION_CODENAME === 'bookworm';
  if (bookworm && needMesa && !hasBackports()) steps.push(['add bookworm-backports', ['write', BACKPORTS_FILE]]);
  steps.push(['refresh package lists', ['apt-get', 'update']]);
  if (needMesa) {
    const pin = bookworm ? ['-t', 'bookworm-backports'] : [];
    steps.push(['install Mesa (lavapipe)', ['apt-get', 'install', '-y', ...pin, 'mesa-vulkan-drivers', 'libvulkan1']]);
  }
  // Debian ships `chromium`; Ubuntu only `chromium-browser` (a snap wrapper outside containers).
  if (needChromium) steps.push(['install Chromium', ['apt-get', 'install', '-y', os.ID === 'ubuntu' ? 'chromium-browser' : 'chromium']]);
  return steps;
}

function hasBackports() {
  const r = spawnSync('grep', ['-rqs', 'bookworm-backports', '/etc/apt/sources.list', '/etc/apt/sources.list.d/']);
  return r.status === 0;
}

/** A step as one shell line, for the log (root) or for the user to paste (sudo). */
function shellLine([, argv], sudo = '') {
  if (argv[0] === 'write') return `printf '${BACKPORTS_SOURCE.replace(/\n/g, '\\n')}' | ${sudo}tee ${argv[1]} >/dev/null`;
  return `${sudo}${argv[0] === 'apt-get' && argv[1] === 'install' ? 'env DEBIAN_FRONTEND=noninteractive ' : ''}${argv.join(' ')}`;
}

function run(steps) {
  for (const [what, argv] of steps) {
    console.log(`ensure-system: ${what}: ${shellLine([what, argv])}`);
    if (argv[0] === 'write') {
      writeFileSync(argv[1], BACKPORTS_SOURCE);
      continue;
    }
    const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) {
      console.error(`ensure-system: '${argv.join(' ')}' failed (${r.error?.message ?? `exit ${r.status}`})`);
      process.exit(1);
    }
  }
}

function report(adapter, chrome) {
  return `WebGPU adapter: ${adapter.ok ? adapter.detail : 'none'}; Chromium: ${chrome ?? 'none'}`;
}

function main() {
  let adapter = checkAdapter();
  let chrome = chromiumPath();
  if (adapter.noPackage) {
    console.error(`ensure-system: cannot load the 'webgpu' package (${adapter.detail}). Run: npm install`);
    process.exit(1);
  }
  if (adapter.ok && chrome) {
    if (process.env.ENSURE_SYSTEM_VERBOSE) console.log(`ensure-system: ${report(adapter, chrome)}`);
    return;
  }
  if (!adapter.ok) console.error(`ensure-system: Dawn found no WebGPU adapter (${adapter.detail})`);
  if (!chrome) console.error('ensure-system: no Chromium binary (set CHROME_PATH, or install chromium)');

  const os = osRelease();
  const apt = ['debian', 'ubuntu'].includes(os.ID) || (os.ID_LIKE ?? '').split(' ').some((x) => x === 'debian' || x === 'ubuntu');
  if (process.platform !== 'linux' || !apt) {
    console.error('ensure-system: not a Debian/Ubuntu system; install a Vulkan driver usable by Dawn and Chromium yourself (set CHROME_PATH).');
    process.exit(1);
  }
  const steps = plan(os, !adapter.ok, !chrome);
  if (process.getuid?.() !== 0) {
    console.error('ensure-system: not root, so not installing anything. Run these, then `npm test` again:');
    for (const s of steps) console.error(`  ${shellLine(s, 'sudo ')}`);
    process.exit(1);
  }
  run(steps);

  adapter = checkAdapter();
  chrome = chromiumPath();
  if (!adapter.ok || !chrome) {
    console.error(`ensure-system: still missing after installing: ${report(adapter, chrome)}`);
    if (!adapter.ok) console.error(`  adapter check: ${adapter.detail}`);
    process.exit(1);
  }
  console.log(`ensure-system: ready. ${report(adapter, chrome)}`);
}

main();
