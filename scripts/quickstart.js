#!/usr/bin/env node
'use strict';
/**
 * `npm start`: the two-command quick start (`npm ci && npm start`) on a fresh machine.
 *
 * 1. Ensures MySQL and Redis: reuses reachable ones (DATABASE_URL / REDIS_URL or the defaults); else
 *    `docker compose up -d mysql redis` when a Docker engine answers; else starts project-local
 *    `mariadbd` / `redis-server` with their data under `.data/`; else prints the install command and
 *    exits non-zero.
 * 2. Builds `dist/` when it is missing or older than `src/`.
 * 3. Runs the server (`node dist/main.js`) as a child, waits for /health, creates a demo source the
 *    first time (kept in `.data/demo-source.json`, since its write key is shown only once), prints the
 *    keys and a curl example, and stays in the foreground: SIGINT / SIGTERM stop the server and the
 *    local servers this script started.
 *
 * Production does not use this script: `npm run start:prod` runs the built server with no bootstrap.
 * Plain CommonJS with Node built-ins plus mysql2 and ioredis (dependencies), so it runs before any build.
 */
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const DATA = path.join(ROOT, '.data');
const DEFAULT_DATABASE_URL = 'mysql://root@127.0.0.1:3306/tracking';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** What docker-compose.yml creates for the quick start (its defaults; see that file). */
const COMPOSE_DATABASE = 'tracking';
const COMPOSE_DB_USER = 'tracking';
/** First start of a server runs migrations; a cold MySQL container initialises for a while. */
const HEALTH_TIMEOUT_MS = 180_000;
const DOCKER_WAIT_MS = 180_000;
const LOCAL_WAIT_MS = 60_000;

const log = (msg) => process.stdout.write(`[quickstart] ${msg}\n`);
const warn = (msg) => process.stderr.write(`[quickstart] ${msg}\n`);

class Fatal extends Error {}

/** Children this script owns, stopped in reverse order on the way out. */
const owned = [];
let server = null;
let shuttingDown = false;

// ---------------------------------------------------------------------------------------------
// small helpers

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Hides the password of a URL for printing. */
function redact(url) {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

function hostOf(url) {
  return url.hostname.replace(/^\[|\]$/g, '');
}

function isLocalHost(host) {
  return host === 'localhost' || host === '::1' || host === '0.0.0.0' || /^127\./.test(host);
}

function portOf(url, fallback) {
  return url.port ? Number(url.port) : fallback;
}

/** Finds an executable on PATH, plus the sbin and Homebrew folders a login shell may not list. */
function which(cmd) {
  const extra = [
    '/usr/sbin',
    '/usr/local/sbin',
    '/sbin',
    '/opt/homebrew/bin',
    '/opt/homebrew/sbin',
  ];
  const dirs = [...(process.env.PATH || '').split(path.delimiter), ...extra].filter(Boolean);
  for (const dir of dirs) {
    const file = path.join(dir, cmd);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** Answers whether a TCP connection opens: 'open', 'refused' (nothing listens) or 'unreachable'. */
function tcpCheck(host, port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (result) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done('unreachable'));
    socket.once('connect', () => done('open'));
    socket.once('error', (err) => done(err.code === 'ECONNREFUSED' ? 'refused' : 'unreachable'));
  });
}

/** True when `port` can be bound on `host` (all interfaces when host is undefined), as a server would. */
function portFree(port, host) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function freePortFrom(start) {
  for (let port = start; port < start + 100 && port <= 65535; port++) {
    if ((await portFree(port, '127.0.0.1')) && (await tcpCheck('127.0.0.1', port)) === 'refused') {
      return port;
    }
  }
  throw new Fatal(`no free port found in ${start}..${start + 99}`);
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Unix socket paths are limited to ~104 bytes; a deep checkout falls back to the temp folder. */
function socketPath(name) {
  const inData = path.join(DATA, name);
  if (Buffer.byteLength(inData) < 100) return inData;
  const tag = crypto.createHash('sha1').update(ROOT).digest('hex').slice(0, 10);
  return path.join(os.tmpdir(), `tracking-${tag}-${name}`);
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const running = (child) => child && child.exitCode === null && child.signalCode === null;

// ---------------------------------------------------------------------------------------------
// probes: a TCP connect, then a real handshake (MySQL) or PING (Redis)

/** status: 'ok' | 'refused' (nothing listens) | 'auth' (it answers but rejects us) | 'error'. */
async function probeMysql(urlString) {
  const url = new URL(urlString);
  const tcp = await tcpCheck(hostOf(url), portOf(url, 3306));
  if (tcp !== 'open') return { status: tcp === 'refused' ? 'refused' : 'error', detail: tcp };
  const mysql = require('mysql2/promise');
  // Without the database: the server creates it when missing.
  url.pathname = '/';
  let conn;
  try {
    conn = await withTimeout(
      mysql.createConnection({
        uri: url.toString().replace(/^mariadb:/, 'mysql:'),
        connectTimeout: 4000,
      }),
      6000,
      'MySQL handshake',
    );
    const [rows] = await conn.query('SELECT VERSION() AS version');
    return { status: 'ok', detail: rows[0].version };
  } catch (err) {
    const authCodes = [
      'ER_ACCESS_DENIED_ERROR',
      'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
      'ER_HOST_NOT_PRIVILEGED',
      'ER_NOT_SUPPORTED_AUTH_MODE',
    ];
    return { status: authCodes.includes(err.code) ? 'auth' : 'error', detail: err.message };
  } finally {
    if (conn) conn.destroy();
  }
}

async function probeRedis(urlString) {
  const url = new URL(urlString);
  const tcp = await tcpCheck(hostOf(url), portOf(url, 6379));
  if (tcp !== 'open') return { status: tcp === 'refused' ? 'refused' : 'error', detail: tcp };
  const Redis = require('ioredis');
  const redis = new Redis(urlString, {
    lazyConnect: true,
    connectTimeout: 4000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {
    // reported through connect() / ping() below
  });
  try {
    await withTimeout(redis.connect(), 6000, 'Redis connect');
    const pong = await withTimeout(redis.ping(), 3000, 'Redis PING');
    if (pong !== 'PONG') return { status: 'error', detail: `PING answered ${pong}` };
    const info = await redis.info('server');
    return { status: 'ok', detail: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown version' };
  } catch (err) {
    const auth = /NOAUTH|WRONGPASS|invalid password|invalid username/i.test(err.message);
    return { status: auth ? 'auth' : 'error', detail: err.message };
  } finally {
    redis.disconnect();
  }
}

async function waitFor(probe, url, ms, what, child) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    if (child && !running(child)) throw new Fatal(`${what} exited (code ${child.exitCode})`);
    last = await probe(url);
    if (last.status === 'ok') return last;
    await sleep(500);
  }
  throw new Fatal(
    `${what} did not answer within ${ms / 1000} s (${last ? last.detail : 'no answer'})`,
  );
}

// ---------------------------------------------------------------------------------------------
// docker compose

function dockerCompose() {
  if (!which('docker')) return null;
  const quiet = { stdio: 'ignore', timeout: 20_000 };
  if (spawnSync('docker', ['info'], quiet).status !== 0) return null;
  if (spawnSync('docker', ['compose', 'version'], quiet).status === 0) return ['docker', 'compose'];
  if (which('docker-compose') && spawnSync('docker-compose', ['version'], quiet).status === 0) {
    return ['docker-compose'];
  }
  log('a Docker engine answers but neither `docker compose` nor `docker-compose` is installed');
  return null;
}

/** Starts the missing services from docker-compose.yml, published on loopback at the chosen ports. */
async function startWithCompose(compose, missing) {
  const env = { ...process.env };
  for (const m of missing) env[m.kind === 'mysql' ? 'MYSQL_HOST_PORT' : 'REDIS_HOST_PORT'] = m.port;
  const services = missing.map((m) => m.kind);
  const cmd = [...compose, 'up', '-d', ...services];
  log(`starting ${services.join(' and ')} with \`${cmd.join(' ')}\``);
  const result = spawnSync(cmd[0], cmd.slice(1), { cwd: ROOT, env, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Fatal(`\`${cmd.join(' ')}\` failed (exit ${result.status})`);
  }
  for (const m of missing) {
    if (m.kind === 'mysql') {
      const password = encodeURIComponent(process.env.MYSQL_PASSWORD || 'tracking');
      m.url = `mysql://${COMPOSE_DB_USER}:${password}@127.0.0.1:${m.port}/${COMPOSE_DATABASE}`;
      m.how = 'docker compose service `mysql`';
    } else {
      m.url = `redis://127.0.0.1:${m.port}`;
      m.how = 'docker compose service `redis`';
    }
    const slow = m.kind === 'mysql' ? ' (a first MySQL start takes a minute)' : '';
    log(`waiting for ${m.name} on 127.0.0.1:${m.port}${slow}`);
    const probe = m.kind === 'mysql' ? probeMysql : probeRedis;
    await waitFor(probe, m.url, DOCKER_WAIT_MS, `${m.name} (docker)`);
  }
  log(
    `the containers keep running after this script stops: \`${[...compose, 'stop', ...services].join(' ')}\``,
  );
}

// ---------------------------------------------------------------------------------------------
// project-local servers under .data/

function mysqlBinaries() {
  const serverBin = which('mariadbd') || which('mysqld');
  if (!serverBin) return null;
  const version = spawnSync(serverBin, ['--version'], { encoding: 'utf8' }).stdout || '';
  const mariadb = /mariadb/i.test(version) || path.basename(serverBin) === 'mariadbd';
  const installDb = mariadb ? which('mariadb-install-db') || which('mysql_install_db') : null;
  if (mariadb && !installDb) return null;
  return { serverBin, installDb, mariadb };
}

/** mariadbd refuses to run as root unless told to; elsewhere it runs as the current user. */
function runAsArgs() {
  return process.getuid && process.getuid() === 0 ? ['--user=root'] : [];
}

function initMysqlDatadir(bins, datadir) {
  if (fs.existsSync(path.join(datadir, 'mysql'))) return;
  fs.rmSync(datadir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(datadir), { recursive: true });
  const logFile = path.join(DATA, 'mysql-init.log');
  // Root without a password, reachable over TCP from 127.0.0.1 only (bind-address below).
  const args = bins.mariadb
    ? [
        '--no-defaults',
        `--datadir=${datadir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...runAsArgs(),
      ]
    : ['--no-defaults', '--initialize-insecure', `--datadir=${datadir}`, ...runAsArgs()];
  const cmd = bins.mariadb ? bins.installDb : bins.serverBin;
  log(`initialising ${path.relative(ROOT, datadir)} with ${path.basename(cmd)}`);
  const result = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8' });
  fs.writeFileSync(logFile, `${result.stdout || ''}${result.stderr || ''}`);
  if (result.status !== 0 || !fs.existsSync(path.join(datadir, 'mysql'))) {
    fs.rmSync(datadir, { recursive: true, force: true });
    throw new Fatal(`${path.basename(cmd)} failed:\n${tail(logFile)}`);
  }
}

async function startLocalMysql(m) {
  const bins = mysqlBinaries();
  const datadir = path.join(DATA, 'mysql');
  initMysqlDatadir(bins, datadir);
  const errorLog = path.join(DATA, 'mysql.err');
  const socket = socketPath('mysql.sock');
  const args = [
    '--no-defaults',
    `--datadir=${datadir}`,
    `--port=${m.port}`,
    '--bind-address=127.0.0.1',
    `--socket=${socket}`,
    `--pid-file=${path.join(DATA, 'mysql.pid')}`,
    `--log-error=${errorLog}`,
    ...(bins.mariadb ? [] : ['--mysqlx=OFF', '--disable-log-bin']),
    ...runAsArgs(),
  ];
  log(`starting ${path.basename(bins.serverBin)} on 127.0.0.1:${m.port} (data in .data/mysql)`);
  // Own process group: a Ctrl-C in the terminal reaches this script, which stops the server last.
  const child = spawn(bins.serverBin, args, { cwd: ROOT, detached: true, stdio: 'ignore' });
  owned.push({ name: m.name, child, graceMs: 60_000 });

  // The initial root account has no password and may connect over the socket.
  const mysql = require('mysql2/promise');
  const url = new URL(m.url);
  const user = decodeURIComponent(url.username) || 'root';
  const password = decodeURIComponent(url.password);
  const rootPassword = user === 'root' ? password : '';
  const deadline = Date.now() + LOCAL_WAIT_MS;
  let conn;
  while (!conn) {
    if (!running(child))
      throw new Fatal(`${path.basename(bins.serverBin)} exited:\n${tail(errorLog)}`);
    try {
      conn = await mysql.createConnection({
        socketPath: socket,
        user: 'root',
        password: rootPassword,
      });
    } catch (err) {
      if (err.code === 'ER_ACCESS_DENIED_ERROR' && rootPassword) {
        // A fresh datadir: root has no password yet.
        conn = await mysql.createConnection({ socketPath: socket, user: 'root' }).catch(() => null);
      }
      if (!conn) {
        if (Date.now() > deadline)
          throw new Fatal(`local MySQL did not answer:\n${tail(errorLog)}`);
        await sleep(300);
      }
    }
  }
  try {
    // Give the account of DATABASE_URL the rights the server needs (create its database, migrate).
    if (user !== 'root' || password) {
      for (const host of ['localhost', '127.0.0.1']) {
        if (user === 'root') {
          await conn.query('ALTER USER IF EXISTS ?@? IDENTIFIED BY ?', [user, host, password]);
        } else {
          await conn.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', [user, host, password]);
          await conn.query('GRANT ALL PRIVILEGES ON *.* TO ?@?', [user, host]);
        }
      }
    }
  } finally {
    await conn.end();
  }
  await waitFor(probeMysql, m.url, LOCAL_WAIT_MS, 'local MySQL', child);
  m.how = `project-local ${bins.mariadb ? 'MariaDB' : 'MySQL'} (data in .data/mysql, log .data/mysql.err)`;
}

async function startLocalRedis(m) {
  const bin = which('redis-server');
  const dir = path.join(DATA, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const url = new URL(m.url);
  const args = [
    '--port',
    String(m.port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--logfile',
    path.join(DATA, 'redis.log'),
    ...(url.password ? ['--requirepass', decodeURIComponent(url.password)] : []),
  ];
  log(`starting redis-server on 127.0.0.1:${m.port} (log .data/redis.log)`);
  const child = spawn(bin, args, { cwd: ROOT, detached: true, stdio: 'ignore' });
  owned.push({ name: m.name, child, graceMs: 10_000 });
  await waitFor(probeRedis, m.url, LOCAL_WAIT_MS, 'local redis-server', child);
  m.how = 'project-local redis-server (no persistence, log .data/redis.log)';
}

function installCommand(kinds) {
  const pick = (mysqlPkg, redisPkg) =>
    kinds.map((k) => (k === 'mysql' ? mysqlPkg : redisPkg)).join(' ');
  if (process.platform === 'darwin') return `brew install ${pick('mariadb', 'redis')}`;
  let release = '';
  try {
    release = fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    // not Linux, or an unusual one
  }
  const ids = (release.match(/^ID(?:_LIKE)?=.*$/gm) || []).join(' ').toLowerCase();
  if (/debian|ubuntu/.test(ids)) {
    return `sudo apt-get install -y ${pick('mariadb-server', 'redis-server')}`;
  }
  if (/fedora|rhel|centos/.test(ids))
    return `sudo dnf install -y ${pick('mariadb-server', 'redis')}`;
  if (/alpine/.test(ids)) return `sudo apk add ${pick('mariadb', 'redis')}`;
  if (/arch/.test(ids)) return `sudo pacman -S --needed ${pick('mariadb', 'redis')}`;
  if (/suse/.test(ids)) return `sudo zypper install -y ${pick('mariadb', 'redis')}`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// step 1: MySQL and Redis

async function ensureServices() {
  const specs = [
    {
      kind: 'mysql',
      name: 'MySQL',
      variable: 'DATABASE_URL',
      given: process.env.DATABASE_URL,
      url: process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
      defaultPort: 3306,
      probe: probeMysql,
    },
    {
      kind: 'redis',
      name: 'Redis',
      variable: 'REDIS_URL',
      given: process.env.REDIS_URL,
      url: process.env.REDIS_URL || DEFAULT_REDIS_URL,
      defaultPort: 6379,
      probe: probeRedis,
    },
  ];
  const missing = [];
  for (const s of specs) {
    let url;
    try {
      url = new URL(s.url);
    } catch {
      throw new Fatal(`${s.variable} is not a valid URL`);
    }
    const where = `${hostOf(url)}:${portOf(url, s.defaultPort)}`;
    const found = await s.probe(s.url);
    if (found.status === 'ok') {
      log(`${s.name}: reusing ${redact(s.url)} (${found.detail})`);
      s.how = `reused (${found.detail})`;
      continue;
    }
    if (s.given && !isLocalHost(hostOf(url))) {
      throw new Fatal(
        `${s.name} at ${where} (${s.variable}) does not answer: ${found.detail}. ` +
          `Fix ${s.variable}, or unset it to let npm start provide a local ${s.name}.`,
      );
    }
    if (found.status === 'auth' && s.given) {
      throw new Fatal(
        `${s.name} at ${where} rejects the credentials in ${s.variable}: ${found.detail}`,
      );
    }
    // Nothing listens: serve exactly the URL asked for. Something else holds the port (or rejects
    // the default root login, as Debian's socket-auth root does): use a free port beside it.
    const port =
      found.status === 'refused'
        ? portOf(url, s.defaultPort)
        : await freePortFrom(s.defaultPort + 1);
    log(
      found.status === 'refused'
        ? `${s.name}: nothing answers at ${where}`
        : `${s.name}: ${where} answers but cannot be used (${found.detail}); ` +
            `providing one on port ${port}${s.given ? '' : ` (set ${s.variable} to use yours)`}`,
    );
    url.hostname = '127.0.0.1';
    url.port = String(port);
    missing.push({ ...s, port, url: url.toString() });
  }

  if (missing.length) {
    const compose = dockerCompose();
    if (compose) {
      await startWithCompose(compose, missing);
    } else {
      const lacking = missing.filter((m) =>
        m.kind === 'mysql' ? !mysqlBinaries() : !which('redis-server'),
      );
      if (lacking.length) {
        const names = lacking.map((m) => (m.kind === 'mysql' ? 'MariaDB (or MySQL 8)' : 'Redis'));
        const cmd = installCommand(lacking.map((m) => m.kind));
        throw new Fatal(
          `${names.join(' and ')} not found: no reachable server, no Docker engine, no local binary.\n` +
            (cmd
              ? `Install with:\n\n    ${cmd}\n\n`
              : 'Install MariaDB 10.11+ (or MySQL 8) and Redis 7 with your package manager.\n') +
            'Then run `npm start` again (or start Docker, or set DATABASE_URL / REDIS_URL).',
        );
      }
      for (const m of missing) {
        if (m.kind === 'mysql') await startLocalMysql(m);
        else await startLocalRedis(m);
      }
    }
  }
  const byKind = Object.fromEntries([...specs, ...missing].map((s) => [s.kind, s]));
  return { mysql: byKind.mysql, redis: byKind.redis };
}

// ---------------------------------------------------------------------------------------------
// step 2: build

function newestMtime(entry) {
  let stat;
  try {
    stat = fs.statSync(entry);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of fs.readdirSync(entry)) {
    newest = Math.max(newest, newestMtime(path.join(entry, name)));
  }
  return newest;
}

function ensureBuilt() {
  const main = path.join(ROOT, 'dist', 'main.js');
  const sources = ['src', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json'];
  const newestSource = Math.max(...sources.map((f) => newestMtime(path.join(ROOT, f))));
  if (fs.existsSync(main) && fs.statSync(main).mtimeMs >= newestSource) return;
  log(fs.existsSync(main) ? 'src/ changed: rebuilding (nest build)' : 'building (nest build)');
  const localNest = path.join(ROOT, 'node_modules', '.bin', 'nest');
  const [cmd, args] = fs.existsSync(localNest)
    ? [localNest, ['build']]
    : ['npx', ['nest', 'build']];
  const result = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0 || !fs.existsSync(main)) {
    throw new Fatal('the build failed (see above); run `npx nest build` to retry');
  }
}

// ---------------------------------------------------------------------------------------------
// step 3: the server, the admin token, the demo source

function adminToken() {
  if (process.env.ADMIN_TOKEN && process.env.ADMIN_TOKEN.trim()) {
    return { token: process.env.ADMIN_TOKEN.trim(), from: 'ADMIN_TOKEN' };
  }
  const file = path.join(DATA, 'admin-token');
  try {
    const saved = fs.readFileSync(file, 'utf8').trim();
    if (saved) return { token: saved, from: '.data/admin-token' };
  } catch {
    // first run
  }
  const token = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, from: '.data/admin-token (generated)' };
}

/** A JSON request to the local server; resolves { status, body } (never rejects on HTTP status). */
function call(port, method, pathname, token, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathname,
        timeout: 5000,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(payload
            ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          let parsed;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

async function waitForHealth(port) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!running(server)) throw new Fatal('the server exited during start-up (see its log above)');
    try {
      const res = await call(port, 'GET', '/health');
      if (res.status === 200) return;
      last = `${res.status} ${typeof res.body === 'object' ? res.body.message : res.body}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(500);
  }
  throw new Fatal(`/health did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s (${last})`);
}

async function demoSource(port, token) {
  const file = path.join(DATA, 'demo-source.json');
  let saved = null;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // first run
  }
  if (saved && saved.id && saved.writeKey) {
    const res = await call(port, 'GET', `/admin/sources/${encodeURIComponent(saved.id)}`, token);
    if (res.status === 200) return { ...saved, created: false };
    if (res.status !== 404) {
      throw new Fatal(
        `GET /admin/sources/${saved.id} answered ${res.status}: ${JSON.stringify(res.body)}`,
      );
    }
    log('the demo source in .data/demo-source.json is not in this database: creating a new one');
  }
  const res = await call(port, 'POST', '/admin/sources', token, { name: 'Demo source' });
  if (res.status !== 201) {
    throw new Fatal(`POST /admin/sources answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
  const { id, name, writeKey, publicKey } = res.body;
  const record = { id, name, writeKey, publicKey, createdAt: new Date().toISOString() };
  // The write key is shown only once by the API: this file is the only copy.
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return { ...record, created: true };
}

function shellQuote(value) {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/** An identify and a track in one batch, as in the Dreamdata server-side tracking guide. */
function exampleBatch() {
  const now = new Date().toISOString();
  return {
    batch: [
      {
        type: 'identify',
        messageId: crypto.randomUUID(),
        userId: '019mr8mf4r',
        traits: { email: 'jake@example.com', name: 'Jake Peterson', age: 26 },
        context: {
          ip: '24.5.68.47',
          library: { name: 'curl', version: 'v1' },
          campaign: { name: 'my_campaign', source: 'demo', medium: 'calendly' },
        },
        timestamp: now,
      },
      {
        type: 'track',
        messageId: crypto.randomUUID(),
        userId: '019mr8mf4r',
        event: 'Song Played',
        properties: { name: 'Fallin for You', artist: 'Dierks Bentley' },
        context: {
          ip: '24.5.68.47',
          page: { url: 'https://www.example.com/pricing' },
        },
        timestamp: now,
      },
    ],
  };
}

function printBanner({ port, services, token, source }) {
  const base = `http://localhost:${port}`;
  const line = '─'.repeat(78);
  const out = [
    '',
    line,
    ` Tracking service running at ${base}`,
    `   MySQL  ${redact(services.mysql.url)}  ${services.mysql.how}`,
    `   Redis  ${redact(services.redis.url)}  ${services.redis.how}`,
    '',
    ` Demo source "${source.name}" (${source.id})${source.created ? '' : ', from .data/demo-source.json'}`,
    `   write key   ${source.writeKey}   (secret: server-side clients, HTTP Basic user)`,
    `   public key  ${source.publicKey}   (publishable: browser / pixel routes)`,
    ` Admin token   ${token.token}   (${token.from}; Authorization: Bearer ...)`,
    '',
    ' Send an identify and a track (Segment / Dreamdata batch format):',
    '',
    `KEY=${shellQuote(source.writeKey)}`,
    `curl -u "$KEY:" ${base}/v1/batch -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify(exampleBatch()))}`,
    '',
    ' Sent twice, the same messageIds are acknowledged as duplicates and stored once.',
    ' See what was stored:',
    '',
    `curl -H ${shellQuote(`Authorization: Bearer ${token.token}`)} '${base}/admin/events?limit=10'`,
    '',
    ` API docs: ${base}/docs  (OpenAPI JSON: ${base}/docs-json, health: ${base}/health)`,
    ' Ctrl-C stops the server' + (owned.length ? ' and the local database servers.' : '.'),
    line,
    '',
  ];
  process.stdout.write(out.join('\n') + '\n');
}

// ---------------------------------------------------------------------------------------------
// shutdown

async function stopOwned() {
  for (const { name, child, graceMs } of owned.reverse()) {
    if (!running(child)) continue;
    log(`stopping ${name} (pid ${child.pid})`);
    child.kill('SIGTERM');
    if (!(await waitExit(child, graceMs))) {
      warn(`${name} did not stop within ${graceMs / 1000} s: killing it`);
      child.kill('SIGKILL');
      await waitExit(child, 5000);
    }
  }
  owned.length = 0;
}

async function shutdown(signal, exitCode) {
  if (shuttingDown) return;
  shuttingDown = true;
  if (running(server)) {
    if (signal) log(`${signal}: stopping the server`);
    server.kill(signal || 'SIGTERM');
    if (!(await waitExit(server, 20_000))) {
      warn('the server did not stop within 20 s: killing it');
      server.kill('SIGKILL');
      await waitExit(server, 5000);
    }
  }
  await stopOwned();
  process.exit(exitCode);
}

// A clean stop on request exits 0; npm also forwards the terminal's Ctrl-C, hence the guard above.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => void shutdown(signal, 0));
}
// Last resort when this script dies of an error: never leave detached servers behind.
process.on('exit', () => {
  for (const child of [server, ...owned.map((o) => o.child)]) {
    if (running(child)) child.kill('SIGTERM');
  }
});

// ---------------------------------------------------------------------------------------------

async function main() {
  fs.mkdirSync(DATA, { recursive: true });
  const portText = process.env.PORT || '3000';
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new Fatal(`PORT must be an integer between 1 and 65535 (got "${portText}")`);
  }
  const port = Number(portText);
  // Checked first so a busy port fails fast instead of after a build.
  if (!(await portFree(port))) {
    throw new Fatal(`port ${port} is in use: stop what holds it or run \`PORT=3001 npm start\``);
  }

  const services = await ensureServices();
  ensureBuilt();
  const token = adminToken();

  log(`starting the server: node dist/main.js (port ${port})`);
  server = spawn(process.execPath, [path.join(ROOT, 'dist', 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: services.mysql.url,
      REDIS_URL: services.redis.url,
      ADMIN_TOKEN: token.token,
    },
    stdio: 'inherit',
    // Own process group so that only this script signals it, once (see shutdown()).
    detached: true,
  });
  server.on('exit', (code, signal) => {
    if (shuttingDown) return;
    warn(`the server exited (${signal || `code ${code}`})`);
    void shutdown(null, code || 1);
  });

  await waitForHealth(port);
  const source = await demoSource(port, token.token);
  printBanner({ port, services, token, source });
}

main().catch(async (err) => {
  warn(err instanceof Fatal ? err.message : err.stack || String(err));
  if (!shuttingDown) await shutdown(null, 1);
});
