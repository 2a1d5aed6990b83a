// The headless Chromium the report's browser test and screenshot script use: Debian's `chromium` package
// (CI installs it with apt-get, as it does Java), driven by playwright-core, which ships no browser.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** The Chromium executable: $CHROMIUM_PATH, else Debian's /usr/bin/chromium, else the first of NAMES on PATH. */
export function findChromium(
  env: NodeJS.ProcessEnv = process.env,
  known: readonly string[] = ['/usr/bin/chromium'],
): string | undefined {
  const candidates = [
    ...(env.CHROMIUM_PATH ? [env.CHROMIUM_PATH] : []),
    ...known,
    ...(env.PATH ?? '').split(delimiter).flatMap((dir) => (dir ? NAMES.map((name) => join(dir, name)) : [])),
  ];
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

export const CHROMIUM_MISSING =
  'Chromium was not found (looked at $CHROMIUM_PATH, /usr/bin/chromium and chromium/google-chrome on PATH): ' +
  'the report test and `npm run report:screenshot` need it. Install it, e.g. `sudo apt-get install -y chromium`.';

/** Launches headless Chromium or throws one clear line saying how to install it. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(CHROMIUM_MISSING);
  // Chromium refuses to start its sandbox as root (CI containers); the page is our own static file.
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return chromium.launch({ executablePath, headless: true, args: asRoot ? ['--no-sandbox'] : [] });
}
