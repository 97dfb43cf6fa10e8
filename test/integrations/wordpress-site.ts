// A real WordPress for the plugin test: Debian's `wordpress` package on the machine's MariaDB, served by
// PHP's built-in server, with integrations/wordpress/ as its plugin directory. Installs the Debian
// packages it lacks (as root, with apt-get) or says why it cannot run.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../e2e/browser.js';
import { freePort } from '../support/free-port.js';

const WORDPRESS = '/usr/share/wordpress';
/** Debian's wp-config.php includes /etc/wordpress/config-NAME.php, NAME taken from $_SERVER['WORDPRESS_CONFIG']. */
const DEBIAN_CONFIG_DIR = '/etc/wordpress';
const PLUGINS_DIR = fileURLToPath(new URL('../../integrations/wordpress', import.meta.url));
const SCRIPTS_DIR = fileURLToPath(new URL('./wordpress', import.meta.url));
const INSTALL_TIMEOUT_MS = 150_000;

/** What is missing, as the Debian packages that bring it. */
function missingPackages(): string[] {
  const missing: string[] = [];
  const php = spawnSync('php', ['-r', 'echo extension_loaded("mysqli") ? "ok" : "no";'], { encoding: 'utf8' });
  if (php.status !== 0) missing.push('php-cli', 'php-mysql');
  else if (php.stdout !== 'ok') missing.push('php-mysql');
  if (!existsSync(join(WORDPRESS, 'wp-settings.php'))) missing.push('wordpress');
  if (!existsSync(join(WORDPRESS, 'wp-content/themes/twentytwentyone/style.css'))) missing.push('wordpress-theme-twentytwentyone');
  if (!existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) missing.push('chromium');
  return missing;
}

/** Installs the packages that are missing; returns why the test cannot run, or undefined when it can. */
export function ensurePackages(): string | undefined {
  const missing = missingPackages();
  if (missing.length === 0) return mariadbUnavailable();
  if (process.getuid?.() !== 0 || spawnSync('apt-get', ['--version']).status !== 0) return `needs Debian packages ${missing.join(' ')} (not root or no apt-get to install them)`;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { env, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  let result = install();
  if (result.status !== 0) {
    // Stale package lists are the usual cause on a fresh machine.
    spawnSync('apt-get', ['update', '-qq'], { env, timeout: INSTALL_TIMEOUT_MS });
    result = install();
  }
  if (result.status !== 0) return `apt-get install ${missing.join(' ')} failed: ${(result.stderr || result.stdout || String(result.error)).trim().slice(-400)}`;
  const still = missingPackages();
  return still.length > 0 ? `still missing after apt-get install: ${still.join(' ')}` : mariadbUnavailable();
}

/** The database server is the machine's own (a service, not a package a test can start). */
function mariadbUnavailable(): string | undefined {
  const probe = spawnSync('php', [join(SCRIPTS_DIR, 'database.php'), 'probe'], { encoding: 'utf8', timeout: 15_000 });
  return probe.status === 0 ? undefined : `no MariaDB reachable: ${probe.stderr.trim() || String(probe.error)}`;
}

function php(script: string, args: string[], env: Record<string, string> = {}): string {
  const result = spawnSync('php', [join(SCRIPTS_DIR, script), ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  if (result.status !== 0) throw new Error(`php ${script} ${args.join(' ')} exited with ${result.status}: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

export interface WordPressOptions {
  /** The plugin's settings, stored as the headcount_settings option. */
  settings: Record<string, unknown>;
  port: number;
}

export interface WordPress {
  url: string;
  postId: number;
  postUrl: string;
  adminUser: string;
  adminPassword: string;
  /** Runs a PHP script of test/integrations/wordpress/ against this install, without blocking this
   * process (the script may call a server the test runs). */
  php(script: string, env?: Record<string, string>): Promise<string>;
  /** What PHP and WordPress logged (WP_DEBUG_LOG, the built-in server's stderr). */
  log(): string;
  close(): Promise<void>;
}

/** A port for WordPress before Headcount starts, since Headcount's sites file names WordPress's origin. */
export const wordpressPort = freePort;

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.json': 'application/json', '.css': 'text/css' };

/** Serves the plugin's static files (the block's editor script): `php -S` serves only Debian's tree. */
async function servePluginFiles(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://plugins.invalid').pathname));
    const file = join(PLUGINS_DIR, path);
    if (!file.startsWith(PLUGINS_DIR) || !(extname(file) in TYPES) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)]! }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Creates a database, installs WordPress with the plugin active and serves it on 127.0.0.1:port. */
export async function startWordPress({ settings, port }: WordPressOptions): Promise<WordPress> {
  const id = randomBytes(6).toString('hex');
  const database = `headcount_wp_${id}`;
  const configName = `headcount-test-${id}`;
  const configFile = join(DEBIAN_CONFIG_DIR, `config-${configName}.php`);
  const dir = mkdtempSync(join(tmpdir(), 'headcount-wp-'));
  const url = `http://127.0.0.1:${port}`;
  const debugLog = join(dir, 'debug.log');
  const serverLog: string[] = [];
  let server: ChildProcess | undefined;
  let pluginFiles: Server | undefined;

  const cleanup = async () => {
    if (server?.pid !== undefined && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      // The whole group: the server's workers outlive a signalled parent and keep its stderr open.
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    await new Promise((resolve) => (pluginFiles ? pluginFiles.close(resolve) : resolve(undefined)));
    try {
      php('database.php', ['drop', database]);
    } finally {
      rmSync(configFile, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  };

  try {
    php('database.php', ['create', database]);
    const plugins = await servePluginFiles();
    pluginFiles = plugins.server;
    const content = join(dir, 'wp-content');
    mkdirSync(content);
    symlinkSync(join(WORDPRESS, 'wp-content/themes'), join(content, 'themes'));
    // Core translations (the Debian package's), so the Vietnamese front end is Vietnamese.
    symlinkSync(join(WORDPRESS, 'wp-content/languages'), join(content, 'languages'));
    const define = (name: string, value: string | boolean) => `define(${JSON.stringify(name)}, ${JSON.stringify(value)});`;
    const keys = ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'];
    mkdirSync(DEBIAN_CONFIG_DIR, { recursive: true });
    writeFileSync(
      configFile,
      [
        '<?php',
        '// Written by test/integrations/wordpress-site.ts for one test run; removed when it ends.',
        define('DB_NAME', database),
        define('DB_USER', 'root'),
        define('DB_PASSWORD', ''),
        define('DB_HOST', 'localhost'),
        define('WP_HOME', url),
        define('WP_SITEURL', url),
        define('WP_CONTENT_DIR', content),
        define('WP_PLUGIN_DIR', PLUGINS_DIR),
        define('WP_PLUGIN_URL', plugins.url),
        ...keys.map((key) => define(key, randomBytes(32).toString('hex'))),
        // No calls to wordpress.org from a test machine; the site's own host (Headcount on 127.0.0.1) stays allowed.
        define('WP_HTTP_BLOCK_EXTERNAL', true),
        define('DISABLE_WP_CRON', true),
        define('AUTOMATIC_UPDATER_DISABLED', true),
        define('WP_DEBUG', true),
        define('WP_DEBUG_DISPLAY', false),
        define('WP_DEBUG_LOG', debugLog),
        '',
      ].join('\n'),
    );
    const env = { HEADCOUNT_WP_CONFIG: configName, HEADCOUNT_WP_HOST: `127.0.0.1:${port}` };
    const runPhp = (script: string, extra: Record<string, string> = {}) => php(script, [], { ...env, ...extra });
    const installed = JSON.parse(runPhp('install.php', { HEADCOUNT_SETTINGS: JSON.stringify(settings) })) as { postId: number; postUrl: string };

    // The built-in server has no per-directory config: a prepended file names the Debian config.
    const prepend = join(dir, 'prepend.php');
    writeFileSync(prepend, `<?php $_SERVER['WORDPRESS_CONFIG'] = ${JSON.stringify(configName)};\n`);
    server = spawn('php', ['-d', `auto_prepend_file=${prepend}`, '-S', `127.0.0.1:${port}`, '-t', WORDPRESS], {
      // Several workers: the browser loads a page's styles and scripts in parallel.
      env: { PATH: process.env.PATH ?? '', PHP_CLI_SERVER_WORKERS: '4' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    server.stderr!.on('data', (chunk: Buffer) => serverLog.push(chunk.toString()));
    await waitFor(
      async () => {
        try {
          return (await fetch(`${url}/wp-login.php`)).ok;
        } catch {
          return false;
        }
      },
      15_000,
      'php -S to serve WordPress',
      () => serverLog.join('').slice(-500),
    );
    return {
      url,
      postId: installed.postId,
      postUrl: installed.postUrl,
      adminUser: 'admin',
      adminPassword: 'headcount-test-password',
      php: (script, extra = {}) =>
        new Promise((resolve, reject) =>
          execFile('php', [join(SCRIPTS_DIR, script)], { env: { ...process.env, ...env, ...extra }, timeout: 60_000 }, (error, stdout, stderr) =>
            error ? reject(new Error(`php ${script}: ${error.message}\n${stderr}${stdout}`)) : resolve(stdout),
          ),
        ),
      log: () => (existsSync(debugLog) ? readFileSync(debugLog, 'utf8') : '') + serverLog.join(''),
      close: cleanup,
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
