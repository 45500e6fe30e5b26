import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium, installed by scripts/install-chromium.sh; never a browser download of playwright's own. */
export const CHROMIUM = process.env.TOWER_CHROMIUM ?? '/usr/bin/chromium';

export class NoBrowserError extends Error {
  constructor() {
    super(`no browser at ${CHROMIUM}: run 'bash scripts/install-chromium.sh' (Debian's chromium), or set TOWER_CHROMIUM to a Chromium executable`);
    this.name = 'NoBrowserError';
  }
}

/** Headless chromium for tests of web pages; it talks to nothing but the pages it is sent to. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new NoBrowserError();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run', '--disable-sync'],
  });
}
