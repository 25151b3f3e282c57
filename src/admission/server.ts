// The admission webhook's HTTPS shell around review.ts: node:https with keep-alive, POST
// /validate and /mutate on a lean path, express for probes, /metrics and everything else, a
// serving certificate that follows its files, limits on what a slow or hostile client may
// hold (DEFAULT_HTTP_LIMITS), and a graceful shutdown. Every failure becomes an HTTP answer (4xx for
// a bad request, 500 so the API server applies the webhook's failurePolicy); none ends the
// process.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import type { TLSSocket } from 'node:tls';
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import type { ContractContext } from '../contract/types.ts';
import { isAnnotatedMCPKind } from '../kubernetes/kinds.ts';
import { silentLogger, type Logger } from '../observability/logger.ts';
import { createAdmissionMetrics, type AdmissionMetrics, type AdmissionOperation, type AdmissionVerdict } from '../observability/metrics.ts';
import {
  admitForMutation,
  admitForValidation,
  parseAdmissionReview,
  type AdmissionOutcome,
  type AdmissionRequest,
} from './review.ts';
import { BodyError, readJsonBody, sendJson, type BodyBudget } from './json-body.ts';
import { loadKeyPair, watchKeyPair, type KeyPair, type KeyPairWatch } from './serving-certificate.ts';

/**
 * Where the contract's look-ups come from, asked once per request so it can hand out the
 * current informer caches; today the CLI answers with an empty cluster.
 */
export type ContractContextProvider = () => ContractContext;

export interface AdmissionServerConfig {
  /** 0 picks a free port (tests). */
  port: number;
  /** Interface to bind; all of them by default. */
  host?: string;
  certFile: string;
  keyFile: string;
  contextProvider: ContractContextProvider;
  logger?: Logger;
  metrics?: AdmissionMetrics;
  /** Extra readiness condition, e.g. "informer caches synced". */
  isReady?: () => boolean;
  /** Largest AdmissionReview accepted; the API server caps objects near 3 MiB (etcd's 1.5 MiB, twice for UPDATE). */
  bodyLimitBytes?: number;
  /** Bytes of request bodies held at once by all requests together; beyond it, 503. */
  bodyBudgetBytes?: number;
  certificatePollIntervalMs?: number;
  /** A new connection must finish its TLS handshake within this long. */
  handshakeTimeoutMs?: number;
  /** From a connection's start, or a request's first byte, to the end of the request's headers. */
  headersTimeoutMs?: number;
  /** From a request's first byte to the end of its body. */
  requestTimeoutMs?: number;
  /** How often the two timeouts above are checked: a slow client is cut off within its timeout plus this. */
  connectionsCheckingIntervalMs?: number;
  keepAliveTimeoutMs?: number;
  /** Connections beyond this many are closed as soon as they are accepted. */
  maxConnections?: number;
  /** After this long, shutdown closes connections that are still busy. */
  shutdownTimeoutMs?: number;
}

export const DEFAULT_BODY_LIMIT_BYTES = 3 * 1024 * 1024;
/** 21 reviews at the body limit at once; typical reviews are a few KiB. A tenth of the chart's memory limit. */
export const DEFAULT_BODY_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * What one client may hold of the server, and for how long (README, "The webhook"). The API
 * server connects, handshakes and sends each review at once, so only a slow or hostile
 * client ever meets these; without them Node would wait 120 s for a handshake and check the
 * request timeouts only every 30 s.
 */
export const DEFAULT_HTTP_LIMITS = {
  // Go's http.Transport (the API server's webhook client) gives up on a handshake after 10 s too.
  handshakeTimeoutMs: 10_000,
  // A webhook call lasts at most 30 s and 5 s in our configurations; a review travels in
  // milliseconds, so 10 s for all of it only ever cuts off clients that trickle.
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  connectionsCheckingIntervalMs: 1_000,
  // Longer than any client idle timeout (Go's http.Transport uses 90 s), so the API server,
  // not we, closes idle connections: a POST on a connection we just closed fails the call.
  keepAliveTimeoutMs: 95_000,
  // An idle TLS connection holds about 64 KiB here: 2,048 of them 128 MiB, a quarter of the
  // chart's memory limit. The API server needs a few dozen.
  maxConnections: 2_048,
} as const;

const DEFAULTS = {
  certificatePollIntervalMs: 10_000,
  shutdownTimeoutMs: 25_000,
};

export interface AdmissionServer {
  readonly app: Express;
  readonly server: Server;
  readonly metrics: AdmissionMetrics;
  /** Start listening; resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  /** Look at the certificate files now instead of waiting for the watcher or the poller. */
  reloadCertificate(): Promise<void>;
  /**
   * Drain, then stop: /readyz fails at once and every answer closes its connection, while
   * reviews are still accepted and answered for `delayMs` (the time the Service's endpoints
   * take to drop this pod); then stop accepting, finish in-flight requests and close idle
   * keep-alive sockets. `hurry` ends the delay early. Idempotent: a second call returns the
   * first one's promise.
   */
  shutdown(delayMs?: number, hurry?: AbortSignal): Promise<void>;
}

/** Metric label for the reviewed kind; bounded, because anyone who reaches the port picks the value. */
function kindLabel(request: AdmissionRequest | undefined): string {
  const kind = request?.kind?.kind;
  if (kind === undefined) return 'unknown';
  return kind === 'HTTPRoute' || isAnnotatedMCPKind(kind) ? kind : 'other';
}

const BODY_ERROR_REASONS: Record<number, string> = { 400: 'BadRequest', 413: 'RequestEntityTooLarge', 503: 'ServiceUnavailable' };

/** Node's answers to requests it could not read, by error code. */
function clientErrorAnswer(code: string | undefined): string {
  const status =
    code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout'
    : code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
    : code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? '413 Payload Too Large'
    : '400 Bad Request';
  return `HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`;
}

/** A metav1.Status body: the API server's REST client shows its message in the error it reports. */
function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
}

export async function createAdmissionServer(config: AdmissionServerConfig): Promise<AdmissionServer> {
  const logger = config.logger ?? silentLogger();
  const metrics = config.metrics ?? createAdmissionMetrics();
  const bodyLimit = config.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const bodyBudget: BodyBudget = { limitBytes: config.bodyBudgetBytes ?? DEFAULT_BODY_BUDGET_BYTES, heldBytes: 0 };
  let draining = false;

  // One handler per webhook on plain node:http objects, no middleware: this is the hot path
  // (bench/webhook.bench.ts). It answers every outcome itself and never rejects.
  type AdmissionHandler = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
  const admit =
    (operation: AdmissionOperation, decide: (request: AdmissionRequest, context: ContractContext) => AdmissionOutcome): AdmissionHandler =>
    async (req, res, path) => {
      const startedAt = performance.now();
      const observe = (kind: string, verdict: AdmissionVerdict) =>
        metrics.observeAdmission(operation, kind, verdict, (performance.now() - startedAt) / 1000);
      // While draining, each answer closes its connection so clients move to another replica.
      if (draining) res.setHeader('Connection', 'close');

      let body: unknown;
      try {
        body = await readJsonBody(req, bodyLimit, bodyBudget);
      } catch (error) {
        const { status, message } = error as BodyError;
        observe('unknown', 'bad_request');
        logger.warn({ path, status, problem: message }, 'rejected a malformed request');
        // The rest of a body refused for its size is never read: the connection closes after the answer.
        if (status !== 400) res.setHeader('Connection', 'close');
        sendStatus(res, status, BODY_ERROR_REASONS[status] ?? 'BadRequest', message);
        return;
      }
      const parsed = parseAdmissionReview(body);
      if (!parsed.ok) {
        observe('unknown', 'bad_request');
        logger.warn({ path, problem: parsed.problem }, 'rejected a malformed AdmissionReview');
        sendStatus(res, 400, 'BadRequest', parsed.problem);
        return;
      }
      const { request } = parsed;
      const kind = kindLabel(request);

      let outcome: AdmissionOutcome;
      try {
        outcome = decide(request, config.contextProvider());
      } catch (error) {
        // 500, so the API server applies the webhook's failurePolicy.
        observe(kind, 'error');
        logger.error({ path, uid: request.uid, err: error }, 'admission review failed; the API server applies the failurePolicy');
        sendStatus(res, 500, 'InternalError', `the webhook could not judge the object: ${(error as Error)?.message ?? String(error)}`);
        return;
      }
      observe(kind, outcome.verdict);
      if (outcome.internalError !== undefined) {
        // Allowed with a warning (review.ts): never hold the cluster hostage to a bug here.
        metrics.countInternalError(operation, kind);
        logger.debug({ path, uid: request.uid, err: outcome.internalError }, 'internal error while judging; the object was allowed unjudged');
      }
      if (outcome.verdict === 'denied' || logger.isLevelEnabled('debug')) {
        logger[outcome.verdict === 'denied' ? 'info' : 'debug'](
          {
            operation,
            uid: request.uid,
            kind: request.kind?.kind,
            // Not `name`: pino uses that for the logger's own name.
            object: `${request.namespace ?? ''}/${request.name || request.object?.metadata?.name || request.oldObject?.metadata?.name || ''}`,
            verb: request.operation,
            dryRun: request.dryRun ?? false,
            verdict: outcome.verdict,
            skipped: outcome.skipped,
            message: outcome.review.response.status?.message,
          },
          'admission review answered',
        );
      }
      sendJson(res, 200, outcome.review);
    };

  const app = express();
  app.disable('x-powered-by');
  // ETags hash every body and no client revalidates admission answers.
  app.set('etag', false);

  const admissionRoutes = new Map<string, AdmissionHandler>([
    ['/validate', admit('validate', admitForValidation)],
    ['/mutate', admit('mutate', admitForMutation)],
  ]);
  // Also on the express app, so `app` alone describes (and serves) every route.
  for (const [path, handler] of admissionRoutes) {
    app.post(path, (req, res) => handler(req, res, path));
  }
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    const ready = !draining && server.listening && (config.isReady?.() ?? true);
    res.status(ready ? 200 : 503).type('text/plain').send(ready ? 'ok\n' : draining ? 'shutting down\n' : 'not ready\n');
  });
  app.get('/metrics', async (_req, res) => {
    const body = await metrics.registry.metrics();
    res.type(metrics.registry.contentType).send(body);
  });
  app.use((req: Request, res: Response) => {
    sendStatus(res, 404, 'NotFound', `no route for ${req.method} ${req.path}; the webhook serves POST /validate and POST /mutate`);
  });

  // Last resort for failures outside the admission handlers (e.g. /metrics): never a crash.
  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    logger.error({ path: req.path, err: error }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendStatus(res, 500, 'InternalError', (error as Error)?.message ?? String(error));
  };
  app.use(onError);

  const files = { certFile: config.certFile, keyFile: config.keyFile };
  const initialPair: KeyPair = await loadKeyPair(files);
  const keepAliveTimeout = config.keepAliveTimeoutMs ?? DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs;
  const server = createServer(
    {
      cert: initialPair.cert,
      key: initialPair.key,
      keepAlive: true,
      keepAliveTimeout,
      handshakeTimeout: config.handshakeTimeoutMs ?? DEFAULT_HTTP_LIMITS.handshakeTimeoutMs,
      headersTimeout: config.headersTimeoutMs ?? DEFAULT_HTTP_LIMITS.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs ?? DEFAULT_HTTP_LIMITS.requestTimeoutMs,
      connectionsCheckingInterval: config.connectionsCheckingIntervalMs ?? DEFAULT_HTTP_LIMITS.connectionsCheckingIntervalMs,
    },
    (req, res) => {
      unused.delete(req.socket as TLSSocket);
      // While draining, every answer (probes and metrics too) closes its connection.
      if (draining) res.setHeader('Connection', 'close');
      // The admission calls bypass express: its per-request setup (prototype swaps, router)
      // cost about a fifth of a call's CPU in bench/webhook.bench.ts. The API server appends
      // `?timeout=10s` to the path.
      if (req.method === 'POST') {
        const url = req.url ?? '';
        const query = url.indexOf('?');
        const path = query < 0 ? url : url.slice(0, query);
        const handler = admissionRoutes.get(path);
        if (handler) {
          handler(req, res, path).catch((error: unknown) => {
            logger.error({ path, err: error }, 'admission handler failed');
            if (res.headersSent) res.destroy();
            else sendStatus(res, 500, 'InternalError', (error as Error)?.message ?? String(error));
          });
          return;
        }
      }
      app(req, res);
    },
  );
  // https.createServer's option alone is not applied to the server in every Node release.
  server.keepAliveTimeout = keepAliveTimeout;
  server.maxConnections = config.maxConnections ?? DEFAULT_HTTP_LIMITS.maxConnections;
  // One line per 10 s at most: whoever opens thousands of connections must not fill the logs too.
  let dropped = 0;
  let dropLoggedAt = Number.NEGATIVE_INFINITY;
  server.on('drop', () => {
    dropped++;
    if (performance.now() - dropLoggedAt < 10_000) return;
    logger.warn({ maxConnections: server.maxConnections, refused: dropped }, 'refused connections: too many open');
    dropped = 0;
    dropLoggedAt = performance.now();
  });
  // Also the request timeouts arrive here. This listener replaces Node's own, so it does
  // what Node does: answer with the matching status while nothing of a response has been
  // written, then destroy the socket. Ending it instead would leave a client that ignores
  // our FIN holding a half-open connection for good.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    logger.debug({ err: error }, 'client connection error');
    const inFlight = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (error.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) socket.write(clientErrorAnswer(error.code));
    socket.destroy();
  });
  server.on('tlsClientError', (error) => logger.debug({ err: error }, 'TLS handshake failed'));
  // Connections that have not carried a request yet (Go's transport dials ahead and keeps
  // the spare): Node's closeIdleConnections() never counts them as idle, so without this
  // a shutdown waits for its deadline on them.
  const unused = new Set<TLSSocket>();
  server.on('secureConnection', (socket: TLSSocket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  const closeIdle = (): void => {
    server.closeIdleConnections();
    for (const socket of unused) socket.destroy();
  };

  let certificateWatch: KeyPairWatch | undefined;
  const startCertificateWatch = (): KeyPairWatch =>
    watchKeyPair({
      ...files,
      current: initialPair,
      pollIntervalMs: config.certificatePollIntervalMs ?? DEFAULTS.certificatePollIntervalMs,
      onRotated(pair) {
        server.setSecureContext({ cert: pair.cert, key: pair.key });
        logger.info({ certFile: files.certFile }, 'serving certificate reloaded; new connections use it');
      },
      onRejected(error) {
        logger.error({ err: error }, 'new serving certificate rejected; still serving the previous one');
      },
    });

  /** Stop accepting, finish in-flight requests, close idle keep-alive sockets. */
  function closeServer(): Promise<void> {
    return new Promise<void>((resolve) => {
      certificateWatch?.close();
      logger.info('admission webhook shutting down: finishing in-flight requests');
      const timeoutMs = config.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs;
      // Busy keep-alive connections become idle once their answer is sent; sweep them.
      const sweep = setInterval(closeIdle, 25);
      const deadline = setTimeout(() => {
        logger.warn({ timeoutMs }, 'shutdown deadline reached; closing busy connections');
        server.closeAllConnections();
        closeIdle();
      }, timeoutMs);
      server.close(() => {
        clearInterval(sweep);
        clearTimeout(deadline);
        logger.info('admission webhook stopped');
        resolve();
      });
      closeIdle();
    });
  }

  let shutdownDone: Promise<void> | undefined;

  return {
    app,
    server,
    metrics,
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          certificateWatch ??= startCertificateWatch();
          const address = server.address() as AddressInfo;
          logger.info({ port: address.port, address: address.address }, 'admission webhook listening');
          resolve(address);
        });
      });
    },
    async reloadCertificate() {
      certificateWatch ??= startCertificateWatch();
      await certificateWatch.check();
    },
    shutdown(delayMs = 0, hurry) {
      shutdownDone ??= (async () => {
        draining = true;
        if (delayMs > 0 && !hurry?.aborted) {
          // Still listening: until the endpoint change reaches every client, new connections
          // keep arriving here and must be answered, not refused.
          logger.info({ delayMs }, 'admission webhook draining: /readyz fails; reviews are still answered until the delay ends');
          await delay(delayMs, undefined, { signal: hurry }).catch(() => logger.info('drain cut short'));
        }
        await closeServer();
      })();
      return shutdownDone;
    },
  };
}
