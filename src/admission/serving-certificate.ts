// The webhook's serving certificate, read from a cert/key pair on disk and followed as it
// rotates. Kubernetes updates a mounted Secret by writing a new timestamped directory and
// renaming the `..data` symlink over the old one, so we watch the *directory* (a watch on
// the file would follow the old inode) and also poll, because inotify is not reliable on
// every volume type. A pair that fails to load is reported and the old one stays in use.

import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface KeyPairFiles {
  certFile: string;
  keyFile: string;
}

/** Read both files and prove they form a usable pair (OpenSSL checks the key matches the cert). */
export async function loadKeyPair(files: KeyPairFiles): Promise<KeyPair> {
  // One after the other, so a broken setup reports the certificate first, every time.
  const cert = await readFile(files.certFile, 'utf8').catch((error: Error) => {
    throw new Error(`cannot read TLS certificate ${files.certFile}: ${error.message}`);
  });
  const key = await readFile(files.keyFile, 'utf8').catch((error: Error) => {
    throw new Error(`cannot read TLS key ${files.keyFile}: ${error.message}`);
  });
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new Error(`TLS certificate ${files.certFile} and key ${files.keyFile} do not form a usable pair: ${(error as Error).message}`);
  }
  return { cert, key };
}

export function fingerprintOf(pair: KeyPair): string {
  return createHash('sha256').update(pair.cert).update('\0').update(pair.key).digest('hex');
}

export interface KeyPairWatchOptions extends KeyPairFiles {
  /** The pair in use now; only a different pair is reported. */
  current: KeyPair;
  /** Polling period, the fallback for file systems without change events. */
  pollIntervalMs: number;
  onRotated(pair: KeyPair): void;
  /** A new pair could not be loaded (reported once per distinct failure); the old one is kept. */
  onRejected(error: Error): void;
}

export interface KeyPairWatch {
  /** Look at the files now (what the watcher and the poller call). */
  check(): Promise<void>;
  close(): void;
}

// A Secret update is a burst of renames; wait for the burst to end before reading.
const SETTLE_MS = 100;

export function watchKeyPair(options: KeyPairWatchOptions): KeyPairWatch {
  let currentFingerprint = fingerprintOf(options.current);
  let lastFailure = '';
  let checking: Promise<void> | undefined;
  let again = false;
  let settleTimer: NodeJS.Timeout | undefined;
  let closed = false;

  async function checkOnce(): Promise<void> {
    let pair: KeyPair;
    try {
      pair = await loadKeyPair(options);
    } catch (error) {
      const message = (error as Error).message;
      if (!closed && message !== lastFailure) options.onRejected(error as Error);
      lastFailure = message;
      return;
    }
    lastFailure = '';
    const fingerprint = fingerprintOf(pair);
    if (closed || fingerprint === currentFingerprint) return;
    currentFingerprint = fingerprint;
    try {
      options.onRotated(pair);
    } catch (error) {
      options.onRejected(error as Error);
    }
  }

  // Checks never overlap; a request during a check runs one more afterwards.
  function check(): Promise<void> {
    if (checking) {
      again = true;
      return checking;
    }
    checking = (async () => {
      do {
        again = false;
        await checkOnce();
      } while (again && !closed);
    })().finally(() => {
      checking = undefined;
    });
    return checking;
  }

  function scheduleCheck(): void {
    if (closed) return;
    clearTimeout(settleTimer);
    settleTimer = setTimeout(() => void check().catch(() => {}), SETTLE_MS);
  }

  const watchers: FSWatcher[] = [];
  for (const directory of new Set([dirname(options.certFile), dirname(options.keyFile)])) {
    try {
      const watcher = watch(directory, { persistent: false }, scheduleCheck);
      // A vanished directory or an exhausted inotify budget leaves the poller in charge.
      watcher.on('error', () => watcher.close());
      watchers.push(watcher);
    } catch {
      // Same: polling still covers this directory.
    }
  }
  const poller = setInterval(() => void check().catch(() => {}), options.pollIntervalMs);
  poller.unref();

  return {
    check,
    close() {
      closed = true;
      clearTimeout(settleTimer);
      clearInterval(poller);
      for (const watcher of watchers) watcher.close();
    },
  };
}

/**
 * Waits for a usable pair to appear (a Secret mounted `optional` is empty until the
 * certificate controller or cert-manager has written it and the kubelet has caught up).
 * Gives up after `waitMs` with the last reason, or when `signal` aborts.
 */
export async function waitForKeyPair(files: KeyPairFiles, waitMs: number, onWaiting: (reason: string) => void, signal?: AbortSignal): Promise<KeyPair> {
  const deadline = Date.now() + waitMs;
  let reported = false;
  for (;;) {
    try {
      return await loadKeyPair(files);
    } catch (error) {
      if (Date.now() >= deadline || signal?.aborted) throw error;
      if (!reported) onWaiting((error as Error).message);
      reported = true;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(1_000, Math.max(0, deadline - Date.now())));
      signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
